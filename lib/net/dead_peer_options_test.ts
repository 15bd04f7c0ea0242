import assert from "node:assert/strict";
import { hostPosix } from "../../ffi/posix.ts";
import { openLoopbackPair } from "../testing/loopback.ts";
import { setKeepalive, setUserTimeout } from "./dead_peer_options.ts";

const posix = hostPosix();
const c = posix.table.constants;

Deno.test({
  name: "setKeepalive() and setUserTimeout() set what getsockopt() reads back",
  ignore: Deno.build.os !== "linux",
  fn: () => {
    const { client, server } = openLoopbackPair(posix);
    try {
      setKeepalive(posix, client, { idleS: 7, intervalS: 3, count: 4 });
      setUserTimeout(posix, client, 1500);
      const read = (level: number, name: number | null) =>
        posix.getIntOption(client, level, name!).value;
      assert.equal(read(c.SOL_SOCKET, c.SO_KEEPALIVE), 1);
      assert.equal(read(c.IPPROTO_TCP, c.TCP_KEEPIDLE), 7);
      assert.equal(read(c.IPPROTO_TCP, c.TCP_KEEPINTVL), 3);
      assert.equal(read(c.IPPROTO_TCP, c.TCP_KEEPCNT), 4);
      assert.equal(read(c.IPPROTO_TCP, c.TCP_USER_TIMEOUT), 1500);
    } finally {
      posix.close(client);
      posix.close(server);
    }
  },
});

Deno.test("a keepalive count the kernel refuses fails with the call's name", () => {
  const { client, server } = openLoopbackPair(posix);
  try {
    assert.throws(
      () => setKeepalive(posix, client, { idleS: 1, intervalS: 1, count: 0 }),
      /setsockopt\(TCP_KEEPCNT\)\(\) failed: EINVAL/,
    );
  } finally {
    posix.close(client);
    posix.close(server);
  }
});
