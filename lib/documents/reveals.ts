/**
 * Where a watching peer first saw the other side's teardown: for each of
 * its observers, the first checkpoint at which it showed something other
 * than at the baseline, or a send that failed; and whether it showed only
 * once the watcher itself had tried to send. The watch plan (the watcher's
 * sends and the checkpoints after them) is read from the case's steps.
 *
 * @module
 */

import { observationKey as key } from "../engine/keys.ts";
import type { Observation } from "../engine/observers.ts";
import type { Step } from "../engine/scenario.ts";

/** What one of the peer's observers made of the actor's teardown. */
export interface Reveal {
  /** First checkpoint (or `send.first`/`send.second`) where it showed. */
  readonly at: string;
  readonly value: Observation;
  /** Whether it showed only once the peer itself had tried to send. */
  readonly afterSending: boolean;
}

/** Observers whose value at `before` is the baseline a change is seen from. */
export const PEER_OBSERVERS = [
  "poll",
  "recv",
  "tcp_state",
  "getpeername",
  "so_error",
] as const;

/** What the watcher of one case does, read from the case's steps. */
export interface WatchPlan {
  /** The watcher's role, the prefix of its keys. */
  readonly watcher: string;
  /** The experiment's checkpoints; the first is the baseline. */
  readonly checkpoints: readonly string[];
  /** Labels of the watcher's recorded sends, in order (`first`, …). */
  readonly sends: readonly string[];
  /** Checkpoints the steps reach only after the watcher tried to send. */
  readonly afterSending: readonly string[];
}

/** The watch plan of a case with `steps`. */
export function watchPlan(
  watcher: string,
  checkpoints: readonly string[],
  steps: readonly Step[],
): WatchPlan {
  const labelled = (s: Step) =>
    s.op === "send" && s.as === watcher && s.checkpoint !== undefined
      ? s.checkpoint
      : null;
  const sends = steps.map(labelled).filter((l) => l !== null);
  const first = steps.findIndex((s) => labelled(s) !== null);
  const afterSending = first < 0 ? [] : [
    ...new Set(
      steps.slice(first).flatMap((s) =>
        s.op === "observe" ? [s.checkpoint] : []
      ),
    ),
  ];
  return { watcher, checkpoints, sends, afterSending };
}

/** Where each of the watcher's observers first showed the teardown. */
export function revealsOf(
  observations: Readonly<Record<string, Observation>>,
  plan: WatchPlan,
): Record<string, Reveal | null> {
  const { watcher } = plan;
  const [baseline, ...later] = plan.checkpoints;
  const out: Record<string, Reveal | null> = {};
  for (const observer of PEER_OBSERVERS) {
    const before = observations[key(watcher, observer, baseline)];
    const at = later.find((cp) => {
      const value = observations[key(watcher, observer, cp)];
      return value !== undefined && value !== before;
    });
    out[observer] = at === undefined ? null : {
      at,
      value: observations[key(watcher, observer, at)]!,
      afterSending: plan.afterSending.includes(at),
    };
  }
  // A send that fails tells the watcher; one that succeeds tells it nothing.
  const send = plan.sends.find((label) =>
    typeof observations[key(watcher, "send", label)] === "string"
  );
  out.send = send === undefined ? null : {
    at: `send.${send}`,
    value: observations[key(watcher, "send", send)]!,
    afterSending: true,
  };
  return out;
}
