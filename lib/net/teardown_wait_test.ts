import assert from "node:assert/strict";
import { pollNames } from "../../ffi/pollfd.ts";
import { hostPosix, Posix, type ValueOutcome } from "../../ffi/posix.ts";
import { hostTable } from "../../ffi/tables/mod.ts";
import { openSocketCount } from "../testing/fds.ts";
import { openLoopbackPair } from "../testing/loopback.ts";
import { Deadline, DeadlineExceeded } from "./deadline.ts";
import { pollReportsRdhup } from "./rdhup.ts";
import {
  teardownArrived,
  teardownEvents,
  waitTeardown,
} from "./teardown_wait.ts";

/** A Posix whose table has no POLLRDHUP (as macOS or OpenBSD), counting polls. */
class NoRdhupPosix extends Posix {
  polls = 0;

  constructor() {
    const table = hostTable();
    super({ ...table, constants: { ...table.constants, POLLRDHUP: null } });
  }

  override poll(
    fds: readonly { fd: number; events: number }[],
    timeoutMs: number,
  ): ValueOutcome<number[]> {
    this.polls++;
    return super.poll(fds, timeoutMs);
  }
}

const encode = (text: string) => new TextEncoder().encode(text);

/** Runs `fn` on a fresh loopback pair and closes both ends afterwards. */
function withPair(
  posix: Posix,
  fn: (pair: { client: number; server: number }) => void,
): void {
  const pair = openLoopbackPair(posix);
  try {
    fn(pair);
  } finally {
    posix.close(pair.client);
    posix.close(pair.server);
  }
}

Deno.test({
  name: "waitTeardown() where poll reports no POLLRDHUP",
  ignore: Deno.build.os !== "linux",
  fn: async (t) => {
    const posix = new NoRdhupPosix();
    const c = posix.table.constants;
    const before = openSocketCount();

    await t.step("asks for POLLIN alone", () => {
      assert.equal(pollReportsRdhup(posix), false);
      assert.equal(teardownEvents(posix), c.POLLIN);
    });

    await t.step("sees a FIN with nothing unread as POLLIN, CLOSE_WAIT", () => {
      withPair(posix, ({ client, server }) => {
        assert.equal(teardownArrived(posix, server, 0), false);
        posix.shutdown(client, "wr");
        const revents = waitTeardown(posix, server, "fin", new Deadline(2000));
        assert.equal(pollNames(posix.table, revents), "POLLIN");
        assert.equal(posix.tcpState(server).value, "CLOSE_WAIT");
        assert.equal(teardownArrived(posix, server, revents), true);
      });
    });

    await t.step("sees a FIN behind unread data", () => {
      withPair(posix, ({ client, server }) => {
        posix.send(client, encode("DATA"));
        posix.shutdown(client, "wr");
        const revents = waitTeardown(posix, server, "fin", new Deadline(2000));
        assert.equal(pollNames(posix.table, revents), "POLLIN");
        // The data is still there to read: the wait only looked.
        assert.equal(posix.recv(server, 16, c.MSG_PEEK).ret, 4);
      });
    });

    await t.step("sees an RST and leaves its error pending", () => {
      withPair(posix, ({ client, server }) => {
        posix.setLinger(client, { onoff: 1, seconds: 0 });
        posix.close(client);
        const revents = waitTeardown(posix, server, "rst", new Deadline(2000));
        assert.equal(
          pollNames(posix.table, revents),
          "POLLIN|POLLERR|POLLHUP",
        );
        assert.equal(posix.soError(server).value, "ECONNRESET");
      });
    });

    await t.step(
      "with nothing unread, sleeps in poll until the deadline rather than slicing",
      () => {
        withPair(posix, ({ server }) => {
          posix.polls = 0;
          const deadline = new Deadline(60);
          assert.throws(
            () => waitTeardown(posix, server, "idle", deadline),
            DeadlineExceeded,
          );
          assert.ok(deadline.passed());
          assert.ok(posix.polls <= 6, `${posix.polls} polls`);
        });
      },
    );

    await t.step(
      "with unread data, polls in slices and still ends at the deadline",
      () => {
        withPair(posix, ({ client, server }) => {
          posix.send(client, encode("DATA"));
          const deadline = new Deadline(60);
          assert.throws(
            () => waitTeardown(posix, server, "unread", deadline),
            /unread: nothing within 60 ms/,
          );
          assert.ok(deadline.passed());
        });
      },
    );

    await t.step("refuses a closed fd instead of waiting", () => {
      const pair = openLoopbackPair(posix);
      posix.close(pair.client);
      posix.close(pair.server);
      assert.throws(
        () => waitTeardown(posix, pair.server, "closed", new Deadline(2000)),
        /is not open/,
      );
    });

    assert.equal(openSocketCount(), before, "a wait leaked a file descriptor");
  },
});

Deno.test({
  name: "waitTeardown() on the Linux kernel reports POLLIN|POLLRDHUP for a FIN",
  ignore: Deno.build.os !== "linux" || !pollReportsRdhup(hostPosix()),
  fn: () => {
    const posix = hostPosix();
    const c = posix.table.constants;
    assert.equal(teardownEvents(posix), c.POLLIN | c.POLLRDHUP!);
    withPair(posix, ({ client, server }) => {
      posix.send(client, encode("DATA"));
      posix.shutdown(client, "wr");
      const revents = waitTeardown(posix, server, "fin", new Deadline(2000));
      assert.equal(pollNames(posix.table, revents), "POLLIN|POLLRDHUP");
    });
  },
});
