/**
 * `report.html`: the comparison as one self-contained page (inline CSS, SVG
 * and script, no external URL) that opens offline in any browser. It holds
 * what `REPORT.md` holds, plus every step of each case, a ladder diagram per
 * trial with wire evidence (trials that saw the same wire share one), and
 * filters by experiment and "differences only" in plain JavaScript.
 *
 * @module
 */

import type { Platform, TrialResult } from "../../results/format.ts";
import {
  type CaseComparison,
  type Comparison,
  type ExperimentComparison,
  formatObservation,
  groupTrialsByWire,
  OS_NAMES,
  type Row,
  trialNumbers,
} from "./compare.ts";
import { escapeHtml as h } from "./escape.ts";
import { ladderSvg } from "./ladder.ts";
import { GENERATED_BY, LEGEND } from "./markdown.ts";

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 1em 2em; color: #222; }
code, td.v, .wire-text { font-family: ui-monospace, monospace; font-size: 12px; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
th, td { border: 1px solid #ccc; padding: 2px 6px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
th.group { text-align: center; border-left: 2px solid #888; }
td.first, th.first { border-left: 2px solid #888; }
tr.differs td, tr.differs th, td.d { background: #fff2cc; }
td.d { font-weight: bold; }
.scroll { overflow-x: auto; }
td.absent { color: #999; }
.count { font-weight: bold; }
.count.none { font-weight: normal; color: #555; }
section.case { border-top: 1px solid #ddd; margin-top: 1.5em; }
.wire { display: flex; flex-wrap: wrap; gap: 1.5em; }
.wire figure { margin: 0 0 0.5em; }
.wire figcaption { font-size: 12px; color: #555; }
svg.ladder text { font: 11px ui-monospace, monospace; fill: #222; }
svg.ladder line.peer { stroke: #444; stroke-width: 2; }
svg.ladder g line { stroke: #666; stroke-width: 1.2; }
svg.ladder g polygon { fill: #666; }
svg.ladder g.seg-syn line { stroke: #2a7d2a; } svg.ladder g.seg-syn polygon { fill: #2a7d2a; }
svg.ladder g.seg-fin line { stroke: #1f5fbf; } svg.ladder g.seg-fin polygon { fill: #1f5fbf; }
svg.ladder g.seg-rst line { stroke: #c0262d; } svg.ladder g.seg-rst polygon { fill: #c0262d; }
svg.ladder g.seg-data line { stroke: #222; } svg.ladder g.seg-data polygon { fill: #222; }
#filters { position: sticky; top: 0; background: #fff; padding: 0.5em 0; border-bottom: 1px solid #ccc; }
[hidden] { display: none !important; }
`;

const SCRIPT = `
(function () {
  var experiment = document.getElementById("f-experiment");
  var differences = document.getElementById("f-differences");
  function apply() {
    var items = document.querySelectorAll(".filterable");
    for (var i = 0; i < items.length; i++) {
      var el = items[i];
      var e = el.getAttribute("data-experiment");
      var d = el.getAttribute("data-differences");
      el.hidden = (experiment.value !== "" && e !== null && e !== experiment.value) ||
        (differences.checked && d === "0");
    }
  }
  experiment.addEventListener("change", apply);
  differences.addEventListener("change", apply);
  apply();
})();
`;

function valueCell(row: Row, i: number, first: boolean): string {
  const value = row.values[i];
  const classes = [
    value === undefined ? "absent" : row.differs ? "v d" : "v",
    ...(first ? ["first"] : []),
  ];
  const text = h(formatObservation(value)) +
    (row.unstable[i] ? " <em>(trials differ)</em>" : "");
  return `<td class="${classes.join(" ")}">${text}</td>`;
}

function platformsTable(platforms: readonly Platform[]): string {
  const rows = platforms.map((p) =>
    `<tr><td><code>${h(p.id)}</code></td><td>${OS_NAMES[p.os]}</td><td>${
      h(p.osRelease)
    }</td><td>${h(p.arch)}</td><td>${h(p.libc ?? "—")}</td><td>${
      h(p.deno ?? "—")
    }</td><td>${
      p.source === "run" ? "run" : "<strong>transcribed, never run</strong>"
    }</td><td>${h(p.note ?? "")}</td></tr>`
  );
  return [
    "<table><thead><tr><th>platform</th><th>OS</th><th>release</th><th>arch</th><th>libc</th><th>Deno</th><th>source</th><th>note</th></tr></thead><tbody>",
    ...rows,
    "</tbody></table>",
  ].join("\n");
}

function ids(platforms: readonly Platform[]): string {
  return platforms.map((p) => `<code>${h(p.id)}</code>`).join(", ");
}

function caseAnchor(id: string): string {
  return `case-${id}`;
}

function matrix(e: ExperimentComparison, platforms: readonly Platform[]) {
  const n = e.headline.length;
  const head = [
    `<tr><th rowspan="2">case</th><th rowspan="2">differences</th>${
      e.platforms.map((i) =>
        `<th class="group" colspan="${n}">${h(platforms[i]!.id)}</th>`
      ).join("")
    }</tr>`,
    `<tr>${
      e.platforms.map(() =>
        e.headline.map((k, j) =>
          `<th${j === 0 ? ' class="first"' : ""}><code>${h(k)}</code></th>`
        ).join("")
      ).join("")
    }</tr>`,
  ];
  const rows = e.cases.map((c) => {
    const cells = e.platforms.map((i) =>
      e.headline.map((k, j) => {
        const r = c.rows.find((r) => r.key === k);
        if (!r) return `<td class="absent${j === 0 ? " first" : ""}">—</td>`;
        return valueCell(r, i, j === 0);
      }).join("")
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
  caseId: string,
): string {
  const parts = [`<div class="platform-wire"><h4>${h(platform.id)}</h4>`];
  if (trials !== undefined) {
    for (const g of groupTrialsByWire(trials)) {
      const which = trialNumbers(g.trials);
      if (g.wire === null) {
        parts.push(`<p>${which}: no wire evidence (${h(g.unavailable)})</p>`);
        continue;
      }
      const same = g.trials.length > 1 ? " (same wire)" : "";
      parts.push(
        `<figure><figcaption>${which}${same}</figcaption>\n${
          ladderSvg(g.wire, `${caseId} on ${platform.id}, ${which}`)
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
    }</th>${
      c.platforms.map((i) => c.wire.values[i]).map((w) =>
        w === undefined
          ? `<td class="absent">—</td>`
          : `<td class="${c.wire.differs ? "v d" : "v"}">${h(w)}</td>`
      ).join("")
    }</tr>`,
  );
  return [
    `<section class="case filterable" id="${
      h(caseAnchor(c.id))
    }" data-experiment="${h(e.name)}" data-differences="${c.differences}">`,
    `<h3><code>${h(c.id)}</code></h3>`,
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
    `<table class="observations"><thead><tr><th>observation</th>${
      c.platforms.map((i) => `<th>${h(platforms[i]!.id)}</th>`).join("")
    }</tr></thead><tbody>`,
    ...rows,
    "</tbody></table>",
    `<div class="wire">`,
    ...c.platforms.map((i) => platformWire(platforms[i]!, c.trials[i], c.id)),
    "</div>",
    "</section>",
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
    `<h2>Experiment <code>${h(e.name)}</code></h2>`,
    `<p>${
      h(e.intent ?? "This escoteria does not define this experiment.")
    }</p>`,
    `<p>${e.cases.length} cases, ${differing} with differences between platforms.</p>`,
    ...(missing.length
      ? [`<p>No results for this experiment from ${ids(missing)}.</p>`]
      : []),
    matrix(e, platforms),
    ...e.cases.map((c) => caseSection(e, c, platforms)),
    "</section>",
  ].join("\n");
}

/** The whole HTML report, one self-contained page. */
export function renderHtml(comparison: Comparison): string {
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
    "<h2>Platforms</h2>",
    platformsTable(platforms),
    `<p>${
      comparison.untested.length
        ? `Untested: ${h(comparison.untested.join("; "))}.`
        : "Every OS escoteria knows has been run."
    }</p>`,
    `<ul>${LEGEND.map((l) => `<li>${h(l)}</li>`).join("")}</ul>`,
    '<form id="filters">',
    `<label>Experiment <select id="f-experiment"><option value="">all</option>${
      options.join("")
    }</select></label>`,
    '<label><input type="checkbox" id="f-differences"> differences only</label>',
    "</form>",
    ...comparison.experiments.map((e) => experimentSection(e, platforms)),
    `<script>${SCRIPT}</script>`,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}
