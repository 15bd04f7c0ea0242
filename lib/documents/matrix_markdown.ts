/**
 * Renders the {@linkcode Matrix} as `results/MATRIX.md`: the answers over
 * the platforms run first; per platform (in platform order, its stack
 * named) the answer to "how does the peer find out?", then every experiment's
 * observations as one table per checkpoint. Everything is generated from the
 * data; the same matrix always gives the same bytes.
 *
 * @module
 */

import {
  CLEANUP_MARK,
  type Finding,
  type Matrix,
  type MatrixExperiment,
  type MatrixPlatform,
} from "./matrix.ts";
import type { Reveal } from "./reveals.ts";
import { parseObservationKey } from "../engine/keys.ts";
import { type Observation, OBSERVERS } from "../engine/observers.ts";
import { answerAnchor, caseAnchor } from "./anchors.ts";
import { renderAnswersMarkdown } from "./answers_markdown.ts";
import { STACK_KIND_NAMES } from "./stack_text.ts";

/** A Markdown table cell: `|` escaped, newlines flattened. */
export function mdCell(text: string): string {
  return text.replaceAll("\\", "\\\\").replaceAll("|", "\\|").replaceAll(
    /\r?\n/g,
    " ",
  );
}

function mdTable(header: readonly string[], rows: readonly string[][]): string {
  return [
    `| ${header.map(mdCell).join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.map(mdCell).join(" | ")} |`),
  ].join("\n");
}

function show(value: Observation | undefined): string {
  if (value === undefined) return "";
  if (value === "") return '""';
  return String(value);
}

function showList(list: readonly string[] | string): string {
  if (typeof list === "string") return `(${list})`;
  return list.length === 0 ? "none" : list.join(", ");
}

function showReveal(reveal: Reveal | null | undefined): string {
  return reveal ? `${show(reveal.value)} @${reveal.at}` : "never";
}

/** `linger=0 shutdown=wr close=yes unread=pending` in factor order. */
function showParams(params: Readonly<Record<string, string>>): string {
  return Object.entries(params).map(([k, v]) => `${k}=${v}`).join(" ");
}

const OBSERVER_COLUMNS = [
  "poll",
  "recv",
  "tcp_state",
  "getpeername",
  "so_error",
  "send",
] as const;

/** Whether a teardown put anything of its own on the wire (or, without the
 * wire, whether the peer saw anything at all). */
function sentSomething(f: Finding): boolean {
  if (typeof f.wire !== "string") return f.wire.length > 0;
  return Object.values(f.observers).some((r) => r !== null);
}

function findingsSection(findings: readonly Finding[]): string {
  const rows = findings.map((f) => [
    showParams(f.teardown),
    f.actors.join(", "),
    ...OBSERVER_COLUMNS.map((o) => showReveal(f.observers[o])),
    showList(f.wire),
  ]);
  const sent = findings.filter(sentSomething);
  const counts = OBSERVER_COLUMNS.map((o) => {
    const seen = sent.flatMap((f) => f.observers[o] ?? []);
    const sending = seen.filter((r) => r.afterSending).length;
    const quiet = seen.length - sending;
    return o === "send"
      ? `- \`send\`: failed in ${sending} of ${sent.length} (a send tells ` +
        `only once it is made)`
      : `- \`${o}\`: ${quiet} of ${sent.length} before the peer sent, ` +
        `${sending} more only once it had sent`;
  }).join("\n");
  return [
    "For each teardown the actor did, the first checkpoint at which each of",
    "the peer's observers showed something other than it showed before the",
    "teardown (`value @checkpoint`), or `never`; `send` is the first of the",
    "peer's two sends that failed. `wire` is what crossed the wire from the",
    "first FIN or RST on (first trial), without the engine's cleanup.",
    `Observers run in the order ${
      OBSERVERS.map((o) => `\`${o}\``).join(", ")
    }; \`recv\` and \`so_error\` both take a pending error, and \`recv\``,
    "asks first (the `reset` experiment makes each ask first).",
    "",
    `Of ${findings.length} rows, ${sent.length} put a FIN or an RST on the ` +
    "wire; each observer revealed:",
    "",
    counts,
    "",
    mdTable(
      ["teardown", "actor", ...OBSERVER_COLUMNS, "wire"],
      rows,
    ),
  ].join("\n");
}

function observationsSection(e: MatrixExperiment): string {
  const tables = e.groups.map((g) => {
    const header = [
      "case",
      ...g.keys.map((k) => {
        if (g.checkpoint === "calls") return k;
        const { role, observer } = parseObservationKey(k);
        return `${role}.${observer}`;
      }),
    ];
    const rows = e.rows.map((r) => [
      showParams(r.params),
      ...g.keys.map((k) => show(r.observations[k])),
    ]);
    const title = g.checkpoint === "calls"
      ? "Calls and their results"
      : `Checkpoint \`${g.checkpoint}\``;
    return `#### ${title}\n\n${mdTable(header, rows)}`;
  });
  const evidence = mdTable(
    ["case", "stable", "errors", "wire (first trial)", "leftovers"],
    e.rows.map((r) => [
      showParams(r.params),
      r.stable ? "yes" : "NO",
      String(r.errors),
      showList(r.wire),
      showList(r.leftovers),
    ]),
  );
  return [
    ...tables,
    "#### Wire and what the kernel kept\n\n" +
    `Segments marked \`${CLEANUP_MARK.trim()}\` were caused by the engine ` +
    "closing what the steps left open, after the last observation.\n\n" +
    evidence,
  ].join("\n\n");
}

function platformSection(p: MatrixPlatform): string {
  const stack = p.stack
    ? ` Stack: ${p.stack.name}, ${
      STACK_KIND_NAMES[p.stack.kind]
    } ${p.stack.version}, ${p.stack.ran}.`
    : "";
  const parts = [`## ${p.id}\n\nKernel release ${p.osRelease}.${stack}`];
  for (const e of p.experiments) {
    parts.push(`### ${e.name}\n\n${e.intent}`);
    if (e.findings) {
      parts.push(
        `#### How the peer found out\n\n${findingsSection(e.findings)}`,
      );
    }
    parts.push(observationsSection(e));
  }
  return parts.join("\n\n");
}

/** The whole of `MATRIX.md`: the answers, then every platform run. */
export function renderMatrixMarkdown(matrix: Matrix): string {
  const run =
    matrix.platforms.map((p) =>
      `\`${p.id}\`${p.stack ? ` (${p.stack.name})` : ""}`
    ).join(", ") || "none";
  const untested = matrix.untested.join(", ") || "none";
  const answers = renderAnswersMarkdown(
    matrix.answers,
    (id) => `REPORT.md#${caseAnchor(id)}`,
    3,
  );
  return [
    "# escoteria matrix",
    "",
    "Generated by `deno task matrix` (and at the end of `deno task run-all`)",
    "from the platform files in this folder; do not edit by hand.",
    "",
    `Platforms run: ${run}. Untested (no results; nothing is guessed): ${untested}.`,
    "",
    ...(matrix.refused.length
      ? [
        `Not shown: ${
          matrix.refused.map((r) => `\`${r.id}\`: ${r.reason}`).join("; ")
        }.`,
        "",
      ]
      : []),
    "## Answers",
    "",
    "Computed from the platform files run; each cell links to its case in",
    "`REPORT.md`.",
    "",
    ...matrix.answers.answers.map((a) =>
      `- [${a.question.replaceAll("_", "\\_")}](#${answerAnchor(a.id)})`
    ),
    "",
    answers || "No platform has been run.",
    "",
    ...matrix.platforms.map(platformSection),
  ].join("\n") + "\n";
}
