import assert from "node:assert/strict";
import { hostPosix } from "../../ffi/posix.ts";
import { article } from "../../experiments/article.ts";
import { teardown } from "../../experiments/teardown.ts";
import { openSocketCount } from "../testing/fds.ts";
import { openCapture } from "../wire/capture.ts";
import { storyShape } from "../kernel/kernel_story.ts";
import { instanceName, instancesOf, openTracer } from "../kernel/tracer.ts";
import { type CaseResult } from "./run.ts";
import { DEFAULT_JOBS, isSlowTrial, runCases, workersFor } from "./jobs.ts";
import { expandCases, type Experiment, type Step } from "./scenario.ts";
import { DEFAULT_TRIAL_OPTIONS, type TrialOptions } from "./trial.ts";

const posix = hostPosix();
import { SLOW_START_WAIT_MS } from "./testdata/slow_start.ts";

const MISBEHAVING = new URL(
  "./testdata/misbehaving_worker.ts",
  import.meta.url,
);

/** A toy experiment: case `f=<fault>` sends the fault to the test worker. */
function toy(values: string[]): Experiment {
  return {
    name: "toy",
    intent: "Cases for the misbehaving worker.",
    factors: [{ name: "f", values }],
    roles: ["client", "server"],
    checkpoints: [],
    headline: [],
    steps: (params) => [{ op: "settle", side: "client", as: params.f } as Step],
  };
}

const TOY_OPTIONS: TrialOptions = { ...DEFAULT_TRIAL_OPTIONS, wire: null };

Deno.test("workersFor() starts no more workers than the trials fill, and 1 means serial", () => {
  assert.equal(workersFor(12, 306), 12);
  assert.equal(workersFor(12, 18), 3);
  assert.equal(workersFor(12, 8), 1);
  assert.equal(workersFor(1, 306), 1);
  assert.equal(workersFor(4, 0), 1);
  assert.equal(workersFor(12, 5, 1), 5);
});

Deno.test("isSlowTrial() and workersFor() give each slow trial a worker of its own", () => {
  const watch: Step = { side: "client", op: "watch", windowMs: 5000 };
  const lingers = (seconds: number): Step => ({
    side: "client",
    op: "set_linger",
    linger: { onoff: 1, seconds },
  });
  assert.ok(isSlowTrial([watch]));
  // A linger waits only while a fill has left data unsent.
  const fill: Step = { side: "client", op: "fill" };
  assert.ok(isSlowTrial([fill, lingers(2)]));
  assert.ok(!isSlowTrial([lingers(2)]));
  assert.ok(!isSlowTrial([fill, lingers(0)]));
  assert.ok(!isSlowTrial([{ side: "client", op: "settle" }]));
  // 36 slow trials and 18 quick ones: a worker per slow trial, and the
  // quick ones fill theirs (8 each), within the jobs asked.
  assert.equal(workersFor(64, 54, 8, 36), 39);
  assert.equal(workersFor(12, 54, 8, 36), 12);
});

Deno.test("runCases() hands out slow trials first, and keeps quick ones within quickJobs", async () => {
  const slow: Experiment = {
    ...toy(["wait"]),
    name: "slowtoy",
    factors: [{ name: "f", values: ["wait"] }, {
      name: "n",
      values: ["1", "2", "3", "4"],
    }],
    steps: () => [{ op: "watch", side: "client", as: "wait", windowMs: 1000 }],
  };
  const quick: Experiment = {
    ...toy(["wait"]),
    factors: [{ name: "f", values: ["wait"] }, {
      name: "n",
      values: Array.from({ length: 10 }, (_, i) => String(i)),
    }],
  };
  // Quick cases first in the given order: the slow ones still go first.
  const cases = [...expandCases(quick), ...expandCases(slow)];
  const handedOut: string[] = [];
  let quickInFlight = 0;
  let mostQuick = 0;
  const out = await runCases(posix, cases, {
    jobs: 8,
    quickJobs: 2,
    trials: 1,
    trial: TOY_OPTIONS,
    workerUrl: MISBEHAVING,
    trialsPerWorker: 1,
    onStart: (c) => {
      handedOut.push(c.experiment.name);
      if (c.experiment.name === "toy") {
        mostQuick = Math.max(mostQuick, ++quickInFlight);
      }
    },
    onTrial: (c) => {
      if (c.experiment.name === "toy") quickInFlight--;
    },
  });
  assert.deepEqual(out.cases.map((c) => c.id), cases.map((c) => c.id));
  assert.deepEqual(handedOut.slice(0, 4), Array(4).fill("slowtoy"));
  assert.equal(handedOut.length, 14);
  assert.equal(mostQuick, 2);
  assert.equal(out.workers, 8);
  assert.equal(out.stopped, 0);
});

