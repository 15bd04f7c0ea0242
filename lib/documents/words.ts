/**
 * How the documents write a case's parameters and an observed value in
 * running text, the same in every answer.
 *
 * @module
 */

import type { Observation } from "../engine/observers.ts";
import type { Experiment, Params } from "../engine/scenario.ts";
import { compareIds } from "../results/format.ts";

/**
 * `linger=off shutdown=wr close=yes unread=none`: the experiment's factors
 * in its order, then any other parameter by name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { article } from "../../experiments/article.ts";
 * import { paramsText } from "./words.ts";
 * assert.equal(
 *   paramsText({ shutdown: "wr", linger: "0", extra: "x" }, article),
 *   "linger=0 shutdown=wr extra=x",
 * );
 * ```
 */
export function paramsText(
  params: Params,
  experiment: Experiment | undefined,
): string {
  const known = experiment?.factors.map((f) => f.name) ?? [];
  const names = [
    ...known.filter((n) => n in params),
    ...Object.keys(params).filter((n) => !known.includes(n)).sort(compareIds),
  ];
  return names.map((n) => `${n}=${params[n]}`).join(" ");
}

/** An observed value as text: `—` when absent, `""` when empty. */
export function showValue(value: Observation | undefined): string {
  return value === undefined ? "—" : value === "" ? '""' : String(value);
}
