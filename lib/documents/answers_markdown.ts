/**
 * The {@linkcode Answers} as Markdown, for the top of `REPORT.md` and
 * `MATRIX.md`: a heading per question, each platform's counts (the answer
 * in one sentence, where there is one), how to read the table, and the
 * table (if it has rows), every cell linked to the case it
 * comes from. Columns are headed by platform id and stack name.
 *
 * @module
 */

import { answerAnchor } from "./anchors.ts";
import type { Answer, AnswerCell, Answers } from "./answers.ts";
import type { Platform } from "../results/format.ts";
import { markdownCode, markdownText } from "./report/escape.ts";
import { stackName } from "./stack_text.ts";

/** Where a case's cell links to, or `null` for no link. */
export type CaseLink = (caseId: string) => string | null;

function cell(c: AnswerCell, link: CaseLink): string {
  const text = markdownText(c.text);
  const href = c.caseId === undefined ? null : link(c.caseId);
  return href === null ? text : `[${text}](${href})`;
}

/** A platform's column heading: `` `linux-x86_64-6.18` (host) ``. */
export function platformHeading(p: Platform): string {
  const name = stackName(p);
  return `${markdownCode(p.id)}${name ? ` (${markdownText(name)})` : ""}`;
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(" | ")} |`;
}

function answerSection(a: Answer, link: CaseLink, level: number): string {
  const { platforms } = a;
  const counts = a.summary.flatMap((s, i) =>
    s ? [`- ${platformHeading(platforms[i]!)}: ${markdownText(s)}`] : []
  );
  const header = [
    markdownText(a.rowHeading),
    ...platforms.map(platformHeading),
  ];
  const table = a.rows.length
    ? [
      "",
      row(header),
      row(header.map(() => "---")),
      ...a.rows.map((r) =>
        row([markdownText(r.label), ...r.cells.map((c) => cell(c, link))])
      ),
    ]
    : [];
  return [
    `<a id="${answerAnchor(a.id)}"></a>`,
    `${"#".repeat(level)} ${markdownText(a.question)}`,
    "",
    ...(counts.length ? [...counts, ""] : []),
    markdownText(a.how),
    ...table,
  ].join("\n");
}

/**
 * Every answer, headings at `level` (`###` for 3), cells linked with
 * `link`; empty when there is no answer.
 */
export function renderAnswersMarkdown(
  answers: Answers,
  link: CaseLink,
  level: number,
): string {
  return answers.answers.map((a) => answerSection(a, link, level)).join(
    "\n\n",
  );
}
