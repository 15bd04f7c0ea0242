/**
 * run-all's `time:` summary line: where one run's time went (Deno's start,
 * the self-check, the trials with the workers' start and the trials' own
 * time, writing the results, the documents), and the same figures read
 * back from run-all's output for `deno task bench`.
 *
 * @module
 */

/** Where one run's time went, in milliseconds. */
export interface RunPhases {
  /** Deno's start and the loading of run-all's modules. */
  readonly startMs: number;
  readonly selfCheckMs: number;
  /** From the first trial's start to the last trial's end. */
  readonly trialsMs: number;
  readonly jobs: number;
  /** Until the workers were set up (0: serial). */
  readonly workersReadyMs: number;
  /** Each trial's own wall time. */
  readonly trialMs: readonly number[];
  readonly writeMs: number;
  readonly documentsMs: number;
}

/**
 * The summary line saying where the time went (`deno task bench` reads
 * it): each phase, and the trials' own time against their wall time.
 */
export function timeSummary(p: RunPhases): string {
  const ms = (n: number) => `${Math.round(n)} ms`;
  const sorted = [...p.trialMs].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  const jobs = p.jobs === 1
    ? "1 job"
    : `${p.jobs} jobs, workers ready after ${ms(p.workersReadyMs)}`;
  return `time: start ${ms(p.startMs)}, self-check ${ms(p.selfCheckMs)}, ` +
    `trials ${ms(p.trialsMs)} (${jobs}; ${ms(sum)} of trial time, ` +
    `median trial ${ms(median)}, longest ${ms(sorted.at(-1) ?? 0)}), ` +
    `results ${ms(p.writeMs)}, documents ${ms(p.documentsMs)}`;
}

/** The figures of a {@linkcode timeSummary} line, in milliseconds. */
export interface TimeFigures {
  readonly startMs: number;
  readonly selfCheckMs: number;
  readonly trialsMs: number;
  readonly jobs: number;
  /** `null` when serial. */
  readonly workersReadyMs: number | null;
  /** The trials' own time, summed. */
  readonly trialTimeMs: number;
  readonly medianTrialMs: number;
  readonly longestTrialMs: number;
  readonly writeMs: number;
  readonly documentsMs: number;
}

/**
 * Reads the figures back from run-all's output (its `time:` line, wrapped
 * or not); `null` when there is none.
 */
export function parseTimeSummary(stdout: string): TimeFigures | null {
  const lines = stdout.split("\n");
  const at = lines.findIndex((l) => l.startsWith("time: "));
  if (at < 0) return null;
  let text = lines[at]!;
  for (const next of lines.slice(at + 1)) {
    if (!next.startsWith("  ")) break;
    text += ` ${next.trim()}`;
  }
  const m = new RegExp(
    "^time: start (\\d+) ms, self-check (\\d+) ms, trials (\\d+) ms " +
      "\\((\\d+) jobs?(?:, workers ready after (\\d+) ms)?; (\\d+) ms of " +
      "trial time, median trial (\\d+) ms, longest (\\d+) ms\\), " +
      "results (\\d+) ms, documents (\\d+) ms$",
  ).exec(text);
  if (m === null) return null;
  const n = (i: number) => Number(m[i]);
  return {
    startMs: n(1),
    selfCheckMs: n(2),
    trialsMs: n(3),
    jobs: n(4),
    workersReadyMs: m[5] === undefined ? null : n(5),
    trialTimeMs: n(6),
    medianTrialMs: n(7),
    longestTrialMs: n(8),
    writeMs: n(9),
    documentsMs: n(10),
  };
}
