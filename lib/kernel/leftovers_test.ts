import assert from "node:assert/strict";
import { requireTool } from "../testing/tools.ts";
import { hostPosix } from "../../ffi/posix.ts";
import type { SocketAddress } from "../../ffi/sockaddr.ts";
import { type Endpoints, parseEndpoint } from "../net/endpoints.ts";
import {
  type KernelSocketRow,
  type Leftover,
  leftoverRequests,
  leftoversOf,
  readLeftovers,
  rowOf,
} from "./leftovers.ts";
import { openSocketCount } from "../testing/fds.ts";
import {
  leftoversOnceSettled,
  type LoopbackPair,
  openLoopbackPair,
} from "../testing/loopback.ts";

const ENDPOINTS: Endpoints = {
  client: parseEndpoint("127.0.0.1:40000"),
  server: parseEndpoint("127.0.0.1:8080"),
};

Deno.test("leftoverRequests() looks up the client's 4-tuple and the server's, never dumps", () => {
  const requests = leftoverRequests(ENDPOINTS);
  assert.deepEqual(
    requests.map((r) => [r.family, r.dump, `${r.local.port}>${r.remote.port}`]),
    [["inet", false, "40000>8080"], ["inet", false, "8080>40000"]],
  );
  assert.throws(
    () =>
      leftoverRequests({
        client: parseEndpoint("[::1]:1"),
        server: parseEndpoint("127.0.0.1:2"),
      }),
    /families differ/,
  );
});

Deno.test("rowOf() names Linux states and keeps both ends", () => {
  const end = (port: number): SocketAddress => ({
    family: "inet6",
    address: "::1",
    port,
  });
  assert.deepEqual(
    rowOf({ state: 5, local: end(80), remote: end(5000), uid: 0, inode: 0 }),
    { local: end(80), remote: end(5000), state: "FIN_WAIT2" },
  );
  assert.equal(
    rowOf({ state: 13, local: end(1), remote: end(2), uid: 0, inode: 0 }).state,
    "state 13",
  );
});

Deno.test("leftoversOf() keeps the trial's 4-tuple only, by side, sorted", () => {
  const row = (local: string, remote: string, state: string) => ({
    local: parseEndpoint(local),
    remote: parseEndpoint(remote),
    state,
  });
  const rows: KernelSocketRow[] = [
    row("127.0.0.1:8080", "127.0.0.1:40000", "FIN_WAIT2"),
    row("127.0.0.1:8080", "0.0.0.0:0", "LISTEN"),
    row("127.0.0.1:40000", "127.0.0.1:8080", "TIME_WAIT"),
    row("127.0.0.2:40000", "127.0.0.1:8080", "ESTABLISHED"),
    row("[::1]:40000", "[::1]:8080", "ESTABLISHED"),
  ];
  assert.deepEqual(leftoversOf(rows, ENDPOINTS), [
    { side: "client", state: "TIME_WAIT" },
    { side: "server", state: "FIN_WAIT2" },
  ]);
  assert.deepEqual(
    leftoversOf(rows, {
      client: parseEndpoint("127.0.0.1:1"),
      server: parseEndpoint("127.0.0.1:8080"),
    }),
    [],
  );
});

// Integration: real loopback connections, read back through sock_diag and
// compared with `ss` (iproute2), an observer that shares no code with ours.

const posix = hostPosix();
const linux = Deno.build.os === "linux";

/** `ss`'s state names (iproute2 `misc/ss.c`, `sstate_name`) in ours. */
const SS_STATES: Record<string, string> = {
  "ESTAB": "ESTABLISHED",
  "SYN-SENT": "SYN_SENT",
  "SYN-RECV": "SYN_RECEIVED",
  "FIN-WAIT-1": "FIN_WAIT1",
  "FIN-WAIT-2": "FIN_WAIT2",
  "TIME-WAIT": "TIME_WAIT",
  "UNCONN": "CLOSED",
  "CLOSE-WAIT": "CLOSE_WAIT",
  "LAST-ACK": "LAST_ACK",
  "LISTEN": "LISTEN",
  "CLOSING": "CLOSING",
};

