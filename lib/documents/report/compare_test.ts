import assert from "node:assert/strict";
import { EXPERIMENTS } from "../../../experiments/mod.ts";
import type { Leftover, Results, TrialResult } from "../../results/format.ts";
import {
  agreementText,
  compareResults,
  distinctValues,
  groupTrialsByWire,
  trialNumbers,
  wireNotation,
} from "./compare.ts";
import { platformFiles, readPlatforms } from "../../results/platform_files.ts";

const INPUTS = new URL("./testdata/inputs", import.meta.url).pathname;

function differences(results: Results[]): string[] {
  return compareResults(results, EXPERIMENTS).experiments.flatMap((e) =>
    e.cases.flatMap((c) => [
      ...c.rows.filter((r) => r.differs).map((r) => `${c.id} ${r.key}`),
      ...(c.wire.differs ? [`${c.id} wire`] : []),
    ])
  );
}

function platform(id: string, source: "run" | "transcribed"): Results {
  const [os, arch] = id.split("-") as ["linux", string];
  return {
    schemaVersion: 2,
    platform: { id, os, arch, osRelease: "1", deno: null, source },
    cases: [],
  };
}

/** The Linux fixture and the FreeBSD one made from it by changing cells. */
function linuxAndFreebsd(): Results[] {
  return readPlatforms(platformFiles(INPUTS)).filter((r) =>
    ["linux-x86_64", "freebsd-amd64"].includes(r.platform.id)
  );
}

Deno.test("compareResults() finds exactly the cells the second fixture changed", () => {
  const results = linuxAndFreebsd();
  assert.equal(results.length, 2);
  assert.deepEqual(differences(results), [
    "article/linger=off,shutdown=wr server.tcp_state.after_shutdown",
    "article/linger=off,shutdown=wr wire",
    "article/linger=0,shutdown=wr client.poll.after_wait",
  ]);
  const counts = compareResults(results, EXPERIMENTS).experiments[0]!.cases
    .map((c) => [c.id, c.differences]);
  assert.deepEqual(counts, [
    ["article/linger=off,shutdown=wr", 2],
    ["article/linger=0,shutdown=rd", 0],
    ["article/linger=0,shutdown=wr", 1],
  ]);
});

Deno.test("compareResults() finds no difference between a platform and itself", () => {
  const [, linux] = linuxAndFreebsd();
  const twin = structuredClone(linux!);
  twin.platform.id = "linux-x86_64-twin";
  assert.deepEqual(differences([linux!, twin]), []);
});

Deno.test("compareResults() shows absent values as absent, never as differences", () => {
  const run = platform("linux-x86_64", "run");
  const transcribed = platform("openbsd-unknown-article", "transcribed");
  const trial = (o: Record<string, number>): TrialResult => ({
    endpoints: null,
    observations: o,
  });
  run.cases.push({
    id: "article/linger=0,shutdown=wr",
    experiment: "article",
    params: { linger: "0", shutdown: "wr" },
    observations: { "client.connected.after_wait": 0, "server.recv": 4 },
    stable: true,
    trials: [trial({ "client.connected.after_wait": 0 })],
  });
  transcribed.cases.push({
    ...run.cases[0]!,
    observations: { "client.connected.after_wait": 0 },
  });
  const c = compareResults([transcribed, run], EXPERIMENTS).experiments[0]!
    .cases[0]!;
  assert.equal(c.differences, 0);
  assert.deepEqual(
    c.rows.map((r) => [r.key, r.values]),
    [
      // In the order the steps record them: the server reads first.
      ["server.recv", [4, undefined]],
      ["client.connected.after_wait", [0, 0]],
    ],
  );
  assert.deepEqual(c.wire.values, [undefined, undefined]);
});

Deno.test("compareResults() puts runs before transcriptions and lists the OSes never run", () => {
  const comparison = compareResults(
    [
      platform("openbsd-unknown-article", "transcribed"),
      platform("linux-x86_64", "run"),
    ],
    EXPERIMENTS,
  );
  assert.deepEqual(comparison.platforms.map((p) => p.id), [
    "linux-x86_64",
    "openbsd-unknown-article",
  ]);
  assert.deepEqual(comparison.untested, [
    "macOS (no results file)",
    "FreeBSD (no results file)",
    "OpenBSD (not run; only transcribed: openbsd-unknown-article)",
  ]);
  assert.deepEqual(comparison.experiments, []);
});

