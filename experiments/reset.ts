/**
 * Once a reset has arrived, what do `recv()`, `getsockopt(SO_ERROR)` and
 * `send()` say, which of them takes the pending error, and does anything
 * report it twice? The kernel keeps one pending error per socket and hands
 * it to the first call that asks; this experiment makes each call ask first.
 *
 * - `reset`: `abortive` (the actor sets SO_LINGER `{1, 0}` and closes: an
 *   RST and nothing else) | `after_fin` (the actor closes in order, the
 *   peer's FIN-acknowledged socket then sends, and the closed actor answers
 *   with an RST)
 * - `first`: `recv` | `so_error` | `send`, the call the peer makes first
 *
 * Sequence: peer observes (before); the teardown; settle; the peer's first
 * call alone (checkpoint `first`, or send label `first`); every observer
 * (`then`); every observer again (`again`).
 * Run alone: `deno task run-all --only reset`.
 *
 * @module
 */

import type { Experiment, Params, Step } from "../lib/engine/scenario.ts";

/** The steps of one reset case: the server acts, the client watches. */
export function resetSteps(params: Params): Step[] {
  const actor = { side: "server", as: "actor" } as const;
  const peer = { side: "client", as: "peer" } as const;
  const steps: Step[] = [{ ...peer, op: "observe", checkpoint: "before" }];
  if (params.reset === "abortive") {
    steps.push(
      { ...actor, op: "set_linger", linger: { onoff: 1, seconds: 0 } },
      { ...actor, op: "close" },
      { ...peer, op: "settle" },
    );
  } else {
    steps.push(
      { ...actor, op: "close" },
      { ...peer, op: "settle" },
      { ...peer, op: "send", data: "MORE" },
      { ...peer, op: "settle" },
    );
  }
  if (params.first === "send") {
    steps.push({ ...peer, op: "send", data: "MORE", checkpoint: "first" });
  } else {
    steps.push({
      ...peer,
      op: "observe",
      checkpoint: "first",
      observers: [params.first === "so_error" ? "so_error" : "recv"],
    });
  }
  steps.push(
    { ...peer, op: "observe", checkpoint: "then" },
    { ...peer, op: "observe", checkpoint: "again" },
  );
  return steps;
}

/** Which call takes a pending reset error: 6 cases. */
export const reset: Experiment = {
  name: "reset",
  intent: "Verify what recv(), getsockopt(SO_ERROR) and send() return once " +
    "an RST has arrived, when each is the first call to ask, and whether " +
    "the error is reported more than once.",
  factors: [
    { name: "reset", values: ["abortive", "after_fin"] },
    { name: "first", values: ["recv", "so_error", "send"] },
  ],
  roles: ["actor", "peer"],
  checkpoints: ["before", "first", "then", "again"],
  headline: [
    "peer.recv.first",
    "peer.so_error.first",
    "peer.send.first",
    "peer.recv.then",
    "peer.so_error.then",
    "peer.recv.again",
  ],
  steps: resetSteps,
};
