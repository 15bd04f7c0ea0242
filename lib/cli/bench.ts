/**
 * `deno task bench`: wall time of every experiment (all cases, 3 trials
 * each, as run-all runs them), time per case, the whole run, and the cost
 * of one FFI call, of the self-check and of one `readLeftovers()`. Speed is
 * reported here, never asserted in tests. While it runs, a progress line on stderr (when
 * that is a terminal) says which experiment, round and case it is at.
 *
 * @module
 */

import { hostPosix } from "../../ffi/posix.ts";
import { runSelfCheck, SELF_CHECKS } from "../self_check/self_check.ts";
import { failureExitCode } from "./ending.ts";
import { parseFlags, positiveInteger } from "./flags.ts";
import { runCase } from "../engine/run.ts";
import { expandCases } from "../engine/scenario.ts";
import { openCapture } from "../wire/capture.ts";
import { readLeftovers } from "../kernel/leftovers.ts";
import { plural } from "./plural.ts";
import { startProgress } from "./progress.ts";
import { outputWidth, renderFittedTable, wrapText } from "./table.ts";
import { DEFAULT_TRIAL_OPTIONS } from "../engine/trial.ts";
import { EXPERIMENTS, isSlowExperiment } from "../../experiments/mod.ts";
import { STACK_NAMES, type StackName } from "../results/stack.ts";
import { runAllDenoArgs } from "../stacks/launcher.ts";
import { runBounded } from "../stacks/process.ts";
import { parseTimeSummary, type TimeFigures } from "./time_summary.ts";

const USAGE = `Usage: deno task bench [--rounds N] [--trials N] [--no-jobs]
                        [--no-slow] [--no-trace] [--no-stacks]

Times every quick experiment as run-all's serial engine runs it, the cost of one
FFI call, of the self-check run-all makes first, and of one
readLeftovers() (the kernel's sockets for a trial's 4-tuple). Shows which
experiment and round it is at on stderr, when that is a terminal.
Then times whole runs of run-all --only article --only teardown with
--jobs 1 and with the default jobs, in turn: wall time including Deno's
start, the ratio, and where the time went in each. Then whole runs of the
slow experiments (deadpeer, slowclose: their trials wait seconds on the
kernel's timers), as run-all runs them by default. Then, as root on
Linux, the tracer's cost: whole runs traced and with --no-trace, in turn,
per trial and per run. Then one whole run-all
on each TCP stack this machine can run (the host, linux-6.1 under QEMU,
gvisor): wall time including the stack's start, and the run's own time
inside it.

  --rounds N   how many times every case runs (default 5), and how many
               paired whole runs (default 3); medians and ranges are shown
  --trials N   trials per case (default 3, as run-all)
  --no-jobs    skip the whole runs with --jobs 1 and the default
  --no-slow    skip the whole runs of the slow experiments
  --no-trace   skip the whole runs traced and with --no-trace
  --no-stacks  skip the whole runs on each stack
  --help       show this help`;

/** Median of a non-empty list. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** The row of one timed set of cases: median, per case, range. */
function timeRow(name: string, cases: number, times: number[]): string[] {
  const ms = median(times);
  return [
    name,
    String(cases),
    `${ms.toFixed(1)} ms`,
    `${(ms / cases).toFixed(2)} ms`,
    `${Math.min(...times).toFixed(1)}–${Math.max(...times).toFixed(1)} ms`,
  ];
}

