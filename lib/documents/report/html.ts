/**
 * `report.html`: the comparison as one self-contained page (inline CSS, SVG
 * and script, no external URL) that opens offline in any browser. It holds
 * what `REPORT.md` holds, plus every step of each case, a ladder diagram per
 * trial with wire evidence (trials that saw the same wire share one), and
 * filters by experiment and "differences only" in plain JavaScript. Column
 * headings carry each platform's stack name; a platform whose trials
 * disagreed shows every value with its trials and a red "trials disagree"
 * mark, down to the collapsed case's summary line.
 *
 * @module
 */

import type { Observation } from "../../engine/observers.ts";
import type { Platform, TrialResult } from "../../results/format.ts";
import {
  agreementText,
  type CaseComparison,
  type Comparison,
  type ExperimentComparison,
  formatObservation,
  groupTrialsByWire,
  OS_NAMES,
  type Row,
  trialNumbers,
  type Variant,
} from "./compare.ts";
import { escapeHtml as h } from "./escape.ts";
import { answerAnchor, caseAnchor } from "../anchors.ts";
import type { Answer, Answers } from "../answers.ts";
import { ladderSvg } from "./ladder.ts";
import { kernelText } from "../reset_reasons.ts";
import { ANSWERS_LEAD, disagreesIn, GENERATED_BY, LEGEND } from "./markdown.ts";
import { stackDescription, stackName } from "../stack_text.ts";

const STYLE = `
html { scroll-padding-top: 4em; }
body { font: 14px/1.4 system-ui, sans-serif; margin: 1em 2em; color: #222; max-width: 100%; }
@media (max-width: 700px) { body { margin: 0.5em; } }
code, td.v, .wire-text { font-family: ui-monospace, monospace; font-size: 12px; }
h1, h2, h3, p, li, td, th, summary { overflow-wrap: anywhere; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
th, td { border: 1px solid #ccc; padding: 2px 6px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
th.group { text-align: center; border-left: 2px solid #888; }
td.first, th.first { border-left: 2px solid #888; }
tr.differs td, tr.differs th, td.d { background: #fff2cc; }
td.d { font-weight: bold; }
.scroll { overflow-x: auto; max-width: 100%; }
table.matrix td:first-child, table.matrix th:first-child { position: sticky; left: 0; background: #fff; }
table.matrix thead th:first-child { background: #f3f3f3; }
td.absent { color: #999; }
th .stack { font-weight: normal; color: #555; }
.trials { color: #666; font-size: 11px; font-family: system-ui, sans-serif; }
.disagree { color: #b00020; font-weight: bold; }
.count { font-weight: bold; }
.count.none { font-weight: normal; color: #555; }
nav.toc { border: 1px solid #ddd; padding: 0.25em 1em; margin: 0.5em 0 1em; }
nav.toc ul { margin: 0.25em 0; padding-left: 1.25em; }
section.answers table td a { color: inherit; }
section.answers table td { font-size: 13px; }
details.case { border-top: 1px solid #ddd; margin-top: 0.5em; padding-top: 0.25em; }
details.case > summary { cursor: pointer; }
details.case > summary h4 { display: inline; font-size: 1em; margin: 0; }
.wire { display: flex; flex-wrap: wrap; gap: 1.5em; }
.wire figure { margin: 0 0 0.5em; max-width: 100%; }
.wire figcaption { font-size: 12px; color: #555; }
svg.ladder { max-width: 100%; height: auto; }
svg.ladder text { font: 11px ui-monospace, monospace; fill: #222; }
svg.ladder line.peer { stroke: #444; stroke-width: 2; }
svg.ladder g line { stroke: #666; stroke-width: 1.2; }
svg.ladder g polygon { fill: #666; }
svg.ladder g.seg-syn line { stroke: #2a7d2a; } svg.ladder g.seg-syn polygon { fill: #2a7d2a; }
svg.ladder g.seg-fin line { stroke: #1f5fbf; } svg.ladder g.seg-fin polygon { fill: #1f5fbf; }
svg.ladder g.seg-rst line { stroke: #c0262d; } svg.ladder g.seg-rst polygon { fill: #c0262d; }
svg.ladder g.seg-data line { stroke: #222; } svg.ladder g.seg-data polygon { fill: #222; }
svg.ladder g.cleanup line { stroke: #aaa; stroke-dasharray: 3 2; } svg.ladder g.cleanup polygon { fill: #aaa; }
svg.ladder g.cleanup text { fill: #888; }
svg.ladder g.checkpoint line { stroke: #7a5; stroke-dasharray: 2 3; }
svg.ladder g.checkpoint text { fill: #463; font-size: 10px; }
svg.ladder g.checkpoint text.state { fill: #222; font-weight: bold; }
svg.ladder text.transition { fill: #2b4f8f; font-size: 10px; font-style: italic; }
svg.ladder text.kept { fill: #6a3d9a; font-size: 10px; }
svg.ladder text.reason { fill: #c0262d; font-size: 10px; }
svg.ladder text.reason.cleanup { fill: #d88; }
svg.ladder g.cleanup-line line { stroke: #999; stroke-dasharray: 6 3; }
svg.ladder g.cleanup-line text { fill: #777; font-size: 10px; }
#filters { position: sticky; top: 0; z-index: 1; background: #fff; padding: 0.5em 0; border-bottom: 1px solid #ccc; }
[hidden] { display: none !important; }
`;

