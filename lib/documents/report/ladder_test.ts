import assert from "node:assert/strict";
import type { Segment } from "../../results/format.ts";
import { ladderSvg, segmentClass, segmentLabel } from "./ladder.ts";

const WIRE: Segment[] = [
  { from: "client", flags: "S", len: 0 },
  { from: "server", flags: "S.", len: 0 },
  { from: "client", flags: "P.", len: 4 },
  { from: "server", flags: "R.", len: 0 },
];

Deno.test("ladderSvg() draws one arrow per segment, in order", () => {
  const svg = ladderSvg(WIRE, "trial 1");
  const arrows = [
    ...svg.matchAll(
      /<g class="([^"]+)"><line x1="(\d+)"[^>]*x2="(\d+)"[^]*?<text[^>]*>([^<]*)<\/text><\/g>/g,
    ),
  ];
  assert.deepEqual(
    arrows.map((m) => [m[1], Number(m[2]), Number(m[3]), m[4]]),
    [
      ["seg-syn", 40, 200, "S"],
      ["seg-syn", 200, 40, "S."],
      ["seg-data", 40, 200, "P. 4"],
      ["seg-rst", 200, 40, "R."],
    ],
  );
  assert.match(svg, /^<svg [^>]*height="112"/);
  assert.match(svg, /<title>trial 1<\/title>/);
});

Deno.test("ladderSvg() escapes its title", () => {
  assert.match(ladderSvg([], "<b>"), /<title>&lt;b&gt;<\/title>/);
});

Deno.test("segmentClass() picks the most telling flag", async (t) => {
  const cases: [string, string][] = [
    ["FP.", "seg-fin"],
    ["R.", "seg-rst"],
    ["S.", "seg-syn"],
    ["P.", "seg-data"],
    [".", "seg-ack"],
  ];
  for (const [flags, expected] of cases) {
    await t.step(flags, () => assert.equal(segmentClass(flags), expected));
  }
});

Deno.test("segmentLabel() shows the length only when there is data", () => {
  assert.equal(segmentLabel({ from: "client", flags: ".", len: 0 }), ".");
  assert.equal(segmentLabel({ from: "client", flags: "P.", len: 4 }), "P. 4");
});