Deno.test("compareResults() keeps cases of experiments it does not define", () => {
  const run = platform("linux-x86_64", "run");
  run.cases.push({
    id: "future/a=1",
    experiment: "future",
    params: { a: "1" },
    observations: { k: 1 },
    stable: true,
    trials: [{ endpoints: null, observations: { k: 1 } }],
  });
  const [e] = compareResults([run], EXPERIMENTS).experiments;
  assert.equal(e?.name, "future");
  assert.equal(e?.intent, null);
  assert.deepEqual(e?.headline, ["k"]);
  assert.equal(e?.cases[0]?.explanation, null);
});

Deno.test("trialNumbers() writes trial numbers with ranges", async (t) => {
  const cases: [number[], string][] = [
    [[1], "trial 1"],
    [[1, 2, 3], "trials 1–3"],
    [[1, 3], "trials 1, 3"],
    [[1, 2, 4], "trials 1–2, 4"],
  ];
  for (const [numbers, expected] of cases) {
    await t.step(expected, () => assert.equal(trialNumbers(numbers), expected));
  }
});

Deno.test("groupTrialsByWire() shares one group among trials with the same wire", () => {
  const syn = [{ from: "client", flags: "S", len: 0 }] as const;
  const rst = [{ from: "server", flags: "R.", len: 0 }] as const;
  const trials: TrialResult[] = [
    { endpoints: null, observations: {}, wire: [...syn] },
    { endpoints: null, observations: {}, wire: [...rst] },
    { endpoints: null, observations: {}, wire: [...syn] },
    { endpoints: null, observations: {}, wire: null, wireUnavailable: "x" },
    { endpoints: null, observations: {} },
  ];
  assert.deepEqual(
    groupTrialsByWire(trials).map((g) => [g.trials, g.wire, g.unavailable]),
    [
      [[1, 3], syn, ""],
      [[2], rst, ""],
      [[4], null, "x"],
      [[5], null, "not captured"],
    ],
  );
});

Deno.test("wireNotation() writes direction, flags and length", () => {
  assert.equal(
    wireNotation([
      { from: "client", flags: "P.", len: 4 },
      { from: "server", flags: ".", len: 0 },
    ]),
    "→P.4 ←.",
  );
  assert.equal(wireNotation([]), "(no segment)");
});

Deno.test("the article's transcription sits beside the Linux run without invented values", () => {
  const results = readPlatforms([
    new URL("../../../results/openbsd-unknown-article.json", import.meta.url)
      .pathname,
  ]);
  const reference = results[0]!;
  assert.equal(reference.platform.source, "transcribed");
  assert.equal(reference.platform.deno, null);
  const [article] = compareResults(results, EXPERIMENTS).experiments;
  assert.deepEqual(
    article?.cases.map((c) => [c.id, c.rows.map((r) => [r.key, r.values[0]])]),
    [
      ["article/linger=off,shutdown=wr", [["client.connected.after_wait", 1]]],
      ["article/linger=0,shutdown=wr", [["client.connected.after_wait", 0]]],
    ],
  );
  // The traces: the client's FIN three seconds later with linger off, the
  // server's RST right after its FIN with SO_LINGER {1, 0}.
  assert.deepEqual(article?.cases.map((c) => c.wire.values[0]), [
    "→S ←S. →. →P.4 ←. ←P.4 →. ←F. →. →F. ←.",
    "→S ←S. →. →P.4 ←. ←P.4 →. ←F. →. ←R.",
  ]);
});

Deno.test("compareResults() lists the trials that stopped early, by platform", () => {
  const run = platform("linux-x86_64", "run");
  run.cases.push({
    id: "article/linger=0,shutdown=wr",
    experiment: "article",
    params: { linger: "0", shutdown: "wr" },
    observations: {},
    stable: false,
    unstableKeys: ["error"],
    trials: [
      { endpoints: null, observations: {}, error: null },
      { endpoints: null, observations: {}, error: "deadline passed" },
    ],
  });
  const c = compareResults([run], EXPERIMENTS).experiments[0]!.cases[0]!;
  assert.deepEqual(c.errors, ["linux-x86_64, trial 2: deadline passed"]);
});

Deno.test("groupTrialsByWire() puts checkpoints in the order reached, with each side's state, even where they share a segment count", () => {
  const trial: TrialResult = {
    endpoints: null,
    observations: {
      "actor.tcp_state.after_shutdown": "FIN_WAIT2",
      "peer.tcp_state.after_shutdown": "CLOSE_WAIT",
      "peer.tcp_state.before": "ESTABLISHED",
    },
    wire: [
      { from: "client", flags: "S", len: 0 },
      { from: "server", flags: "S.", len: 0 },
      { from: "client", flags: ".", len: 0 },
      { from: "client", flags: "F.", len: 0 },
    ],
    // Keys in code-unit order, as results files store them.
    wireCheckpoints: { after_close: 4, after_shutdown: 4, before: 3 },
  };
  const [group] = groupTrialsByWire(
    [trial],
    { actor: "client", peer: "server" },
    ["before", "after_shutdown", "after_close"],
  );
  assert.deepEqual(group!.marks, [
    { checkpoint: "before", at: 3, server: "ESTABLISHED" },
    {
      checkpoint: "after_shutdown",
      at: 4,
      client: "FIN_WAIT2",
      server: "CLOSE_WAIT",
    },
    { checkpoint: "after_close", at: 4 },
  ]);
});

