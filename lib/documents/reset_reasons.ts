/**
 * Why the kernel sent each RST, from the trials' traced resets: each reset
 * is matched to its RST on the wire (the k-th reset a side's kernel traced
 * is the k-th RST that side sent; run-all checks that they pair one for
 * one), and each RST to the steps that sent it: those between the last
 * checkpoint reached before it and the next one, or the engine's cleanup.
 * Where a side's resets and RSTs do not pair (Linux 6.1 traces none of the
 * RSTs a timewait socket sends), that side's RSTs say they were not traced.
 *
 * @module
 */

import {
  type Experiment,
  type Step,
  stepCheckpoint,
} from "../engine/scenario.ts";
import type { CaseResult, TrialResult } from "../results/format.ts";

/** One reset, where it is on the wire and what sent it. */
export interface PlacedReset {
  /** Index of its RST in the trial's wire. */
  readonly index: number;
  readonly side: "client" | "server";
  /** The kernel's reason; `null` where the kernel gives none. */
  readonly reason: string | null;
  /** Whether the kernel traced it (its side's resets pair with its RSTs). */
  readonly traced: boolean;
}

/**
 * Every RST on the trial's wire, with the reason of the reset the kernel
 * traced for it; a side whose resets and RSTs do not pair has its RSTs
 * `traced: false`. `null` where the trial has no transitions or no wire.
 */
export function resetsOnWire(t: TrialResult): PlacedReset[] | null {
  if (!t.resets || !Array.isArray(t.wire)) return null;
  const placed: PlacedReset[] = [];
  for (const side of ["client", "server"] as const) {
    const rsts = t.wire.flatMap((s, i) =>
      s.from === side && s.flags.includes("R") ? [i] : []
    );
    const resets = t.resets.filter((r) => r.side === side);
    const paired = rsts.length === resets.length;
    rsts.forEach((index, k) =>
      placed.push({
        index,
        side,
        reason: paired ? resets[k]!.reason : null,
        traced: paired,
      })
    );
  }
  return placed.sort((a, b) => a.index - b.index);
}

/** The words for a step that acts: `actor close()`, `peer send()`. */
function actionText(step: Step): string | null {
  switch (step.op) {
    case "send":
    case "recv":
    case "shutdown":
    case "close":
      return `${step.as ?? step.side} ${step.op}()`;
    default:
      return null;
  }
}

/**
 * What sent segment `index` of trial `t` of case `c`: the actions between
 * the last checkpoint reached before it and the next checkpoint
 * (`actor close()`), `cleanup` for what the engine's own closing sent, or
 * `null` where the wire holds no checkpoints.
 */
export function sentAt(
  experiment: Experiment,
  c: CaseResult,
  t: TrialResult,
  index: number,
): string | null {
  if (t.wireCleanupAt !== undefined && index >= t.wireCleanupAt) {
    return "the engine's cleanup close()";
  }
  const reached = t.wireCheckpoints ?? {};
  const steps = experiment.steps(c.params);
  // The steps that reach a checkpoint first, in step order.
  const firsts: { step: number; at: number }[] = [];
  const seen = new Set<string>();
  steps.forEach((s, i) => {
    const cp = stepCheckpoint(s);
    if (cp === undefined || seen.has(cp) || reached[cp] === undefined) return;
    seen.add(cp);
    firsts.push({ step: i, at: reached[cp] });
  });
  if (firsts.length === 0) return null;
  let from = -1;
  let to = steps.length;
  for (const [k, f] of firsts.entries()) {
    if (f.at <= index) {
      from = f.step;
      to = firsts[k + 1]?.step ?? steps.length;
    }
  }
  const actions = steps.slice(from + 1, to).map(actionText).filter((a) =>
    a !== null
  );
  return actions.length ? actions.join(", then ") : null;
}

/**
 * A reset's reason as shown: the kernel's name, `no reason given` (Linux
 * before 6.10 traces resets without one), or `not traced`.
 */
export function reasonText(
  reset: Pick<PlacedReset, "reason" | "traced">,
): string {
  return !reset.traced ? "not traced" : reset.reason ?? "no reason given";
}

