import assert from "node:assert/strict";
import { hostPosix } from "../ffi/posix.ts";
import { runCases } from "../lib/engine/jobs.ts";
import { expandCases, stepKeys } from "../lib/engine/scenario.ts";
import { DEFAULT_TRIAL_OPTIONS } from "../lib/engine/trial.ts";
import { sentKinds } from "../lib/documents/slow_close.ts";
import { openCapture } from "../lib/wire/capture.ts";
import { openSocketCount } from "../lib/testing/fds.ts";
import { slowclose } from "./slowclose.ts";

const posix = hostPosix();

Deno.test("the slowclose experiment has its 6 cases", () => {
  assert.deepEqual(expandCases(slowclose).map((c) => c.id), [
    "slowclose/blocking=yes,linger=off",
    "slowclose/blocking=no,linger=off",
    "slowclose/blocking=yes,linger=0",
    "slowclose/blocking=no,linger=0",
    "slowclose/blocking=yes,linger=2",
    "slowclose/blocking=no,linger=2",
  ]);
});

Deno.test({
  name:
    "on Linux close() with unsent data: linger off and {1,2} deliver it all, {1,0} resets, and {1,2} blocks even a non-blocking socket",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const sockets = openSocketCount();
    const tap = openCapture(posix);
    if ("close" in tap) tap.close();
    const outcome = await runCases(posix, expandCases(slowclose), {
      jobs: 12,
      trials: 2,
      trial: { ...DEFAULT_TRIAL_OPTIONS, leftovers: true, wire: tap },
    });
    for (const c of outcome.cases) {
      assert.ok(c.stable, `${c.id} unstable: ${c.unstableKeys}`);
      const announced = new Set(slowclose.steps(c.params).flatMap(stepKeys));
      for (const t of c.trials) {
        assert.equal(t.error, null, c.id);
        for (const key of Object.keys(t.observations)) {
          assert.ok(announced.has(key), `${c.id}: ${key}`);
        }
      }
      const o = c.observations;
      assert.equal(o["actor.fill"], "EAGAIN", c.id);
      // Linux's close() returns 0 under every linger setting.
      assert.equal(o["actor.close"], "ok", c.id);
      const closeMs = c.trials.map((t) => t.durations!["actor.close"]!);
      // What the actor sent after close(), where the wire is captured
      // (root): an RST with {1,0}, else the rest of the data and a FIN.
      const trial = c.trials[0]!;
      const sentAfter = trial.wire
        ? sentKinds(
          trial.wire.slice(trial.wireCheckpoints!["before"]!),
          "client",
        )
        : null;
      if (c.params.linger === "0") {
        // The unsent data is thrown away, and the peer reads what had
        // reached it before the error.
        assert.equal(o["peer.received"], "part", c.id);
        assert.equal(o["peer.drain"], "ECONNRESET", c.id);
        if (sentAfter !== null) assert.equal(sentAfter, "RST", c.id);
      } else {
        assert.equal(o["peer.received"], "all", c.id);
        assert.equal(o["peer.drain"], "eof", c.id);
        if (sentAfter !== null) assert.equal(sentAfter, "data, FIN", c.id);
      }
      // SO_LINGER {1,2}: close() waits out its 2 s for the peer, which
      // never reads meanwhile; Linux ignores O_NONBLOCK there. The bound
      // is the kernel's timer, not this machine's speed.
      if (c.params.linger === "2") {
        assert.ok(closeMs.every((ms) => ms >= 1900), `${c.id}: ${closeMs}`);
      } else {
        assert.ok(closeMs.every((ms) => ms < 1000), `${c.id}: ${closeMs}`);
      }
    }
    assert.equal(openSocketCount(), sockets, "a socket was left open");
  },
});