Deno.test("compareResults() keeps every value a platform's trials saw where they disagreed", () => {
  const results = readPlatforms(platformFiles(INPUTS));
  const comparison = compareResults(results, EXPERIMENTS);
  const ids = comparison.platforms.map((p) => p.id);
  assert.deepEqual(ids, [
    "linux-x86_64",
    "linux-x86_64-6.1",
    "linux-x86_64-gvisor-20221219",
    "freebsd-amd64",
  ]);
  const gvisor = ids.indexOf("linux-x86_64-gvisor-20221219");
  const c = comparison.experiments[0]!.cases.find((c) =>
    c.id === "article/linger=off,shutdown=wr"
  )!;
  const row = c.rows.find((r) => r.key === "server.tcp_state.after_shutdown")!;
  assert.deepEqual(row.variants, [undefined, undefined, [
    { trials: [1], value: "FIN_WAIT1" },
    { trials: [2, 3], value: "FIN_WAIT2" },
  ], undefined]);
  // The first trial's value is the one compared.
  assert.equal(row.values[gvisor], "FIN_WAIT1");
  assert.deepEqual(
    c.wire.variants[gvisor]?.map((v) => v.trials),
    [[1], [2, 3]],
  );
  assert.deepEqual(c.wire.variants.filter((v) => v !== undefined).length, 1);
  assert.deepEqual(c.agreement.map((a) => a?.disagree), [
    [],
    [],
    ["server.tcp_state.after_shutdown", "wire"],
    [],
  ]);
  // Keys the trials agree on have no variants, even on that platform.
  const recv = c.rows.find((r) => r.key === "server.recv")!;
  assert.deepEqual(recv.variants, [undefined, undefined, undefined, undefined]);
});

Deno.test("compareResults() names the leftovers a platform's trials disagreed on", () => {
  const run = platform("linux-x86_64", "run");
  const trial = (leftovers: Leftover[]): TrialResult => ({
    endpoints: null,
    observations: {},
    leftovers,
  });
  run.cases.push({
    id: "article/linger=0,shutdown=wr",
    experiment: "article",
    params: { linger: "0", shutdown: "wr" },
    observations: {},
    stable: false,
    unstableKeys: ["leftovers"],
    trials: [
      trial([]),
      trial([{ side: "server", state: "TIME_WAIT" }]),
      trial([]),
    ],
  });
  const c = compareResults([run], EXPERIMENTS).experiments[0]!.cases[0]!;
  const agreement = c.agreement[0]!;
  assert.equal(
    agreementText(agreement),
    "trials disagree: leftovers; leftovers: trials 1, 3 none, trial 2 server TIME_WAIT",
  );
  assert.equal(agreementText(agreement, "brief"), "disagree: leftovers");
});

Deno.test("agreementText() says how a platform's trials agreed", async (t) => {
  const cases: [string, Parameters<typeof agreementText>[0], string, string][] =
    [
      ["one trial", { trials: 1, disagree: [] }, "1 trial", "agree"],
      ["all agree", { trials: 3, disagree: [] }, "3 trials agree", "agree"],
      [
        "keys and the wire",
        { trials: 3, disagree: ["a.b.c", "a.d", "wire"] },
        "trials disagree: a.b.c, a.d, wire",
        "disagree: 2 keys, wire",
      ],
    ];
  for (const [name, a, full, brief] of cases) {
    await t.step(name, () => {
      assert.equal(agreementText(a), full);
      assert.equal(agreementText(a, "brief"), brief);
    });
  }
});

Deno.test("distinctValues() groups trials by value, objects by content", () => {
  const trials: TrialResult[] = [
    { endpoints: null, observations: { a: 1, b: 2 } },
    { endpoints: null, observations: { b: 2, a: 1 } },
    { endpoints: null, observations: {} },
  ];
  assert.deepEqual(
    distinctValues(trials, (t) => t.observations).map((v) => v.trials),
    [[1, 2], [3]],
  );
  assert.deepEqual(distinctValues(trials, (t) => t.observations.c), [
    { trials: [1, 2, 3], value: undefined },
  ]);
});
