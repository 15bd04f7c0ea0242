/**
 * Counts in words for messages: "1 case", "3 cases", never "1 cases".
 *
 * @module
 */

/**
 * `count` followed by `singular` when it is exactly 1, else by `pluralForm`
 * (default: `singular` with an "s").
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { plural } from "./plural.ts";
 * assert.equal(plural(1, "case"), "1 case");
 * assert.equal(plural(3, "case"), "3 cases");
 * assert.equal(plural(0, "trial"), "0 trials");
 * assert.equal(plural(2, "process", "processes"), "2 processes");
 * ```
 */
export function plural(
  count: number,
  singular: string,
  pluralForm: string = `${singular}s`,
): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}