const SCRIPT = `
(function () {
  var experiment = document.getElementById("f-experiment");
  var differences = document.getElementById("f-differences");
  var empty = document.getElementById("f-empty");
  function apply() {
    var items = document.querySelectorAll(".filterable");
    for (var i = 0; i < items.length; i++) {
      var el = items[i];
      var e = el.getAttribute("data-experiment");
      var d = el.getAttribute("data-differences");
      el.hidden = (experiment.value !== "" && e !== null && e !== experiment.value) ||
        (differences.checked && d === "0");
    }
    var cases = document.querySelectorAll("details.case");
    var shown = 0;
    for (var j = 0; j < cases.length; j++) {
      if (!cases[j].hidden && !cases[j].closest("[hidden]")) shown++;
    }
    empty.hidden = shown !== 0;
  }
  function reveal() {
    var id = decodeURIComponent(location.hash.slice(1));
    var target = id && document.getElementById(id);
    if (!target) return;
    for (var el = target; el; el = el.parentElement) {
      if (el.tagName === "DETAILS") el.open = true;
      if (el.hidden) { experiment.value = ""; differences.checked = false; apply(); }
    }
    target.scrollIntoView();
  }
  experiment.addEventListener("change", apply);
  differences.addEventListener("change", apply);
  window.addEventListener("hashchange", reveal);
  apply();
  reveal();
})();
`;

/** A platform's column heading: its id, and its stack's name below. */
function heading(p: Platform): string {
  const name = stackName(p);
  return `${h(p.id)}${name ? `<br><span class="stack">${h(name)}</span>` : ""}`;
}

/** Each value the trials saw, with their numbers. */
function variantsHtml<T>(
  variants: readonly Variant<T>[],
  show: (value: T) => string,
): string {
  return variants.map((v) =>
    `${show(v.value)} <span class="trials">(${trialNumbers(v.trials)})</span>`
  ).join("<br>");
}

function valueCell(row: Row, i: number, first: boolean): string {
  const value = row.values[i];
  const variants = row.variants[i];
  const classes = [
    value === undefined && !variants ? "absent" : row.differs ? "v d" : "v",
    ...(first ? ["first"] : []),
  ];
  const text = variants
    ? variantsHtml(
      variants,
      (v: Observation | undefined) => h(formatObservation(v)),
    )
    : h(formatObservation(value)) +
      (row.unstable[i]
        ? ' <span class="disagree">(trials disagree)</span>'
        : "");
  return `<td class="${classes.join(" ")}">${text}</td>`;
}

function wireCell(c: CaseComparison, i: number): string {
  const variants = c.wire.variants[i];
  const w = c.wire.values[i];
  if (!variants && w === undefined) return `<td class="absent">—</td>`;
  const text = variants
    ? variantsHtml(variants, (v) => v === undefined ? "no wire" : h(v))
    : h(w!);
  return `<td class="${c.wire.differs ? "v d" : "v"}">${text}</td>`;
}

function agreementCell(
  c: CaseComparison,
  i: number,
  style: "full" | "brief",
) {
  const a = c.agreement[i];
  if (!a) return `<td class="absent">—</td>`;
  const text = h(agreementText(a, style));
  return a.disagree.length
    ? `<td><span class="disagree">${text}</span></td>`
    : `<td class="trials">${text}</td>`;
}

