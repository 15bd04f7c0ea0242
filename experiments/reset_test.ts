import assert from "node:assert/strict";
import { hostPosix } from "../ffi/posix.ts";
import { runCase } from "../lib/engine/run.ts";
import {
  expandCases,
  stepCheckpoint,
  stepKeys,
} from "../lib/engine/scenario.ts";
import { DEFAULT_TRIAL_OPTIONS } from "../lib/engine/trial.ts";
import { openFdCount } from "../lib/testing/fds.ts";
import { openCapture } from "../lib/wire/capture.ts";
import { EXPERIMENTS, isSlowExperiment } from "./mod.ts";
import { reset } from "./reset.ts";

const posix = hostPosix();

Deno.test("the reset experiment has its 6 cases", () => {
  assert.deepEqual(expandCases(reset).map((c) => c.id), [
    "reset/first=recv,reset=abortive",
    "reset/first=so_error,reset=abortive",
    "reset/first=send,reset=abortive",
    "reset/first=recv,reset=after_fin",
    "reset/first=so_error,reset=after_fin",
    "reset/first=send,reset=after_fin",
  ]);
});

Deno.test({
  name:
    "on Linux a pending reset error goes to whichever call asks first, once",
  ignore: Deno.build.os !== "linux",
  fn: async (t) => {
    const fds = openFdCount();
    for (const c of expandCases(reset)) {
      await t.step(c.id, () => {
        const result = runCase(posix, c, 2, DEFAULT_TRIAL_OPTIONS);
        assert.ok(result.stable, `unstable: ${result.unstableKeys}`);
        assert.ok(result.trials.every((t) => t.error === null));
        const o = result.observations;
        const first = c.params.first === "send"
          ? o["peer.send.first"]
          : o[`peer.${c.params.first}.first`];
        if (c.params.reset === "abortive") {
          // The RST alone: ECONNRESET to the first caller, nothing after.
          assert.equal(first, "ECONNRESET");
          assert.equal(o["peer.so_error.then"], "none");
        } else if (c.params.first === "recv") {
          // After the FIN, recv() reports end of file and leaves the
          // error (EPIPE: the RST came in CLOSE_WAIT) for SO_ERROR.
          assert.equal(first, "eof");
          assert.equal(o["peer.so_error.then"], "EPIPE");
        } else {
          assert.equal(first, "EPIPE");
          assert.equal(o["peer.so_error.then"], "none");
        }
        assert.equal(o["peer.recv.then"], "eof");
        assert.equal(o["peer.recv.again"], "eof");
        assert.equal(o["peer.so_error.again"], "none");
        assert.equal(o["peer.tcp_state.then"], "CLOSED");
      });
    }
    assert.equal(openFdCount(), fds, "a trial leaked a file descriptor");
  },
});

Deno.test({
  name:
    "every key a trial records is one its steps announce, and checkpoints sit on the wire in order",
  ignore: Deno.build.os !== "linux",
  fn: () => {
    const wire = openCapture(posix);
    try {
      // The slow experiments check their own, with trials side by side.
      for (
        const experiment of EXPERIMENTS.filter((e) => !isSlowExperiment(e))
      ) {
        for (const c of expandCases(experiment)) {
          const steps = experiment.steps(c.params);
          const announced = new Set(steps.flatMap(stepKeys));
          const result = runCase(posix, c, 1, {
            ...DEFAULT_TRIAL_OPTIONS,
            wire,
          });
          const trial = result.trials[0]!;
          for (const key of Object.keys(trial.observations)) {
            assert.ok(announced.has(key), `${c.id}: ${key}`);
          }
          if (!trial.wire) continue;
          // Checkpoints are reached in step order, never past the wire.
          const order = steps.flatMap((s) => stepCheckpoint(s) ?? []);
          const at = [...new Set(order)].map((cp) =>
            trial.wireCheckpoints?.[cp]
          );
          assert.ok(at.every((n) => n !== undefined), c.id);
          for (let i = 1; i < at.length; i++) {
            assert.ok(at[i]! >= at[i - 1]!, `${c.id}: ${at}`);
          }
          assert.ok(at.at(-1)! <= trial.wire.length, c.id);
        }
      }
    } finally {
      if ("close" in wire) wire.close();
    }
  },
});