async function main(args: string[]): Promise<number> {
  const { values } = parseFlags(args, {
    rounds: { type: "string" },
    trials: { type: "string" },
    "no-jobs": { type: "boolean" },
    "no-slow": { type: "boolean" },
    "no-trace": { type: "boolean" },
    "no-stacks": { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const rounds = positiveInteger("--rounds", values.rounds ?? "5");
  const trials = positiveInteger("--trials", values.trials ?? "3");
  const posix = hostPosix();

  // One FFI call: close(-1) fails at once with EBADF, then errno is read.
  const calls = 100_000;
  const start = performance.now();
  for (let i = 0; i < calls; i++) posix.close(-1);
  const nsPerCall = ((performance.now() - start) * 1e6) / calls;

  // One readLeftovers() call, as trials make it during a settle: a netlink
  // socket opened, two sock_diag lookups, the socket closed.
  const lookups = 2_000;
  const nowhere = {
    client: { family: "inet", address: "127.0.0.1", port: 1 },
    server: { family: "inet", address: "127.0.0.1", port: 2 },
  } as const;
  const leftoversStart = performance.now();
  let leftovers = readLeftovers(nowhere, posix);
  for (let i = 1; i < lookups; i++) leftovers = readLeftovers(nowhere, posix);
  const usPerLeftovers = ((performance.now() - leftoversStart) * 1e3) /
    lookups;

  // The self-check, as run-all runs it before every run: the median of
  // 50 runs after one to warm up, and the slowest.
  runSelfCheck(posix);
  const checkTimes: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now();
    runSelfCheck(posix);
    checkTimes.push(performance.now() - t0);
  }

  // Trials run as run-all runs them: leftovers read, the wire captured
  // where the privilege allows.
  const capture = openCapture(posix);
  const options = {
    ...DEFAULT_TRIAL_OPTIONS,
    leftovers: true,
    wire: capture,
  };
  // The slow experiments are timed as whole runs below: one after another
  // their trials would take minutes, most of it waiting.
  const experiments = EXPERIMENTS.filter((e) => !isSlowExperiment(e)).map((
    e,
  ) => ({ experiment: e, cases: expandCases(e) }));
  const caseCount = experiments.reduce((n, e) => n + e.cases.length, 0);
  const rows: string[][] = [];
  const totals: number[] = new Array(rounds).fill(0);
  // Updated for every case: it redraws only every 80 ms, and writes
  // nothing when stderr is not a terminal.
  const progress = startProgress(rounds * caseCount);
  let done = 0;
  try {
    for (const { experiment, cases } of experiments) {
      const times: number[] = [];
      for (let r = 0; r < rounds; r++) {
        const round = `round ${r + 1}/${rounds}`;
        const t0 = performance.now();
        for (const c of cases) {
          progress.update(done, `${round} ${c.id}`);
          runCase(posix, c, trials, options);
          done++;
        }
        const ms = performance.now() - t0;
        times.push(ms);
        totals[r]! += ms;
      }
      rows.push(timeRow(experiment.name, cases.length, times));
    }
  } finally {
    progress.done();
    if ("close" in capture) capture.close();
  }
  rows.push(timeRow("all", caseCount, totals));

  const width = outputWidth();
  const article = experiments.find((e) => e.experiment.name === "article");
  console.log(
    `${plural(trials, "trial")} per case, ${plural(rounds, "round")}: ` +
      `the median round's wall time, and the range\n`,
  );
  console.log(renderFittedTable(
    ["experiment", "cases", "median wall", "per case", "range"],
    rows,
    { width },
  ));
  console.log(
    "\n" + renderFittedTable(["measure", "result"], [
      [
        "wire",
        "unavailable" in capture
          ? `not captured (${capture.unavailable})`
          : "captured on lo, as run-all does",
      ],
      [
        "one FFI call",
        `${nsPerCall.toFixed(0)} ns (close(-1) and its errno read)`,
      ],
      [
        "the self-check",
        `${median(checkTimes).toFixed(1)} ms median, ${
          Math.max(...checkTimes).toFixed(1)
        } ms at most (${SELF_CHECKS.length} checks, 50 runs)`,
      ],
      [
        "one readLeftovers()",
        "unavailable" in leftovers
          ? `unavailable (${leftovers.unavailable})`
          : `${usPerLeftovers.toFixed(0)} µs (2 sock_diag lookups)`,
      ],
      ...(article === undefined ? [] : [[
        "the article's script",
        `${8 * article.cases.length} s for ` +
        `${plural(article.cases.length, "case")} (it sleeps 8 s per case)`,
      ]]),
    ], { width }),
  );
  if (!values["no-jobs"]) {
    console.log(
      "\n" + await timeJobs(trials, values.rounds ? rounds : 3, width),
    );
  }
  if (!values["no-slow"]) {
    console.log(
      "\n" + await timeSlow(trials, values.rounds ? rounds : 3, width),
    );
  }
  if (!values["no-trace"]) {
    console.log(
      "\n" + await timeTracer(trials, values.rounds ? rounds : 3, width),
    );
  }
  if (!values["no-stacks"]) {
    const timed = await timeStacks(trials);
    console.log(
      `\nOne whole run-all per stack (${plural(trials, "trial")} per case, ` +
        `every experiment, results to a temporary folder):\n`,
    );
    console.log(renderFittedTable(
      ["stack", "wall", "run inside", "note"],
      timed,
      { width },
    ));
  }
  return 0;
}

/** The run's own time from run-all's summary line (`… in 7.53 s`). */
export function runSeconds(stdout: string): number | null {
  const m = /^\d+ cases? × \d+ trials? in (\d+(?:\.\d+)?) s/m.exec(stdout);
  return m === null ? null : Number(m[1]);
}

/** One whole run-all: its wall time, and the figures of its time line. */
interface WholeRun {
  readonly wallMs: number;
  readonly figures: TimeFigures;
  /** Whether its summary says the kernel was traced. */
  readonly traced: boolean;
  /** Trials run (cases × trials, from its summary). */
  readonly trialCount: number;
}

/**
 * Runs `deno task run-all --only article --only teardown` once in a
 * subprocess with `jobs` (the default when null), results to `dir`.
 *
 * @throws {Error} when the run fails or prints no time line.
 */
async function wholeRun(
  dir: string,
  trials: number,
  jobs: number | null,
  extra: readonly string[] = [],
  only: readonly string[] = JOBS_CASES,
): Promise<WholeRun> {
  const out = `${dir}/${jobs ?? "default"}${extra.join("")}.json`;
  const t0 = performance.now();
  const run = await runBounded(Deno.execPath(), {
    args: runAllDenoArgs([
      ...only.flatMap((p) => ["--only", p]),
      "--trials",
      String(trials),
      ...(jobs === null ? [] : ["--jobs", String(jobs)]),
      ...extra,
      "--out",
      out,
    ]),
    deadlineMs: 5 * 60_000,
    env: { NO_COLOR: "1" },
  });
  const wallMs = performance.now() - t0;
  const figures = parseTimeSummary(run.stdout);
  const traced = /^transitions: traced /m.test(run.stdout);
  const ran = /^(\d+) cases? × (\d+) trials?/m.exec(run.stdout);
  const trialCount = ran ? Number(ran[1]) * Number(ran[2]) : NaN;
  if (run.code !== 0 || figures === null) {
    throw new Error(
      `run-all ${jobs === null ? "" : `--jobs ${jobs} `}failed: ${
        run.stderr.trim().split("\n").at(-1) ?? `exit ${run.code}`
      }`,
    );
  }
  Deno.removeSync(out);
  return { wallMs, figures, traced, trialCount };
}

/** The run whose wall time is the median of `runs` (not empty). */
function medianRun(runs: readonly WholeRun[]): WholeRun {
  return [...runs].sort((a, b) => a.wallMs - b.wallMs)[
    Math.floor(runs.length / 2)
  ]!;
}

/** Milliseconds as seconds to the hundredth: `5.66 s`. */
function secondsText(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

/** The experiments the jobs comparison runs (the issue's 102 cases). */
const JOBS_CASES = ["article", "teardown"];

/** The experiments whose trials wait seconds on the kernel's timers. */
const SLOW_CASES = EXPERIMENTS.filter(isSlowExperiment).map((e) => e.name);

/**
 * Times `rounds` whole runs of the slow experiments with run-all's default
 * jobs (a worker per slow trial): the median wall time and the range, and
 * the slowest trial of the median run, which bounds it from below.
 */
async function timeSlow(
  trials: number,
  rounds: number,
  width: number,
): Promise<string> {
  const dir = Deno.makeTempDirSync({ prefix: "escoteria-slow-" });
  const runs: WholeRun[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      runs.push(await wholeRun(dir, trials, null, [], SLOW_CASES));
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
  const walls = runs.map((r) => r.wallMs);
  const mid = medianRun(runs);
  const s = secondsText;
  return [
    wrapText(
      `run-all ${SLOW_CASES.map((n) => `--only ${n}`).join(" ")} ` +
        `(${plural(trials, "trial")} per case, ${mid.trialCount} trials), ` +
        `the default jobs, ${plural(rounds, "run")}:`,
      width,
    ),
    "",
    renderFittedTable(["measure", "result"], [
      ["wall, Deno's start included", `${s(median(walls))} median`],
      ["range", `${s(Math.min(...walls))}–${s(Math.max(...walls))}`],
      ["workers (median run)", String(mid.figures.workers)],
      ["trials' own time, summed", s(mid.figures.trialTimeMs)],
      ["longest trial", s(mid.figures.longestTrialMs)],
    ], { width }),
  ].join("\n");
}

/**
 * Times whole runs with `--jobs 1` and with the default, in turn, `rounds`
 * pairs: the medians, the paired ratio, and each phase of the median runs.
 */
async function timeJobs(
  trials: number,
  rounds: number,
  width: number,
): Promise<string> {
  const dir = Deno.makeTempDirSync({ prefix: "escoteria-jobs-" });
  const serial: WholeRun[] = [];
  const concurrent: WholeRun[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      serial.push(await wholeRun(dir, trials, 1));
      concurrent.push(await wholeRun(dir, trials, null));
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
  const ratios = serial.map((s, i) => s.wallMs / concurrent[i]!.wallMs);
  const [a, b] = [medianRun(serial), medianRun(concurrent)];
  const ms = (n: number | null) => n === null ? "-" : `${Math.round(n)} ms`;
  const s = secondsText;
  const range = (runs: WholeRun[]) =>
    `${s(Math.min(...runs.map((r) => r.wallMs)))}–${
      s(Math.max(...runs.map((r) => r.wallMs)))
    }`;
  const row = (name: string, f: (r: WholeRun) => string) => [name, f(a), f(b)];
  const table = renderFittedTable(
    ["", "--jobs 1", `default (${b.figures.workers} workers)`],
    [
      row("wall, Deno's start included", (r) => s(r.wallMs)),
      ["range", range(serial), range(concurrent)],
      row("Deno's start and loading", (r) => ms(r.figures.startMs)),
      row("self-check", (r) => ms(r.figures.selfCheckMs)),
      row("trials", (r) => ms(r.figures.trialsMs)),
      row("  every worker ready after", (r) => ms(r.figures.workersReadyMs)),
      row("  trials' own time, summed", (r) => ms(r.figures.trialTimeMs)),
      row("  median trial", (r) => ms(r.figures.medianTrialMs)),
      row("  longest trial", (r) => ms(r.figures.longestTrialMs)),
      row("results written", (r) => ms(r.figures.writeMs)),
      row(
        "the rest (process start, exit)",
        (r) =>
          ms(
            r.wallMs - r.figures.startMs - r.figures.selfCheckMs -
              r.figures.trialsMs - r.figures.writeMs - r.figures.documentsMs,
          ),
      ),
    ],
    { width },
  );
  return [
    wrapText(
      `run-all --only article --only teardown (${plural(trials, "trial")} ` +
        `per case), --jobs 1 and the default in turn, ` +
        `${plural(rounds, "pair")}; the median run of each:`,
      width,
    ),
    "",
    table,
    "",
    wrapText(
      `The default is ${median(ratios).toFixed(1)}× faster (median of the ` +
        `paired ratios, ${Math.min(...ratios).toFixed(1)}–${
          Math.max(...ratios).toFixed(1)
        }×). Documents are not rebuilt: the results go to a temporary ` +
        `folder. Trials overlap, so their own times add up to more than ` +
        `the trials' wall time.`,
      width,
    ),
  ].join("\n");
}

/**
 * Times whole runs with the kernel traced (the default) and with
 * `--no-trace`, in turn, `rounds` pairs, both with the default jobs: the
 * tracer's cost per trial (the trials' own time, summed, over their
 * number), per run, and in the workers' start (each creates its instance).
 */
async function timeTracer(
  trials: number,
  rounds: number,
  width: number,
): Promise<string> {
  const dir = Deno.makeTempDirSync({ prefix: "escoteria-trace-" });
  const traced: WholeRun[] = [];
  const untraced: WholeRun[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      traced.push(await wholeRun(dir, trials, null));
      untraced.push(await wholeRun(dir, trials, null, ["--no-trace"]));
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
  if (!traced[0]!.traced) {
    return "The tracer's cost: not measured, the kernel cannot be traced " +
      "here (run as root on Linux).";
  }
  const med = (xs: number[]) => median(xs);
  const count = (r: WholeRun) => r.trialCount;
  const perTrial = traced.map((t, i) =>
    (t.figures.trialTimeMs - untraced[i]!.figures.trialTimeMs) /
    count(t)
  );
  const ms = (n: number) => `${n.toFixed(2)} ms`;
  const table = renderFittedTable(
    ["", "traced (default)", "--no-trace", "cost of tracing"],
    [
      [
        "wall, Deno's start included",
        ms(med(traced.map((r) => r.wallMs))),
        ms(med(untraced.map((r) => r.wallMs))),
        ms(med(traced.map((r, i) => r.wallMs - untraced[i]!.wallMs))),
      ],
      [
        "every worker ready after",
        ms(med(traced.map((r) => r.figures.workersReadyMs ?? 0))),
        ms(med(untraced.map((r) => r.figures.workersReadyMs ?? 0))),
        ms(
          med(traced.map((r, i) =>
            (r.figures.workersReadyMs ?? 0) -
            (untraced[i]!.figures.workersReadyMs ?? 0)
          )),
        ),
      ],
      [
        "median trial",
        ms(med(traced.map((r) => r.figures.medianTrialMs))),
        ms(med(untraced.map((r) => r.figures.medianTrialMs))),
        "",
      ],
      [
        "trials' own time, per trial",
        ms(med(traced.map((r) => r.figures.trialTimeMs / count(r)))),
        ms(med(untraced.map((r) => r.figures.trialTimeMs / count(r)))),
        ms(med(perTrial)),
      ],
    ],
    { width },
  );
  return [
    wrapText(
      `The tracer's cost: run-all --only article --only teardown ` +
        `(${plural(trials, "trial")} per case), traced and --no-trace in ` +
        `turn, ${plural(rounds, "pair")}; medians, the cost as the median ` +
        `of the paired differences:`,
      width,
    ),
    "",
    table,
  ].join("\n");
}

/** What a stack's wall time includes besides the run. */
const STACK_START: Record<StackName, string> = {
  host: "Deno's start included",
  "linux-6.1": "image, boot and bring-back included",
  gvisor: "the sandbox's start included",
};

/** Times one whole `run-all --stack NAME` per stack: rows for the table. */
async function timeStacks(trials: number): Promise<string[][]> {
  const dir = Deno.makeTempDirSync({ prefix: "escoteria-bench-" });
  const rows: string[][] = [];
  try {
    for (const stack of STACK_NAMES) {
      const t0 = performance.now();
      const out = await runBounded(Deno.execPath(), {
        args: runAllDenoArgs([
          "--stack",
          stack,
          "--trials",
          String(trials),
          "--out",
          `${dir}/${stack}.json`,
        ], ["--allow-run"]),
        deadlineMs: 20 * 60_000,
        env: { NO_COLOR: "1", COLUMNS: "100" },
      });
      const wall = (performance.now() - t0) / 1000;
      const inside = runSeconds(out.stdout);
      const line = out.stderr.trim().split("\n").at(-1) ?? "";
      rows.push(
        out.code === 0
          ? [
            stack,
            `${wall.toFixed(1)} s`,
            inside === null ? "-" : `${inside.toFixed(1)} s`,
            STACK_START[stack],
          ]
          : [stack, "-", "-", `not run: ${line.replace(/^run-all: /, "")}`],
      );
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
  return rows;
}

if (import.meta.main) {
  let code: number;
  try {
    code = await main(Deno.args);
  } catch (e) {
    code = failureExitCode("bench", "bench", e);
  }
  Deno.exit(code);
}
