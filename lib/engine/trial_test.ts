import assert from "node:assert/strict";
import { hostPosix, Posix } from "../../ffi/posix.ts";
import { hostTable } from "../../ffi/tables/mod.ts";
import { Deadline } from "../net/deadline.ts";
import { pollReportsRdhup } from "../net/rdhup.ts";
import { openSocketCount } from "../testing/fds.ts";
import type { WireTap } from "../wire/capture.ts";
import type { Segment } from "../wire/segments.ts";
import type { Step } from "./scenario.ts";
import { DEFAULT_TRIAL_OPTIONS, runTrial } from "./trial.ts";

/** The host's libc with a table that has no POLLRDHUP (as macOS, OpenBSD). */
function posixWithoutRdhup(): Posix {
  const table = hostTable();
  return new Posix({
    ...table,
    constants: { ...table.constants, POLLRDHUP: null },
  });
}

/** A wire tap that shows `segments` whatever crossed the wire. */
function fakeWire(segments: Segment[]): WireTap {
  return {
    reset() {},
    waitQuiet(_quietMs: number, _deadline: Deadline) {},
    segments: () => segments,
  };
}

/** The server answers, shuts down for writing and closes; the client waits. */
const serverLeaves: Step[] = [
  { side: "server", op: "send", data: "PONG" },
  { side: "server", op: "shutdown", how: "wr" },
  { side: "server", op: "close" },
  { side: "client", op: "await_teardown", checkpoint: "after_wait" },
];

Deno.test({
  name: "await_teardown",
  ignore: Deno.build.os !== "linux",
  fn: async (t) => {
    const before = openSocketCount();

    await t.step("records POLLIN for a FIN where poll has no POLLRDHUP", () => {
      const posix = posixWithoutRdhup();
      const trial = runTrial(posix, serverLeaves);
      assert.equal(trial.error, null);
      assert.equal(trial.observations["client.poll.after_wait"], "POLLIN");
    });

    await t.step("records POLLIN|POLLRDHUP where the stack reports it", () => {
      const posix = hostPosix();
      if (!pollReportsRdhup(posix)) return; // gVisor
      const trial = runTrial(posix, serverLeaves);
      assert.equal(trial.error, null);
      assert.equal(
        trial.observations["client.poll.after_wait"],
        "POLLIN|POLLRDHUP",
      );
    });

    await t.step("records the RST that followed the FIN", () => {
      const steps: Step[] = [
        { side: "server", op: "send", data: "PONG" },
        { side: "server", op: "set_linger", linger: { onoff: 1, seconds: 0 } },
        ...serverLeaves.slice(1),
      ];
      for (const posix of [posixWithoutRdhup(), hostPosix()]) {
        const trial = runTrial(posix, steps);
        assert.equal(trial.error, null);
        assert.equal(
          trial.observations["client.poll.after_wait"],
          pollReportsRdhup(posix)
            ? "POLLIN|POLLERR|POLLHUP|POLLRDHUP"
            : "POLLIN|POLLERR|POLLHUP",
        );
      }
    });

    assert.equal(openSocketCount(), before, "a trial leaked a file descriptor");
  },
});

Deno.test({
  name:
    "settle notes when the peer saw the teardown, with or without POLLRDHUP",
  ignore: Deno.build.os !== "linux",
  fn: () => {
    const steps: Step[] = [
      { side: "server", as: "actor", op: "shutdown", how: "wr" },
      { side: "client", as: "peer", op: "settle" },
    ];
    for (const posix of [posixWithoutRdhup(), hostPosix()]) {
      const trial = runTrial(posix, steps);
      assert.equal(trial.error, null);
      assert.ok(
        "peer.teardown_seen" in trial.durations,
        JSON.stringify(trial.durations),
      );
    }
  },
});

Deno.test({
  name:
    "a socket that never takes in what the wire shows sent to it ends the trial with an error, every socket closed",
  ignore: Deno.build.os !== "linux",
  fn: async (t) => {
    const before = openSocketCount();
    // The wire claims the client reset the connection; its close sends a
    // FIN, so the server reaches CLOSE_WAIT, never CLOSED.
    const wire = fakeWire([{ from: "client", flags: "R.", len: 0 }]);
    const options = { ...DEFAULT_TRIAL_OPTIONS, waitMs: 50, wire };

    await t.step("in the engine's own closing", () => {
      const trial = runTrial(hostPosix(), [], options);
      assert.match(
        trial.error ?? "",
        /^cleanup: server taking in the RST on the wire: nothing within 50 ms$/,
      );
    });

    await t.step("in a settle", () => {
      const trial = runTrial(hostPosix(), [
        { side: "client", op: "close" },
        { side: "server", as: "peer", op: "settle" },
      ], options);
      assert.match(
        trial.error ?? "",
        /^peer: settle: server taking in the RST on the wire: nothing within 50 ms$/,
      );
    });

    await t.step("not where the wire shows nothing", () => {
      const quiet = { ...options, wire: fakeWire([]) };
      const trial = runTrial(hostPosix(), [], quiet);
      assert.equal(trial.error, null);
    });

    assert.equal(openSocketCount(), before, "a trial leaked a file descriptor");
  },
});