Deno.test("runCases() folds each case's trials in the order the cases were given, whatever finished first", async () => {
  const cases = expandCases(toy(["a", "b", "c", "d", "e", "f", "g"]));
  const out = await runCases(posix, cases, {
    jobs: 3,
    trials: 3,
    trial: TOY_OPTIONS,
    workerUrl: MISBEHAVING,
    trialsPerWorker: 1,
  });
  assert.deepEqual(out.cases.map((c) => c.id), cases.map((c) => c.id));
  out.cases.forEach((c, i) => {
    assert.deepEqual(
      c.trials.map((t) => t.observations.job),
      [3 * i, 3 * i + 1, 3 * i + 2],
    );
  });
  assert.equal(out.stopped, 0);
});

Deno.test("a trial stuck past its budget is an error, its worker is stopped, its fds are closed and the rest go on", async () => {
  const before = openSocketCount();
  const cases = expandCases(toy(["a", "hang", "b", "c"]));
  const seen: string[] = [];
  const out = await runCases(posix, cases, {
    jobs: 2,
    trials: 2,
    trial: TOY_OPTIONS,
    workerUrl: MISBEHAVING,
    trialsPerWorker: 1,
    budgetMs: () => 400,
    onTrial: (c, trial) => seen.push(`${c.params.f}#${trial}`),
  });
  const hung = out.cases[1]!;
  for (const t of hung.trials) {
    assert.match(t.error ?? "", /did not finish within its 400 ms budget/);
  }
  for (const c of [out.cases[0]!, out.cases[2]!, out.cases[3]!]) {
    assert.ok(c.trials.every((t) => t.error === null), c.id);
  }
  assert.equal(out.stopped, 2);
  assert.equal(seen.length, 8, "every trial reported, the failed ones too");
  assert.equal(
    openSocketCount(),
    before,
    "the stuck worker's socket was closed",
  );
});

Deno.test("aborting the signal (Ctrl-C) stops every worker and closes their fds, then rejects", async () => {
  const before = openSocketCount();
  const interrupt = new AbortController();
  const reason = new Error("interrupted");
  setTimeout(() => interrupt.abort(reason), 300);
  await assert.rejects(
    runCases(posix, expandCases(toy(["a", "hang", "hang", "b"])), {
      jobs: 3,
      trials: 1,
      trial: TOY_OPTIONS,
      workerUrl: MISBEHAVING,
      trialsPerWorker: 1,
      budgetMs: () => 60_000,
      signal: interrupt.signal,
    }),
    (e) => e === reason,
  );
  assert.equal(openSocketCount(), before);
  // A serial run stops between cases.
  const serial = new AbortController();
  serial.abort(reason);
  await assert.rejects(
    runCases(posix, expandCases(toy(["a"])), {
      jobs: 1,
      trials: 1,
      trial: TOY_OPTIONS,
      signal: serial.signal,
    }),
    (e) => e === reason,
  );
});

Deno.test("a worker that fails outside the engine is replaced, and its trial says why", async () => {
  const cases = expandCases(toy(["throw", "a", "b"]));
  const out = await runCases(posix, cases, {
    jobs: 2,
    trials: 1,
    trial: TOY_OPTIONS,
    workerUrl: MISBEHAVING,
    trialsPerWorker: 1,
  });
  assert.equal(
    out.cases[0]!.trials[0]!.error,
    "trial worker failed: thrown outside the engine",
  );
  assert.equal(out.cases[1]!.trials[0]!.error, null);
  assert.equal(out.cases[2]!.trials[0]!.error, null);
  assert.equal(out.stopped, 1);
});

Deno.test("runCases() rejects what a serial run would throw: onTrial's failure, with every worker stopped", async () => {
  const before = openSocketCount();
  const cases = expandCases(toy(["a", "b", "c", "d"]));
  await assert.rejects(
    runCases(posix, cases, {
      jobs: 2,
      trials: 2,
      trial: TOY_OPTIONS,
      workerUrl: MISBEHAVING,
      trialsPerWorker: 1,
      onTrial: () => {
        throw new Error("disk full");
      },
    }),
    /disk full/,
  );
  assert.equal(openSocketCount(), before);
});