function platformsTable(platforms: readonly Platform[]): string {
  const rows = platforms.map((p) =>
    `<tr><td><code>${h(p.id)}</code></td><td>${
      h(stackDescription(p) ?? "—")
    }</td><td>${OS_NAMES[p.os]}</td><td>${h(p.osRelease)}</td><td>${
      h(p.arch)
    }</td><td>${h(p.libc ?? "—")}</td><td>${h(p.deno ?? "—")}</td><td>${
      p.source === "run" ? "run" : "<strong>transcribed, never run</strong>"
    }</td><td>${h(p.note ?? "")}</td></tr>`
  );
  return [
    "<table><thead><tr><th>platform</th><th>stack</th><th>OS</th><th>release</th><th>arch</th><th>libc</th><th>Deno</th><th>source</th><th>note</th></tr></thead><tbody>",
    ...rows,
    "</tbody></table>",
  ].join("\n");
}

/** How to read a ladder, beside the legend of the tables. */
const LADDER_LEGEND =
  "Ladders: one arrow per segment in the order captured; dotted lines are " +
  "checkpoints, with the TCP state TCP_INFO showed there in bold; after a " +
  "dashed cleanup line, greyed, what the engine's own closing of the " +
  "sockets the steps left open sent. Where the " +
  "kernel was traced (Linux, as root), each side's state transitions stand " +
  "in italics beside its lifeline where they happened among the segments, " +
  "with their time from the trial's start; under each RST, the reason the " +
  "kernel gave; at the foot, what the kernel kept of each side after both " +
  "closed. Linux traces no move into TIME_WAIT: the socket is handed to a " +
  "timewait socket and its last transition reads CLOSED; the foot says " +
  "what the kernel kept.";

function ids(platforms: readonly Platform[]): string {
  return platforms.map((p) => `<code>${h(p.id)}</code>`).join(", ");
}

function matrix(e: ExperimentComparison, platforms: readonly Platform[]) {
  const n = e.headline.length;
  const trials = (i: number) => disagreesIn(e, i);
  const head = [
    `<tr><th rowspan="2">case</th><th rowspan="2">differences</th>${
      e.platforms.map((i) =>
        `<th class="group" colspan="${n + (trials(i) ? 1 : 0)}">${
          heading(platforms[i]!)
        }</th>`
      ).join("")
    }</tr>`,
    `<tr>${
      e.platforms.map((i) =>
        e.headline.map((k, j) =>
          `<th${j === 0 ? ' class="first"' : ""}><code>${h(k)}</code></th>`
        ).join("") + (trials(i) ? "<th>trials</th>" : "")
      ).join("")
    }</tr>`,
  ];
  const rows = e.cases.map((c) => {
    const cells = e.platforms.map((i) =>
      e.headline.map((k, j) => {
        const r = c.rows.find((r) => r.key === k);
        if (!r) return `<td class="absent${j === 0 ? " first" : ""}">—</td>`;
        return valueCell(r, i, j === 0);
      }).join("") + (trials(i) ? agreementCell(c, i, "brief") : "")
    ).join("");
    return `<tr class="filterable" data-differences="${c.differences}"><td><a href="#${
      h(caseAnchor(c.id))
    }"><code>${h(c.id)}</code></a></td><td>${c.differences}</td>${cells}</tr>`;
  });
  return [
    `<div class="scroll"><table class="matrix"><thead>`,
    ...head,
    "</thead><tbody>",
    ...rows,
    "</tbody></table></div>",
  ].join("\n");
}

function platformWire(
  platform: Platform,
  trials: readonly TrialResult[] | undefined,
  c: CaseComparison,
): string {
  const caseId = c.id;
  const name = stackName(platform);
  const parts = [
    `<div class="platform-wire"><h4>${h(platform.id)}${
      name ? ` <span class="stack">(${h(name)})</span>` : ""
    }</h4>`,
  ];
  if (trials !== undefined) {
    for (const g of groupTrialsByWire(trials, c.roleSides, c.checkpoints)) {
      const which = trialNumbers(g.trials);
      if (g.wire === null) {
        parts.push(`<p>${which}: no wire evidence (${h(g.unavailable)})</p>`);
        continue;
      }
      const same = g.trials.length > 1
        ? g.states
          ? " (same wire and transitions; times of the first)"
          : " (same wire)"
        : "";
      parts.push(
        `<figure><figcaption>${which}${same}</figcaption>\n${
          ladderSvg(g.wire, `${caseId} on ${platform.id}, ${which}`, {
            marks: g.marks,
            ...(g.cleanupAt === undefined ? {} : { cleanupAt: g.cleanupAt }),
            ...(g.states ? { states: g.states } : {}),
            ...(g.reasons ? { reasons: g.reasons } : {}),
            ...(g.kept ? { kept: g.kept } : {}),
          })
        }\n</figure>`,
      );
    }
  }
  parts.push("</div>");
  return parts.join("\n");
}

