/**
 * Times as documents show them: a duration the trials of a case recorded
 * (`durations`, never compared for stability), as one value when the
 * trials agree to the shown precision, else as their range.
 *
 * @module
 */

import type { CaseResult } from "../results/format.ts";

/** One duration in words: `0.04 ms`, `12 ms`, `3.01 s`. */
export function durationText(ms: number): string {
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/**
 * The duration `key` across the trials of `c` that recorded it: `3.01 s`,
 * or `3.01–3.05 s` where they differ; `null` where none recorded it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { trialDurations } from "./durations.ts";
 * const trial = (ms: number) => ({
 *   endpoints: null, observations: {}, durations: { "a.close": ms },
 * });
 * const c = (...ms: number[]) => ({
 *   id: "x/a=1", experiment: "x", params: {}, observations: {},
 *   stable: true, trials: ms.map(trial),
 * });
 * assert.equal(trialDurations(c(2001, 2003), "a.close"), "2.00 s");
 * assert.equal(trialDurations(c(3010, 3050), "a.close"), "3.01–3.05 s");
 * assert.equal(trialDurations(c(0.05), "b.close"), null);
 * ```
 */
export function trialDurations(c: CaseResult, key: string): string | null {
  const ms = c.trials.flatMap((t) => {
    const value = t.durations?.[key];
    return value === undefined ? [] : [value];
  });
  if (ms.length === 0) return null;
  const low = durationText(Math.min(...ms));
  const high = durationText(Math.max(...ms));
  if (low === high) return low;
  const [lowValue, lowUnit] = low.split(" ");
  const [highValue, highUnit] = high.split(" ");
  return lowUnit === highUnit
    ? `${lowValue}–${highValue} ${highUnit}`
    : `${low}–${high}`;
}
