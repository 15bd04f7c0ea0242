import assert from "node:assert/strict";
import { EXPERIMENTS } from "../../../experiments/mod.ts";
import type { Results } from "../../results/format.ts";
import { compareResults } from "./compare.ts";
import { renderHtml } from "./html.ts";
import { buildAnswers } from "../answers.ts";
import { caseAnchor } from "../anchors.ts";
import { platformFiles, readPlatforms } from "../../results/platform_files.ts";

const INPUTS = new URL("./testdata/inputs", import.meta.url).pathname;

function fixtures(): Results[] {
  return readPlatforms(platformFiles(INPUTS));
}

function render(results: Results[]): string {
  return renderHtml(
    compareResults(results, EXPERIMENTS),
    buildAnswers(results, EXPERIMENTS),
  );
}

Deno.test("renderHtml() makes a page that needs nothing from outside", () => {
  const html = render(fixtures());
  for (
    const pattern of [
      /\ssrc=/i,
      /<link\b/i,
      /@import/i,
      /url\(/i,
      /href="(?!#)/i,
      /https?:\/\//i,
    ]
  ) {
    assert.doesNotMatch(html, pattern);
  }
  assert.match(html, /^<!DOCTYPE html>\n<html lang="en">/);
  assert.match(html, /<select id="f-experiment">/);
  assert.match(html, /<input type="checkbox" id="f-differences">/);
});

Deno.test("renderHtml() draws a ladder for every trial with wire evidence", () => {
  const results = fixtures();
  const html = render(results);
  const drawn = new Set<string>();
  const missing = new Set<string>();
  for (const section of html.split('<details class="case ').slice(1)) {
    const id = /id="([^"]+)"/.exec(section)![1];
    let platform = "";
    const captions = section.matchAll(
      /<h4>([^<]+)<\/h4>|<figcaption>(trials? [^<]+)<\/figcaption>|<p>(trials? [^:]+): no wire/g,
    );
    for (const m of captions) {
      if (m[1]) {
        platform = m[1];
        continue;
      }
      const into = m[2] ? drawn : missing;
      const numbers = (m[2] ?? m[3])!.replace(/ \(same wire\)$/, "")
        .replace(/^trials? /, "").split(", ").flatMap((part) => {
          const [a, b] = part.split("–").map(Number);
          return Array.from({ length: (b ?? a!) - a! + 1 }, (_, i) => a! + i);
        });
      for (const n of numbers) into.add(`${id} ${platform} ${n}`);
    }
  }
  const expectedDrawn = new Set<string>();
  const expectedMissing = new Set<string>();
  for (const r of results) {
    for (const c of r.cases) {
      c.trials.forEach((t, i) => {
        const key = `${caseAnchor(c.id)} ${r.platform.id} ${i + 1}`;
        (t.wire ? expectedDrawn : expectedMissing).add(key);
      });
    }
  }
  assert.equal(expectedDrawn.size, 14);
  assert.deepEqual([...drawn].sort(), [...expectedDrawn].sort());
  assert.deepEqual([...missing].sort(), [...expectedMissing].sort());
  // Trials 1 and 3 of linger=0 on freebsd saw one wire, trial 2 another.
  assert.match(html, /<figcaption>trials 1, 3 \(same wire\)<\/figcaption>/);
  assert.equal(html.match(/<svg /g)?.length, 6);
});

Deno.test("renderHtml() escapes every text that comes from a results file", () => {
  const [freebsd, linux] = fixtures();
  freebsd!.platform.note = "<script>alert(1)</script>";
  freebsd!.cases[0]!.observations["client.<b>"] = "<i>&";
  const html = render([freebsd!, linux!]);
  assert.doesNotMatch(html, /<script>alert|<b>|<i>/);
  assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  assert.match(html, /<code>client\.&lt;b&gt;<\/code>/);
  assert.match(html, /&lt;i&gt;&amp;/);
});

Deno.test("renderHtml() marks the cases and rows that differ for the filter", () => {
  const html = render(fixtures());
  const sections = [
    ...html.matchAll(
      /<details class="case filterable" id="([^"]+)" data-experiment="article" data-differences="(\d+)">/g,
    ),
  ].map((m) => [m[1], Number(m[2])]);
  assert.deepEqual(sections, [
    [caseAnchor("article/linger=off,shutdown=wr"), 2],
    [caseAnchor("article/linger=0,shutdown=rd"), 0],
    [caseAnchor("article/linger=0,shutdown=wr"), 1],
  ]);
  assert.equal(
    html.match(/<tr class="filterable differs" data-differences="1">/g)
      ?.length,
    3,
  );
  // Two platforms' cells: two observation rows, the wire, one headline key.
  assert.equal(html.match(/<td class="v d">/g)?.length, 2 * 4);
});
