import assert from "node:assert/strict";
import { hostPosix, type Outcome, Posix } from "../../ffi/posix.ts";
import type { ShutdownHow } from "../../ffi/posix.ts";
import type { SocketAddress } from "../../ffi/sockaddr.ts";
import { hostTable } from "../../ffi/tables/mod.ts";
import { openSocketCount } from "../testing/fds.ts";
import { pollReportsRdhup, probePollRdhup } from "./rdhup.ts";

/** gVisor's fixed fake `uname -v` (see the stacks reference). */
const GVISOR_VERSION = "#1 SMP Sun Jan 10 15:06:54 PST 2016";

/** A Posix that counts the sockets it opens and can fail a shutdown. */
class CountingPosix extends Posix {
  sockets = 0;
  failShutdown = false;

  override socket(family: SocketAddress["family"]): Outcome {
    this.sockets++;
    return super.socket(family);
  }

  override shutdown(fd: number, how: ShutdownHow): Outcome {
    if (this.failShutdown) return { ret: -1, errno: "EINVAL" };
    return super.shutdown(fd, how);
  }
}

/** The host's table as an OS without POLLRDHUP would have it. */
function tableWithoutRdhup() {
  const table = hostTable();
  return { ...table, constants: { ...table.constants, POLLRDHUP: null } };
}

Deno.test({
  name: "probePollRdhup()",
  ignore: Deno.build.os !== "linux",
  fn: async (t) => {
    const inGvisor = hostPosix().uname().value?.version === GVISOR_VERSION;

    await t.step(
      "is true on the Linux kernel (false in gVisor) and closes what it opens",
      () => {
        const before = openSocketCount();
        assert.equal(probePollRdhup(hostPosix()), !inGvisor);
        assert.equal(probePollRdhup(hostPosix(), "inet6"), !inGvisor);
        assert.equal(openSocketCount(), before);
      },
    );

    await t.step(
      "is false without probing where the table has no POLLRDHUP",
      () => {
        const posix = new CountingPosix(tableWithoutRdhup());
        assert.equal(probePollRdhup(posix), false);
        assert.equal(pollReportsRdhup(posix), false);
        assert.equal(posix.sockets, 0);
      },
    );

    await t.step(
      "throws when the pair cannot be set up, leaking nothing",
      () => {
        const posix = new CountingPosix(hostTable());
        posix.failShutdown = true;
        const before = openSocketCount();
        assert.throws(
          () => probePollRdhup(posix),
          /shutdown\(\) failed: EINVAL/,
        );
        assert.equal(openSocketCount(), before);
        // A failed probe is not remembered: the next call probes again.
        assert.throws(() => pollReportsRdhup(posix), /EINVAL/);
        assert.equal(posix.sockets, 4);
        posix.failShutdown = false;
        assert.equal(pollReportsRdhup(posix), !inGvisor);
        assert.equal(openSocketCount(), before);
      },
    );

    await t.step("pollReportsRdhup() probes once per Posix", () => {
      const posix = new CountingPosix(hostTable());
      assert.equal(pollReportsRdhup(posix), !inGvisor);
      assert.equal(posix.sockets, 2);
      assert.equal(pollReportsRdhup(posix), !inGvisor);
      assert.equal(posix.sockets, 2);
    });
  },
});
