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
  /** Workers the trials ran in; 1: serially, in run-all's own thread. */
  readonly workers: number;
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
  const jobs = p.workers === 1
    ? "serial"
    : `${p.workers} workers, all ready after ${ms(p.workersReadyMs)}`;
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
  readonly workers: number;
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
      "\\((serial|(\\d+) workers, all ready after (\\d+) ms); (\\d+) ms of " +
      "trial time, median trial (\\d+) ms, longest (\\d+) ms\\), " +
      "results (\\d+) ms, documents (\\d+) ms$",
  ).exec(text);
  if (m === null) return null;
  const n = (i: number) => Number(m[i]);
  return {
    startMs: n(1),
    selfCheckMs: n(2),
    trialsMs: n(3),
    workers: m[4] === "serial" ? 1 : n(5),
    workersReadyMs: m[4] === "serial" ? null : n(6),
    trialTimeMs: n(7),
    medianTrialMs: n(8),
    longestTrialMs: n(9),
    writeMs: n(10),
    documentsMs: n(11),
  };
}
