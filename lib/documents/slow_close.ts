/**
 * "What does close() do with unsent data under each linger setting?",
 * from the `slowclose` experiment's cases: per SO_LINGER setting and
 * blocking mode, what close() returned and how long it took (the trials'
 * `durations`), what the peer then read, and what the actor put on the
 * wire after close(): before the peer read, and once it did.
 *
 * @module
 */

import { observationKey as key } from "../engine/keys.ts";
import { caseId, type Experiment } from "../engine/scenario.ts";
import type { CaseResult, Segment } from "../results/format.ts";
import {
  type AnswerCell,
  type AnswerRow,
  type CaseIndex,
  type Draft,
  experimentFactors,
  NOT_RUN,
} from "./answer.ts";
import { whyNotRun } from "./dead_peers.ts";
import { trialDurations } from "./durations.ts";
import { showValue } from "./words.ts";

const ACTOR = "actor";
const PEER = "peer";

/**
 * What `side` sent in `segments`: `data`, `FIN`, `RST`, each once, in the
 * order it first appeared (a retransmission after the FIN does not make
 * it "data, FIN, data"); pure ACKs (window probes among them) are left
 * out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sentKinds } from "./slow_close.ts";
 * const s = (from: "client" | "server", flags: string, len: number) =>
 *   ({ from, flags, len });
 * assert.equal(
 *   sentKinds([s("client", ".", 100), s("client", "P.", 50),
 *     s("server", ".", 0), s("client", "F.", 0), s("client", "P.", 50)],
 *     "client"),
 *   "data, FIN",
 * );
 * assert.equal(sentKinds([s("client", ".", 0)], "client"), "nothing");
 * ```
 */
export function sentKinds(segments: readonly Segment[], side: string): string {
  const kinds: string[] = [];
  for (const s of segments) {
    if (s.from !== side) continue;
    const here = [
      ...(s.len > 0 ? ["data"] : []),
      ...(s.flags.includes("F") ? ["FIN"] : []),
      ...(s.flags.includes("R") ? ["RST"] : []),
    ];
    for (const kind of here) if (!kinds.includes(kind)) kinds.push(kind);
  }
  return kinds.length ? kinds.join(", ") : "nothing";
}

/**
 * The actor's segments after close(): until the peer's observation after
 * it, and from there to the end of the steps (the peer reading).
 */
function wireAfterClose(c: CaseResult, side: string): string | null {
  const trial = c.trials.find((t) => Array.isArray(t.wire));
  const cuts = trial?.wireCheckpoints;
  if (!trial?.wire || !cuts) return null;
  const own = trial.wire.slice(0, trial.wireCleanupAt ?? trial.wire.length);
  const from = cuts["before"];
  const read = cuts["after_close"];
  if (from === undefined || read === undefined) return null;
  return `until the peer read: ${
    sentKinds(own.slice(from, read), side)
  }; once it read: ${sentKinds(own.slice(read), side)}`;
}

function cellText(c: CaseResult, experiment: Experiment): string {
  const missing = whyNotRun(c);
  if (missing !== null) return `could not run: ${missing}`;
  const o = c.observations;
  const time = trialDurations(c, key(ACTOR, "close"));
  const unstable = c.stable ? "" : " (trials disagree)";
  const close = experiment.steps(c.params).find((s) =>
    s.op === "close" && s.as === ACTOR
  );
  const wire = (close && wireAfterClose(c, close.side)) ?? "no wire evidence";
  return `close() ${showValue(o[key(ACTOR, "close")])}` +
    (time === null ? "" : ` in ${time}`) +
    `; the peer read ${showValue(o[key(PEER, "received")])}, then ` +
    `${showValue(o[key(PEER, "drain")])}; actor's wire ${wire}${unstable}`;
}

/** The answer, or `null` where no platform ran the experiment. */
export function slowClose(
  index: CaseIndex,
  experiments: readonly Experiment[],
): Draft | null {
  const found = experimentFactors(experiments, "slowclose", [
    "linger",
    "blocking",
  ]);
  if (!found) return null;
  const { experiment, values: [lingers, blocking] } = found;
  const rows: AnswerRow[] = [];
  for (const linger of lingers) {
    for (const mode of blocking) {
      const id = caseId(experiment.name, { linger, blocking: mode });
      const cells = index.map((cases): AnswerCell => {
        const c = cases.get(id);
        return c
          ? { text: cellText(c, experiment), caseId: id }
          : { text: NOT_RUN };
      });
      const setting = linger === "off" ? "off" : `{1,${linger}}`;
      rows.push({
        label: `linger ${setting}, ${
          mode === "yes" ? "blocking" : "non-blocking"
        }`,
        cells,
      });
    }
  }
  return {
    id: "slow-close",
    question: "What does close() do with unsent data under each linger " +
      "setting?",
    how: "The actor filled its send buffer towards a peer that stopped " +
      "reading (its window closed), then called close(). Each cell: what " +
      "close() returned and how long it took; how much of what the " +
      "actor's send() took the peer then read (all, part or none) and how " +
      "its reading ended; and what the actor sent after close(), before " +
      "the peer read and once it did.",
    rowHeading: "SO_LINGER, socket",
    summary: index.map(() => ""),
    rows,
  };
}
