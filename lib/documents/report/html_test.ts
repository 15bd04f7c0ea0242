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
      /<h4>([^<]+?)(?: <span class="stack">[^<]*<\/span>)?<\/h4>|<figcaption>(trials? [^<]+)<\/figcaption>|<p>(trials? [^:]+): no wire/g,
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
  assert.equal(expectedDrawn.size, 28);
  assert.deepEqual([...drawn].sort(), [...expectedDrawn].sort());
  assert.deepEqual([...missing].sort(), [...expectedMissing].sort());
  // Trials 1 and 3 of linger=0 on freebsd saw one wire, trial 2 another.
  assert.match(html, /<figcaption>trials 1, 3 \(same wire\)<\/figcaption>/);
  // One ladder per distinct wire of a case on a platform: linger=off,wr
  // 1 + 1 + 2 (gVisor) + 1, linger=0,rd 1 + 2 (gVisor), linger=0,wr
  // 1 + 1 + 1 + 2 (FreeBSD).
  assert.equal(html.match(/<svg /g)?.length, 13);
});

Deno.test("renderHtml() escapes every text that comes from a results file", () => {
  const [freebsd, linux] = ["freebsd-amd64", "linux-x86_64"].map((id) =>
    fixtures().find((r) => r.platform.id === id)
  );
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
    [caseAnchor("article/linger=0,shutdown=rd"), 1],
    [caseAnchor("article/linger=0,shutdown=wr"), 2],
  ]);
  assert.equal(
    html.match(/<tr class="filterable differs" data-differences="1">/g)
      ?.length,
    5,
  );
  // Cells of differing rows: linger=off,wr's tcp_state and wire on four
  // platforms, linger=0,rd's poll on two, linger=0,wr's tcp_state and poll
  // on four; and the headline poll in the matrix, on two and four.
  assert.equal(html.match(/<td class="v d">/g)?.length, 4 + 4 + 2 + 8 + 6);
});

Deno.test("renderHtml() shows where a platform's trials disagreed, down to the collapsed case", () => {
  const html = render(fixtures());
  const summaries = [
    ...html.matchAll(
      /<summary><h4><code>([^<]+)<\/code><\/h4>(.*)<\/summary>/g,
    ),
  ].map((m) => [m[1], /trials disagree on ([^<]+)/.exec(m[2]!)?.[1] ?? ""]);
  assert.deepEqual(summaries, [
    ["article/linger=off,shutdown=wr", "gvisor"],
    ["article/linger=0,shutdown=rd", "gvisor"],
    ["article/linger=0,shutdown=wr", ""],
  ]);
  assert.match(
    html,
    /<td class="v d">FIN_WAIT1 <span class="trials">\(trial 1\)<\/span><br>FIN_WAIT2 <span class="trials">\(trials 2–3\)<\/span><\/td>/,
  );
  assert.match(
    html,
    /<th>trials<\/th><td class="trials">3 trials agree<\/td><td class="trials">3 trials agree<\/td><td><span class="disagree">trials disagree: server\.tcp_state\.after_shutdown, wire<\/span><\/td>/,
  );
  // The matrix gives gVisor, and only gVisor, a trials column.
  const matrixHead = /<table class="matrix"><thead>([^]*?)<\/thead>/.exec(
    html,
  )!;
  assert.equal(matrixHead[1]!.match(/<th>trials<\/th>/g)?.length, 1);
  assert.match(matrixHead[1]!, /gvisor<\/span><\/th>/);
  assert.match(html, /<span class="disagree">disagree: 1 key, wire<\/span>/);
});

Deno.test("renderHtml() heads columns with the platform and its stack, stacks first", () => {
  const html = render(fixtures());
  const head = /<table class="observations"><thead><tr>(.*?)<\/tr>/.exec(html)!;
  assert.deepEqual(
    [...head[1]!.matchAll(/<th>([^<]+)(?:<br><span class="stack">([^<]+))?/g)]
      .map((m) => [m[1], m[2] ?? null]),
    [
      ["observation", null],
      ["linux-x86_64", "host"],
      ["linux-x86_64-6.1", "linux-6.1"],
      ["linux-x86_64-gvisor-20221219", "gvisor"],
      ["freebsd-amd64", null],
    ],
  );
  assert.match(
    html,
    /<td><code>linux-x86_64-gvisor-20221219<\/code><\/td><td>gvisor: gVisor 0\.0~20221219\.0, in runsc [^<]*; POLLRDHUP: no<\/td>/,
  );
});
