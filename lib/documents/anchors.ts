/**
 * Anchors shared by every generated document, so a link made in one (an
 * answer's cell) lands on the same case in another: plain ASCII ids that
 * survive Markdown renderers and URL fragments unescaped.
 *
 * @module
 */

/**
 * The anchor of case `id`: `case-` and the id with every run of other
 * characters than letters, digits, `_` and `-` replaced by one `-`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { caseAnchor } from "./anchors.ts";
 * assert.equal(
 *   caseAnchor("article/linger=0,shutdown=wr"),
 *   "case-article-linger-0-shutdown-wr",
 * );
 * ```
 */
export function caseAnchor(id: string): string {
  return `case-${id.replace(/[^A-Za-z0-9_-]+/g, "-")}`;
}

/** The anchor of answer `id`, e.g. `answer-find-out`. */
export function answerAnchor(id: string): string {
  return `answer-${id}`;
}