function caseSection(
  e: ExperimentComparison,
  c: CaseComparison,
  platforms: readonly Platform[],
): string {
  const differing = [
    ...c.rows.filter((r) => r.differs).map((r) => `<code>${h(r.key)}</code>`),
    ...(c.wire.differs ? ["the wire"] : []),
  ];
  const missing = platforms.filter((_, i) => !c.platforms.includes(i));
  const count = c.differences === 0
    ? `<p class="count none">No differences between platforms.</p>`
    : `<p class="count">Differences: ${c.differences} (${
      differing.join(", ")
    })</p>`;
  const rows = c.rows.map((r) =>
    `<tr class="filterable${r.differs ? " differs" : ""}" data-differences="${
      r.differs ? 1 : 0
    }"><th><code>${h(r.key)}</code>${r.differs ? " ≠" : ""}</th>${
      c.platforms.map((i) => valueCell(r, i, false)).join("")
    }</tr>`
  );
  rows.push(
    `<tr class="filterable${
      c.wire.differs ? " differs" : ""
    }" data-differences="${c.wire.differs ? 1 : 0}"><th>wire${
      c.wire.differs ? " ≠" : ""
    }</th>${c.platforms.map((i) => wireCell(c, i)).join("")}</tr>`,
  );
  if (c.platforms.some((i) => c.trials[i]?.some((t) => t.transitions))) {
    rows.push(
      `<tr class="filterable" data-differences="0"><th>kernel</th>${
        c.platforms.map((i) => {
          const text = kernelText(c.trials[i] ?? []);
          return `<td>${text === null ? "—" : h(text)}</td>`;
        }).join("")
      }</tr>`,
    );
  }
  const disagreeing = c.platforms.filter((i) =>
    (c.agreement[i]?.disagree.length ?? 0) > 0
  );
  rows.push(
    `<tr class="filterable" data-differences="${
      disagreeing.length ? 1 : 0
    }"><th>trials</th>${
      c.platforms.map((i) => agreementCell(c, i, "full")).join("")
    }</tr>`,
  );
  return [
    `<details class="case filterable" id="${
      h(caseAnchor(c.id))
    }" data-experiment="${h(e.name)}" data-differences="${c.differences}">`,
    `<summary><h4><code>${h(c.id)}</code></h4> · ${
      c.differences === 0
        ? "no differences"
        : `${c.differences} difference${c.differences === 1 ? "" : "s"}`
    }${
      disagreeing.length
        ? ` · <span class="disagree">trials disagree on ${
          disagreeing.map((i) =>
            h(stackName(platforms[i]!) ?? platforms[i]!.id)
          )
            .join(", ")
        }</span>`
        : ""
    }</summary>`,
    count,
    c.explanation === null
      ? "<p>This escoteria does not define the experiment; no explanation.</p>"
      : `<p class="explanation">Steps: ${h(c.explanation)}.</p>`,
    ...(missing.length
      ? [`<p>No results for this case from ${ids(missing)}.</p>`]
      : []),
    ...(c.errors.length
      ? [
        `<p>Trials that stopped early:</p><ul>${
          c.errors.map((e) => `<li>${h(e)}</li>`).join("")
        }</ul>`,
      ]
      : []),
    ...(c.steps.length
      ? [
        `<details><summary>every step</summary><ol>${
          c.steps.map((s) => `<li>${h(s)}</li>`).join("")
        }</ol></details>`,
      ]
      : []),
    `<div class="scroll"><table class="observations"><thead><tr><th>observation</th>${
      c.platforms.map((i) => `<th>${heading(platforms[i]!)}</th>`).join("")
    }</tr></thead><tbody>`,
    ...rows,
    "</tbody></table></div>",
    `<div class="wire">`,
    ...c.platforms.map((i) => platformWire(platforms[i]!, c.trials[i], c)),
    "</div>",
    "</details>",
  ].join("\n");
}

function experimentSection(
  e: ExperimentComparison,
  platforms: readonly Platform[],
): string {
  const differing = e.cases.filter((c) => c.differences > 0).length;
  const missing = platforms.filter((_, i) => !e.platforms.includes(i));
  return [
    `<section class="experiment filterable" id="experiment-${
      h(e.name)
    }" data-experiment="${h(e.name)}">`,
    `<h3>Experiment <code>${h(e.name)}</code></h3>`,
    `<p>${
      h(e.intent ?? "This escoteria does not define this experiment.")
    }</p>`,
    ...(e.wireSeen ? [`<p>${h(e.wireSeen)}</p>`] : []),
    `<p>${e.cases.length} cases, ${differing} with differences between platforms.</p>`,
    ...(missing.length
      ? [`<p>No results for this experiment from ${ids(missing)}.</p>`]
      : []),
    matrix(e, platforms),
    ...e.cases.map((c) => caseSection(e, c, platforms)),
    "</section>",
  ].join("\n");
}

