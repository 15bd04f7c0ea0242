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
      ["seg-syn", 90, 290, "S"],
      ["seg-syn", 290, 90, "S."],
      ["seg-data", 90, 290, "P. 4"],
      ["seg-rst", 290, 90, "R."],
    ],
  );
  assert.match(svg, /^<svg [^>]*height="112"/);
  assert.match(svg, /<title>trial 1<\/title>/);
});

Deno.test("ladderSvg() draws checkpoints with each side's state where the steps reached them", () => {
  const svg = ladderSvg(WIRE, "t", {
    marks: [
      { checkpoint: "after_close", at: 4, client: "CLOSED" },
      {
        checkpoint: "before",
        at: 3,
        client: "ESTABLISHED",
        server: "ESTABLISHED",
      },
    ],
  });
  const order = [
    ...svg.matchAll(/<g class="([^"]+)">.*?<text[^>]*>([^<]*)<\/text>/g),
  ].map((m) => `${m[1]} ${m[2]}`);
  assert.deepEqual(order, [
    "seg-syn S",
    "seg-syn S.",
    "seg-data P. 4",
    "checkpoint before",
    "seg-rst R.",
    "checkpoint after_close",
  ]);
  assert.match(svg, /<text class="state"[^>]*text-anchor="end">CLOSED<\/text>/);
  assert.equal(svg.match(/class="state"/g)?.length, 3);
});

Deno.test("ladderSvg() draws the engine's cleanup segments after a cleanup line, marked", () => {
  const svg = ladderSvg(WIRE, "t", { cleanupAt: 3 });
  assert.match(svg, /<g class="cleanup-line">.*cleanup: the engine closes/);
  assert.equal(svg.match(/<g class="seg-[a-z]+ cleanup">/g)?.length, 1);
  assert.match(svg, /<g class="seg-rst cleanup">/);
  assert.ok(svg.indexOf("cleanup-line") < svg.indexOf("seg-rst cleanup"));
  // Nothing is drawn as cleanup when the engine closed nothing.
  assert.doesNotMatch(ladderSvg(WIRE, "t", { cleanupAt: 4 }), /cleanup/);
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
