import assert from "node:assert/strict";
import type { TrialResult } from "../results/format.ts";
import { foldTrials } from "./run.ts";
import { expandCases, type Experiment } from "./scenario.ts";

const toy: Experiment = {
  name: "toy",
  intent: "A toy.",
  factors: [{ name: "a", values: ["1"] }],
  roles: ["client", "server"],
  checkpoints: [],
  headline: [],
  steps: () => [],
};
const c = expandCases(toy)[0]!;

function trial(
  state: string,
  flags: string,
  leftover = "TIME_WAIT",
): TrialResult {
  return {
    endpoints: { client: "127.0.0.1:1", server: "127.0.0.1:2" },
    observations: { "peer.tcp_state.after": state },
    error: null,
    wire: [{ from: "server", flags, len: 0 }],
    leftovers: [{ side: "server", state: leftover }],
  };
}

Deno.test("foldTrials() calls agreeing trials stable", () => {
  const r = foldTrials(c, [
    trial("CLOSE_WAIT", "F."),
    trial("CLOSE_WAIT", "F."),
  ]);
  assert.equal(r.stable, true);
  assert.equal(r.unstableKeys, undefined);
  assert.deepEqual(r.observations, { "peer.tcp_state.after": "CLOSE_WAIT" });
});

Deno.test("foldTrials() lists every disagreeing key, wire and leftovers included, and keeps the first trial's values", () => {
  const r = foldTrials(c, [
    trial("CLOSE_WAIT", "F."),
    trial("CLOSED", "R.", "FIN_WAIT2"),
  ]);
  assert.equal(r.stable, false);
  assert.deepEqual(r.unstableKeys, [
    "leftovers",
    "peer.tcp_state.after",
    "wire",
  ]);
  assert.deepEqual(r.observations, { "peer.tcp_state.after": "CLOSE_WAIT" });
  assert.equal(r.trials.length, 2);
});

Deno.test("foldTrials() flags trials whose errors differ", () => {
  const failed = { ...trial("CLOSE_WAIT", "F."), error: "deadline" };
  const r = foldTrials(c, [trial("CLOSE_WAIT", "F."), failed]);
  assert.deepEqual(r.unstableKeys, ["error"]);
});