const ss = linux
  ? requireTool("ss", ["-V"], "the cross-checks with ss (iproute2)")
  : null;

/** What `ss` lists for the connection, as leftovers. */
function ssLeftovers(endpoints: Endpoints): Leftover[] {
  const port = endpoints.server.port;
  const out = new Deno.Command("ss", {
    args: ["-tanH", "state", "all", `( sport = :${port} or dport = :${port} )`],
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const rows = new TextDecoder().decode(out.stdout).split("\n")
    .filter((line) => line.trim() !== "")
    .map((line): KernelSocketRow => {
      const [state = "", , , local = "", remote = ""] = line.trim().split(
        /\s+/,
      );
      return {
        local: parseEndpoint(local),
        remote: parseEndpoint(remote),
        state: SS_STATES[state] ?? state,
      };
    });
  return leftoversOf(rows, endpoints);
}

/** How a case tears the connection down; fds it leaves open are returned. */
type Teardown = (pair: LoopbackPair) => number[];

/** The client closes, the server sees the FIN (CLOSE_WAIT), then closes. */
const clientClosesFirst: Teardown = (pair) => {
  posix.close(pair.client);
  leftoversOnceSettled(posix, pair.endpoints, [
    { side: "client", state: "FIN_WAIT2" },
    { side: "server", state: "CLOSE_WAIT" },
  ]);
  posix.close(pair.server);
  return [];
};

const CASES: {
  name: string;
  family: SocketAddress["family"];
  teardown: Teardown;
  expected: Leftover[];
}[] = [
  {
    name: "an open connection is ESTABLISHED on both sides",
    family: "inet",
    teardown: (pair) => [pair.client, pair.server],
    expected: [
      { side: "client", state: "ESTABLISHED" },
      { side: "server", state: "ESTABLISHED" },
    ],
  },
  {
    name: "the client closing first leaves the client in TIME_WAIT",
    family: "inet",
    teardown: clientClosesFirst,
    expected: [{ side: "client", state: "TIME_WAIT" }],
  },
  {
    name: "the client closing first over IPv6 leaves the client in TIME_WAIT",
    family: "inet6",
    teardown: clientClosesFirst,
    expected: [{ side: "client", state: "TIME_WAIT" }],
  },
  {
    name:
      "the server closing while the client keeps its fd leaves an orphan in FIN_WAIT2",
    family: "inet",
    teardown: (pair) => {
      posix.close(pair.server);
      return [pair.client];
    },
    expected: [
      { side: "client", state: "CLOSE_WAIT" },
      { side: "server", state: "FIN_WAIT2" },
    ],
  },
  {
    name: "a linger {1,0} close sends RST and leaves nothing",
    family: "inet",
    teardown: (pair) => {
      posix.setLinger(pair.client, { onoff: 1, seconds: 0 });
      posix.close(pair.client);
      posix.close(pair.server);
      return [];
    },
    expected: [],
  },
];

for (const c of CASES) {
  Deno.test({
    name: `readLeftovers(): ${c.name}, as ss lists it`,
    ignore: !linux,
    fn: () => {
      const pair = openLoopbackPair(posix, c.family);
      let open = [pair.client, pair.server];
      try {
        open = c.teardown(pair);
        const found = leftoversOnceSettled(posix, pair.endpoints, c.expected);
        assert.deepEqual(found, { leftovers: c.expected });
        if (ss !== null) {
          assert.deepEqual(
            ssLeftovers(pair.endpoints),
            c.expected,
            `ss (${ss}) disagrees`,
          );
        }
      } finally {
        for (const fd of open) posix.close(fd);
      }
    },
  });
}

Deno.test({
  name:
    "readLeftovers() leaves no fd open, also when the 4-tuple has no socket",
  ignore: !linux,
  fn: () => {
    const before = openSocketCount();
    for (let i = 0; i < 100; i++) {
      assert.deepEqual(
        readLeftovers({
          client: parseEndpoint("127.0.0.1:1"),
          server: parseEndpoint("127.0.0.1:2"),
        }),
        {
          leftovers: [],
        },
      );
    }
    assert.equal(openSocketCount(), before);
  },
});