/** Busy loops on another thread until terminated: load on the machine. */
function startLoad(): Worker {
  const source = "for (;;) { Math.sqrt(Math.random()); }";
  const url = URL.createObjectURL(
    new Blob([source], { type: "application/javascript" }),
  );
  return new Worker(url, { type: "module" });
}

/** What a trial holds as evidence, for comparing runs. */
function evidence(c: CaseResult, trial: number): string {
  const t = c.trials[trial]!;
  return JSON.stringify({
    observations: t.observations,
    error: t.error,
    wire: t.wire,
    leftovers: t.leftovers,
    story: t.transitions && t.resets &&
      storyShape({ transitions: t.transitions, resets: t.resets }),
  });
}

Deno.test("concurrent trials under load observe what serial trials observe: every observation, wire, leftover and transition", async () => {
  const before = openSocketCount();
  const capture = openCapture(posix);
  const wired = !("unavailable" in capture);
  const tracer = openTracer(posix, instanceName(0));
  const traced = !("unavailable" in tracer);
  const options: TrialOptions = {
    ...DEFAULT_TRIAL_OPTIONS,
    leftovers: true,
    wire: capture,
  };
  const cases = [...expandCases(article), ...expandCases(teardown)];
  let serial: CaseResult[];
  try {
    serial = (await runCases(posix, cases, {
      jobs: 1,
      trials: 2,
      trial: options,
      trace: tracer,
    })).cases;
  } finally {
    if ("close" in capture) capture.close();
  }
  const load = startLoad();
  let concurrent: CaseResult[];
  try {
    concurrent = (await runCases(posix, cases, {
      jobs: DEFAULT_JOBS,
      trials: 2,
      trial: options,
      trace: tracer,
    })).cases;
  } finally {
    load.terminate();
    if ("close" in tracer) tracer.close();
  }
  assert.equal(openSocketCount(), before, "every worker's fds closed");
  if (Deno.build.os === "linux") assert.deepEqual(instancesOf(posix), []);
  assert.deepEqual(concurrent.map((c) => c.id), serial.map((c) => c.id));
  for (const [i, c] of concurrent.entries()) {
    const s = serial[i]!;
    assert.ok(
      c.stable,
      `${c.id}: unstable: ${c.unstableKeys?.join(" ")}: ${
        JSON.stringify(c.trials.map((t) => [t.transitions, t.resets]))
      }`,
    );
    assert.ok(
      s.stable,
      `${s.id} (serial): unstable: ${s.unstableKeys?.join(" ")}`,
    );
    assert.deepEqual(c.observations, s.observations, c.id);
    for (const trial of [0, 1]) {
      assert.equal(evidence(c, trial), evidence(s, 0), `${c.id} #${trial}`);
      if (wired) assert.ok(Array.isArray(c.trials[trial]!.wire), c.id);
      if (traced) {
        assert.ok(Array.isArray(c.trials[trial]!.transitions), c.id);
      }
      if (Deno.build.os === "linux") {
        assert.ok(Array.isArray(c.trials[trial]!.leftovers), c.id);
      }
    }
  }
});

Deno.test("without a tracer every trial says why it has no transitions, serially and in workers, and the run completes", async () => {
  const trace = { unavailable: "the kernel's trace events need root (test)" };
  const cases = expandCases(article);
  for (const jobs of [1, 3]) {
    const out = await runCases(posix, cases, {
      jobs,
      trials: 3,
      trial: { ...DEFAULT_TRIAL_OPTIONS, wire: null },
      trace,
    });
    assert.equal(out.workers, jobs);
    for (const c of out.cases) {
      for (const t of c.trials) {
        assert.equal(t.error, null, c.id);
        assert.equal(t.transitions, null, c.id);
        assert.equal(t.resets, null, c.id);
        assert.equal(t.transitionsUnavailable, trace.unavailable, c.id);
        assert.equal(t.checkpointTimes, undefined, c.id);
      }
    }
  }
});

Deno.test("a trial's budget starts once its worker is ready, not while the worker loads", async () => {
  // These workers take 200 ms to say they are ready, as one whose module
  // is type-checked first would; each trial answers at once.
  const out = await runCases(posix, expandCases(toy(["a", "b", "c", "d"])), {
    jobs: 2,
    trials: 1,
    trial: { ...TOY_OPTIONS, waitMs: SLOW_START_WAIT_MS },
    workerUrl: MISBEHAVING,
    trialsPerWorker: 1,
    budgetMs: () => 30,
  });
  assert.equal(out.stopped, 0);
  for (const c of out.cases) assert.equal(c.trials[0]!.error, null, c.id);
});
