/**
 * "Which detector finds which fate, with which error, after how long?",
 * from the `deadpeer` experiment's cases: per detector and fate, what the
 * watcher detected (the error its socket gave, or nothing within the
 * window), which call showed it first, and the time from the fate (the
 * trials' `durations`, shown as recorded, never compared). A platform
 * whose trials could not run says why.
 *
 * @module
 */

import { observationKey as key } from "../engine/keys.ts";
import { caseId, type Experiment } from "../engine/scenario.ts";
import type { CaseResult } from "../results/format.ts";
import {
  type AnswerCell,
  type AnswerRow,
  type CaseIndex,
  type Draft,
  experimentFactors,
  NOT_RUN,
} from "./answer.ts";
import { trialDurations } from "./durations.ts";
import { showValue } from "./words.ts";

/** The role whose detection the experiment records. */
const WATCHER = "watcher";

/**
 * Why a case has no observations (its first trial's error), or `null`
 * when it has some.
 */
export function whyNotRun(c: CaseResult): string | null {
  if (Object.keys(c.observations).length > 0) return null;
  return c.trials.find((t) => t.error)?.error ?? "no trial recorded anything";
}

/** A cell's text for a case that did not run: the reason is in the summary. */
const COULD_NOT_RUN = "could not run here (see above)";

/** What the watcher detected in `c`, in words. */
function detectionText(c: CaseResult, windowS: number | null): string {
  if (whyNotRun(c) !== null) return COULD_NOT_RUN;
  const o = c.observations;
  const detected = o[key(WATCHER, "detected")];
  const by = o[key(WATCHER, "detected_by")];
  const unstable = c.stable ? "" : " (trials disagree)";
  if (detected === "none") {
    const window = windowS === null ? "the window" : `${windowS} s`;
    return `nothing within ${window}${unstable}`;
  }
  const time = trialDurations(c, key(WATCHER, "detected"));
  const after = time === null ? "" : ` after ${time}`;
  return `${showValue(detected)} (${showValue(by)})${after}${unstable}`;
}

/** The experiment's watch window in seconds, from its steps. */
function windowSeconds(experiment: Experiment, c: CaseResult): number | null {
  const watch = experiment.steps(c.params).find((s) => s.op === "watch");
  return watch?.op === "watch" ? watch.windowMs / 1000 : null;
}

/** The answer, or `null` where no platform ran the experiment. */
export function deadPeers(
  index: CaseIndex,
  experiments: readonly Experiment[],
): Draft | null {
  const found = experimentFactors(experiments, "deadpeer", [
    "detector",
    "fate",
  ]);
  if (!found) return null;
  const { experiment, values: [detectors, fates] } = found;
  const counts = index.map(() => ({
    cases: 0,
    found: 0,
    ran: 0,
    why: new Set<string>(),
  }));
  const rows: AnswerRow[] = [];
  for (const detector of detectors) {
    for (const fate of fates) {
      const id = caseId(experiment.name, { detector, fate });
      const cells = index.map((cases, p): AnswerCell => {
        const c = cases.get(id);
        if (!c) return { text: NOT_RUN };
        const n = counts[p]!;
        n.cases++;
        const why = whyNotRun(c);
        if (why !== null) n.why.add(why);
        else {
          n.ran++;
          if (c.observations[key(WATCHER, "detected")] !== "none") n.found++;
        }
        return {
          text: detectionText(c, windowSeconds(experiment, c)),
          caseId: id,
        };
      });
      rows.push({ label: `${detector}: ${fate}`, cells });
    }
  }
  return {
    id: "dead-peer",
    question: "Which detector finds which dead peer, with which error, " +
      "after how long?",
    how: 'The watcher relies on one detector ("none": it only polls; ' +
      '"keepalive": SO_KEEPALIVE, idle 1 s, interval 1 s, 2 probes; ' +
      '"user_timeout": TCP_USER_TIMEOUT 1.5 s with data sent after the ' +
      'fate; "write": data sent after the fate). The peer\'s process ' +
      "hung (its kernel still answers), its host vanished (drops every " +
      "packet) or rebooted (answers with RST). Each cell: the error the " +
      "watcher's socket gave, the call that showed it first, and the time " +
      "from the fate, as the trials measured it.",
    rowHeading: "detector: fate",
    summary: counts.map((n) => {
      if (n.cases === 0) return "";
      const why = [...n.why].join("; ");
      if (n.ran === 0) {
        return `none of the ${n.cases} cases could run here: ${why}.`;
      }
      return `${n.found} of ${n.ran} cases that ran found the dead peer ` +
        `within the window` +
        (n.ran < n.cases ? `; ${n.cases - n.ran} could not run: ${why}.` : ".");
    }),
    rows,
  };
}