function answerSection(a: Answer): string {
  const counts = a.summary.flatMap((text, i) => {
    const p = a.platforms[i]!;
    const name = stackName(p);
    return text
      ? [
        `<li><code>${h(p.id)}</code>${name ? ` (${h(name)})` : ""}: ${
          h(text)
        }</li>`,
      ]
      : [];
  });
  const rows = a.rows.map((r) =>
    `<tr><th>${h(r.label)}</th>${
      r.cells.map((c) =>
        `<td>${
          c.caseId === undefined
            ? h(c.text)
            : `<a href="#${h(caseAnchor(c.caseId))}">${h(c.text)}</a>`
        }</td>`
      ).join("")
    }</tr>`
  );
  return [
    `<h3 id="${h(answerAnchor(a.id))}">${h(a.question)}</h3>`,
    ...(counts.length ? [`<ul>${counts.join("")}</ul>`] : []),
    `<p>${h(a.how)}</p>`,
    ...(rows.length
      ? [
        `<div class="scroll"><table class="answer"><thead><tr><th>${
          h(a.rowHeading)
        }</th>${
          a.platforms.map((p) => `<th>${heading(p)}</th>`).join("")
        }</tr></thead><tbody>`,
        ...rows,
        "</tbody></table></div>",
      ]
      : []),
  ].join("\n");
}

function toc(comparison: Comparison, answers: Answers): string {
  const item = (href: string, text: string, sub = "") =>
    `<li><a href="#${h(href)}">${text}</a>${sub}</li>`;
  const list = (items: readonly string[]) =>
    items.length ? `<ul>${items.join("")}</ul>` : "";
  return [
    '<nav class="toc" aria-label="Contents"><strong>Contents</strong><ul>',
    item(
      "answers",
      "Answers",
      list(answers.answers.map((a) => item(answerAnchor(a.id), h(a.question)))),
    ),
    item("platforms", "Platforms"),
    item(
      "experiments",
      "Experiments",
      list(
        comparison.experiments.map((e) =>
          item(
            `experiment-${e.name}`,
            `<code>${h(e.name)}</code> (${e.cases.length} cases)`,
          )
        ),
      ),
    ),
    "</ul></nav>",
  ].join("\n");
}

/** The whole HTML report, one self-contained page, answers first. */
export function renderHtml(comparison: Comparison, answers: Answers): string {
  const { platforms } = comparison;
  const options = comparison.experiments.map((e) =>
    `<option value="${h(e.name)}">${h(e.name)}</option>`
  );
  return [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    "<title>escoteria: TCP teardown across platforms</title>",
    `<style>${STYLE}</style>`,
    "</head>",
    "<body>",
    "<h1>escoteria: TCP teardown across platforms</h1>",
    `<p>${h(GENERATED_BY.replaceAll("`", ""))}</p>`,
    toc(comparison, answers),
    '<section class="answers" id="answers">',
    "<h2>Answers</h2>",
    `<p>${h(ANSWERS_LEAD)}</p>`,
    ...answers.answers.map(answerSection),
    "</section>",
    '<h2 id="platforms">Platforms</h2>',
    `<div class="scroll">${platformsTable(platforms)}</div>`,
    `<p>${
      comparison.untested.length
        ? `Untested: ${h(comparison.untested.join("; "))}.`
        : "Every OS escoteria knows has been run."
    }</p>`,
    ...(comparison.refused.length
      ? [`<p>Not shown: ${h(comparison.refused.join("; "))}.</p>`]
      : []),
    `<ul>${
      [...LEGEND, LADDER_LEGEND].map((l) => `<li>${h(l)}</li>`).join("")
    }</ul>`,
    '<h2 id="experiments">Experiments</h2>',
    '<form id="filters">',
    `<label>Experiment <select id="f-experiment"><option value="">all</option>${
      options.join("")
    }</select></label>`,
    '<label><input type="checkbox" id="f-differences"> differences only</label>',
    "</form>",
    '<p id="f-empty" hidden>No case matches the filter.</p>',
    ...comparison.experiments.map((e) => experimentSection(e, platforms)),
    `<script>${SCRIPT}</script>`,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}
