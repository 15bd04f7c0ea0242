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
      ["seg-syn", 150, 350, "S"],
      ["seg-syn", 350, 150, "S."],
      ["seg-data", 150, 350, "P. 4"],
      ["seg-rst", 350, 150, "R."],
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

Deno.test("ladderSvg() puts each side's transitions beside its lifeline among the segments and checkpoints, in the order they happened", () => {
  const svg = ladderSvg(WIRE, "t", {
    marks: [{ checkpoint: "after", at: 4, client: "CLOSED", t: 900 }],
    states: [
      { side: "client", state: "SYN_SENT", at: 0, t: 60 },
      { side: "client", state: "ESTABLISHED", at: 2, t: 100 },
      { side: "server", state: "ESTABLISHED", at: 2, t: 110 },
      { side: "server", state: "CLOSED", at: 3, t: 500 },
      { side: "client", state: "CLOSED", at: 4, t: 510 },
    ],
    reasons: { 3: "TCP_ABORT_ON_CLOSE" },
    kept: { server: "TIME_WAIT" },
  });
  const order = [
    ...svg.matchAll(
      /<(?:g class="([^"]+)">.*?<text[^>]*>([^<]*)<\/text>|text class="([^"]+)"[^>]*>([^<]*)<\/text>)/g,
    ),
  ].map((m) => m[1] ? `${m[1]} ${m[2]}` : `${m[3]} ${m[4]}`);
  assert.deepEqual(order, [
    "transition SYN_SENT 0.06 ms",
    "seg-syn S",
    "seg-syn S.",
    // One row: the client's change and the server's, nothing between.
    "transition ESTABLISHED 0.10 ms",
    "transition ESTABLISHED 0.11 ms",
    "seg-data P. 4",
    "transition CLOSED 0.50 ms",
    "seg-rst R.",
    "reason reason: TCP_ABORT_ON_CLOSE",
    // The checkpoint was reached after the client's change (900 > 510).
    "transition CLOSED 0.51 ms",
    "checkpoint after",
    "state CLOSED",
    "kept kept: TIME_WAIT",
  ]);
  assert.match(
    svg,
    /<text class="transition" x="144" y="\d+" text-anchor="end">SYN_SENT 0.06 ms<\/text>/,
  );
  const ys = [
    ...svg.matchAll(/class="transition" x="\d+" y="(\d+)"[^>]*>ESTABLISHED/g),
  ]
    .map((m) => m[1]);
  assert.equal(ys.length, 2);
  assert.equal(ys[0], ys[1], "the two sides' changes share a row");
  assert.match(
    svg,
    /<text class="kept" x="356" y="\d+" text-anchor="start">kept: TIME_WAIT<\/text>/,
  );
});
