import assert from "node:assert/strict";
import { FREEBSD } from "../../ffi/tables/freebsd.ts";
import { openLibc } from "../../ffi/libc.ts";
import { hostPosix, Posix } from "../../ffi/posix.ts";
import {
  type InetDiagRequest,
  TCP_ALL_STATES,
} from "../../ffi/linux/sock_diag.ts";
import { Deadline } from "../net/deadline.ts";
import { parseEndpoint } from "../net/endpoints.ts";
import { leftoverRequests, rowOf } from "./leftovers.ts";
import { openSocketCount } from "../testing/fds.ts";
import { openLoopbackPair } from "../testing/loopback.ts";
import { queryTcpSockets } from "./tcp_sockets.ts";

const posix = hostPosix();
const linux = Deno.build.os === "linux";

Deno.test({
  name: "a port-filtered dump and the two exact lookups find the same sockets",
  ignore: !linux,
  fn: () => {
    const pair = openLoopbackPair(posix);
    try {
      const lookups = leftoverRequests(pair.endpoints);
      const any = { address: "0.0.0.0", port: 0 };
      // Dumps filter by port only: each matches one side of the connection.
      const dumps: InetDiagRequest[] = lookups.map((r) => ({
        ...r,
        local: { ...any, port: r.local.port },
        remote: { ...any, port: r.remote.port },
        dump: true,
      }));
      const rows = (requests: InetDiagRequest[]) => {
        const found = queryTcpSockets(posix, requests, new Deadline(1000));
        assert.ok("sockets" in found, JSON.stringify(found));
        return found.sockets.map(rowOf);
      };
      const expected = [
        {
          local: pair.endpoints.client,
          remote: pair.endpoints.server,
          state: "ESTABLISHED",
        },
        {
          local: pair.endpoints.server,
          remote: pair.endpoints.client,
          state: "ESTABLISHED",
        },
      ];
      assert.deepEqual(rows(lookups), expected);
      assert.deepEqual(rows(dumps), expected);
    } finally {
      posix.close(pair.client);
      posix.close(pair.server);
    }
  },
});

Deno.test({
  name: "a dump of a state no socket of the port is in finds nothing",
  ignore: !linux,
  fn: () => {
    const pair = openLoopbackPair(posix);
    try {
      const [client] = leftoverRequests(pair.endpoints);
      const found = queryTcpSockets(posix, [{
        ...client!,
        states: TCP_ALL_STATES & ~(1 << 1), // all but TCP_ESTABLISHED
        dump: true,
      }], new Deadline(1000));
      assert.deepEqual(found, { sockets: [] });
    } finally {
      posix.close(pair.client);
      posix.close(pair.server);
    }
  },
});

Deno.test({
  name: "queryTcpSockets() closes its netlink socket on every call",
  ignore: !linux,
  fn: () => {
    const before = openSocketCount();
    const request = leftoverRequests({
      client: parseEndpoint("127.0.0.1:1"),
      server: parseEndpoint("127.0.0.1:2"),
    });
    for (let i = 0; i < 50; i++) {
      assert.deepEqual(
        queryTcpSockets(posix, request, new Deadline(1000)),
        { sockets: [] },
      );
    }
    assert.equal(openSocketCount(), before);
  },
});

Deno.test({
  name: "queryTcpSockets() is unavailable on a table of another OS",
  fn: () => {
    // FreeBSD's numbers over the host's libc: nothing is called.
    const other = new Posix(FREEBSD, openLibc(posix.table));
    const before = openSocketCount();
    assert.deepEqual(queryTcpSockets(other, [], new Deadline(1000)), {
      unavailable: "sock_diag is Linux only (freebsd)",
    });
    assert.equal(openSocketCount(), before);
  },
});
