/**
 * The {@linkcode Answers} as Markdown, for the top of `REPORT.md` and
 * `MATRIX.md`: a heading per question, how to read it, each platform's
 * counts, and the table, every cell linked to the case it comes from.
 *
 * @module
 */

import { answerAnchor } from "./anchors.ts";
import type { Answer, AnswerCell, Answers } from "./answers.ts";
import { markdownText } from "./report/escape.ts";

/** Where a case's cell links to, or `null` for no link. */
export type CaseLink = (caseId: string) => string | null;

function cell(c: AnswerCell, link: CaseLink): string {
  const text = markdownText(c.text);
  const href = c.caseId === undefined ? null : link(c.caseId);
  return href === null ? text : `[${text}](${href})`;
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(" | ")} |`;
}

function answerSection(a: Answer, link: CaseLink, level: number): string {
  const { platforms } = a;
  const counts = a.summary.flatMap((s, i) =>
    s ? [`- \`${platforms[i]!.id}\`: ${markdownText(s)}`] : []
  );
  const header = [
    markdownText(a.rowHeading),
    ...platforms.map((p) => `\`${p.id}\``),
  ];
  return [
    `<a id="${answerAnchor(a.id)}"></a>`,
    `${"#".repeat(level)} ${markdownText(a.question)}`,
    "",
    markdownText(a.how),
    ...(counts.length ? ["", ...counts] : []),
    "",
    row(header),
    row(header.map(() => "---")),
    ...a.rows.map((r) =>
      row([markdownText(r.label), ...r.cells.map((c) => cell(c, link))])
    ),
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