/** One cause's reasons in one platform's cases. */
export interface ReasonCount {
  readonly reason: string;
  /** Cases whose first trial sent such a reset at this cause. */
  readonly cases: number;
  /** The first of them, to link. */
  readonly caseId: string;
}

/**
 * Per experiment and cause (`article: server close()`), the reasons one
 * platform's kernel gave, counted in cases (each case's first trial);
 * `null` when no case of it has traced resets paired with the wire.
 */
export function reasonsByCause(
  cases: ReadonlyMap<string, CaseResult>,
  experiments: readonly Experiment[],
): Map<string, ReasonCount[]> | null {
  const found = new Map<string, Map<string, string[]>>();
  let traced = false;
  for (const experiment of experiments) {
    for (const c of cases.values()) {
      if (c.experiment !== experiment.name) continue;
      const t = c.trials[0];
      const placed = t ? resetsOnWire(t) : null;
      if (!t || placed === null) continue;
      traced = true;
      for (const p of placed) {
        const cause = `${experiment.name}: ${
          sentAt(experiment, c, t, p.index) ?? "unknown steps"
        }`;
        const reasons = found.get(cause) ?? new Map<string, string[]>();
        const ids = reasons.get(reasonText(p)) ?? [];
        if (!ids.includes(c.id)) ids.push(c.id);
        reasons.set(reasonText(p), ids);
        found.set(cause, reasons);
      }
    }
  }
  if (!traced) return null;
  return new Map(
    [...found].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0).map((
      [cause, reasons],
    ) => [
      cause,
      [...reasons].map(([reason, ids]) => ({
        reason,
        cases: ids.length,
        caseId: [...ids].sort()[0]!,
      })).sort((a, b) => b.cases - a.cases || (a.reason < b.reason ? -1 : 1)),
    ]),
  );
}

/** Why a platform's cases have no transitions, from their first trial. */
export function untracedWhy(
  cases: ReadonlyMap<string, CaseResult>,
): string | null {
  for (const c of cases.values()) {
    const why = c.trials[0]?.transitionsUnavailable;
    if (why) return why;
  }
  return null;
}

/**
 * A trial's kernel story in one line of text: each side's states in the
 * order entered, then each RST with its reason; `null` where the trial has
 * no transitions.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { storyText } from "./reset_reasons.ts";
 * assert.equal(
 *   storyText({
 *     endpoints: null,
 *     observations: {},
 *     transitions: [
 *       { side: "client", from: "ESTABLISHED", to: "CLOSE_WAIT", t: 5 },
 *       { side: "server", from: "ESTABLISHED", to: "FIN_WAIT1", t: 4 },
 *       { side: "client", from: "CLOSE_WAIT", to: "CLOSED", t: 9 },
 *     ],
 *     resets: [{ side: "client", reason: "TCP_ABORT_ON_CLOSE", t: 9 }],
 *   }),
 *   "client ESTABLISHED→CLOSE_WAIT→CLOSED; server ESTABLISHED→FIN_WAIT1; " +
 *     "RST from client: TCP_ABORT_ON_CLOSE",
 * );
 * ```
 */
export function storyText(t: TrialResult): string | null {
  if (!t.transitions || !t.resets) return null;
  const parts: string[] = [];
  for (const side of ["client", "server"] as const) {
    const mine = t.transitions.filter((x) => x.side === side);
    if (mine.length === 0) continue;
    parts.push(
      `${side} ${[mine[0]!.from, ...mine.map((x) => x.to)].join("→")}`,
    );
  }
  for (const r of t.resets) {
    parts.push(
      `RST from ${r.side}: ${reasonText({ reason: r.reason, traced: true })}`,
    );
  }
  return parts.join("; ");
}

/**
 * A platform's kernel cell for a case: the story of its first traced
 * trial, `not traced: <why>`, or `null` when its trials say nothing of
 * the kernel (files made before tracing). Never counted as a difference.
 */
export function kernelText(trials: readonly TrialResult[]): string | null {
  const traced = trials.find((t) => t.transitions);
  if (traced) return storyText(traced);
  const why = trials.find((t) => t.transitionsUnavailable)
    ?.transitionsUnavailable;
  return why ? `not traced: ${why}` : null;
}
