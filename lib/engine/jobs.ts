/**
 * Runs cases with several trials in flight at once. A trial is almost all
 * waiting (quiet windows, the peer's delayed ACK), so `jobs` trial workers
 * ({@linkcode ./trial_worker.ts}) each run one trial at a time, taking the
 * next from one queue in canonical order; each trial has its own port pair,
 * its own sockets and (where the wire is captured) frames attributed by its
 * endpoints, so nothing it observes depends on what runs beside it. The
 * results are folded per case in the order the cases were given, whatever
 * the interleaving. `jobs: 1` is the serial engine, in this thread.
 *
 * Every trial has a budget (its steps' waits, each bounded, plus slack); a
 * worker that overruns it, or fails outside the trial's own error handling,
 * is stopped, the fds its ledger holds are closed, the trial is recorded
 * with the error, and a fresh worker takes the rest of the queue. Where the
 * kernel is traced, this thread holds the tracer: each trial notes its
 * window on the trace clock, and its story is told here as it ends.
 *
 * @module
 */

import type { Posix } from "../../ffi/posix.ts";
import {
  type KernelTracer,
  TraceClock,
  type TracerUnavailable,
} from "../kernel/tracer.ts";
import { parseEndpoint } from "../net/endpoints.ts";
import { LoopbackCapture } from "../wire/capture.ts";
import type { Frame } from "../wire/segments.ts";
import { FdLedger } from "./fd_ledger.ts";
import {
  type CaseResult,
  foldTrials,
  runCase,
  storyOf,
  type TrialResult,
  withStory,
} from "./run.ts";
import { type Case, type Step, stepExtraWaitMs } from "./scenario.ts";
import { trialFrames, type TrialOptions } from "./trial.ts";
import type {
  FromWorker,
  ToWorker,
  TrialDone,
  WorkerSetup,
} from "./worker_protocol.ts";

/** How {@linkcode runCases} runs. */
export interface JobsOptions {
  /** Trials in flight at once; 1 runs them one after another here. */
  readonly jobs: number;
  /**
   * Quick trials ({@linkcode isSlowTrial} says which are not) in flight at
   * once, at most; `jobs` by default. Slow trials are handed out first,
   * each to a worker of its own, and quick ones fill the other workers.
   */
  readonly quickJobs?: number;
  /** Trials per case. */
  readonly trials: number;
  /**
   * The trials' options. When the trials run in workers
   * ({@linkcode workersFor} > 1), a wire tap here only says that the wire
   * is captured: each worker opens its own, and this one is not read (close
   * it first, to spare the kernel a copy of every frame).
   */
  readonly trial: TrialOptions;
  /**
   * The kernel tracer, held by this thread (or why there is none): each
   * trial's transitions and resets are told from it as the trial ends.
   */
  readonly trace?: KernelTracer | TracerUnavailable | null;
  /** Whether `onTrial` gets each trial's frames (for pcap files). */
  readonly frames?: boolean;
  /** Called as each trial ends (in completion order). */
  readonly onTrial?: (
    c: Case,
    trial: number,
    result: TrialResult,
    frames: Frame[] | null,
  ) => void;
  /** Called as each trial is handed to a worker (tests watch the order). */
  readonly onStart?: (c: Case, trial: number) => void;
  /** Trials a worker needs to be started (tests ask for 1). */
  readonly trialsPerWorker?: number;
  /** The worker script; tests give one that misbehaves. */
  readonly workerUrl?: string | URL;
  /** A trial's budget in milliseconds, from its steps. */
  readonly budgetMs?: (steps: readonly Step[]) => number;
  /**
   * Aborting it (Ctrl-C) stops every worker and closes their fds, then
   * rejects with the signal's reason; a serial run stops between cases.
   */
  readonly signal?: AbortSignal;
}

/** What {@linkcode runCases} returns. */
export interface JobsOutcome {
  /** One result per case, in the order the cases were given. */
  readonly cases: CaseResult[];
  /** Frames the capture sockets' kernel buffers dropped. */
  readonly dropped: number;
  /** Workers stopped because their trial failed outside the engine. */
  readonly stopped: number;
  /** Each finished trial's own wall time in milliseconds. */
  readonly trialMs: number[];
  /** Workers started at first; 1 when the trials ran in this thread. */
  readonly workers: number;
  /**
   * Milliseconds from the start until the first workers were set up and
   * waiting (their module loaded, their capture open); 0 when serial.
   */
  readonly workersReadyMs: number;
}

/**
 * A trial's budget: every step may wait up to `waitMs` once, and so may
 * setting up, settling and cleaning up (each bounded too); past that, the
 * worker is stuck somewhere no deadline reaches.
 */
export function trialBudgetMs(
  steps: readonly Step[],
  waitMs: number,
): number {
  return waitMs * (steps.length + 8) + extraWaitMs(steps);
}

/** What the steps may wait beyond one wait each: windows, lingers. */
function extraWaitMs(steps: readonly Step[]): number {
  return steps.reduce((sum, step) => sum + stepExtraWaitMs(step), 0);
}

/**
 * A trial is slow when its steps are expected to wait for the kernel's
 * own timers for a second or more (a dead peer's detection window, a
 * linger timeout): it then spends its time waiting, not working.
 */
export const SLOW_TRIAL_MS = 1000;

/**
 * What the steps are expected to wait beyond one wait each: a watch its
 * whole window, a close() its linger time only where a fill left data
 * unsent (with nothing unsent, close() returns at once whatever the
 * linger; `trialBudgetMs` still allows for it).
 */
export function expectedWaitMs(steps: readonly Step[]): number {
  const unsent = steps.some((s) => s.op === "fill");
  return steps.reduce(
    (sum, s) =>
      sum +
      (s.op === "watch"
        ? s.windowMs
        : s.op === "set_linger" && unsent
        ? s.linger.seconds * 1000
        : 0),
    0,
  );
}

/** Whether a trial of `steps` is slow ({@linkcode SLOW_TRIAL_MS}). */
export function isSlowTrial(steps: readonly Step[]): boolean {
  return expectedWaitMs(steps) >= SLOW_TRIAL_MS;
}

/** Trials in flight by default: see `deno task bench`. */
export const DEFAULT_JOBS = 12;

/**
 * Trials a worker should have before it is worth starting: a worker's
 * start (its own isolate loading the engine, about 35 ms of CPU) pays for
 * itself only over several trials of about 20 ms.
 */
export const TRIALS_PER_WORKER = 8;

/**
 * Workers to start for `trials` trials with `jobs` in flight at most:
 * no more than the trials fill ({@linkcode TRIALS_PER_WORKER} each); 1
 * means the serial engine, in this thread.
 */
export function workersFor(
  jobs: number,
  trials: number,
  perWorker = TRIALS_PER_WORKER,
  slow = 0,
): number {
  const quick = Math.ceil((trials - slow) / perWorker);
  return Math.max(1, Math.min(jobs, slow + quick));
}

const TRIAL_WORKER = new URL("./trial_worker.ts", import.meta.url);

/**
 * How long a worker may take to load its module and say it is ready: far
 * more than the 0.1 s to 2 s it takes, since `deno test` type-checks a
 * worker's module where no cache has it yet, every worker at once.
 */
const WORKER_START_MS = 300_000;

/** How long a worker has to close its capture and end once asked. */
const STOP_MS = 5000;

/**
 * How long after `terminate()` its cleanup is done a second time. A worker
 * stops at its next point in JavaScript, so an FFI call it was in (a
 * `socket`, an `accept`) still completes after the first cleanup; the
 * second one closes what that call opened.
 */
const TERMINATE_GRACE_MS = 100;

/** One trial to run: which case, which of its trials. */
interface Job {
  readonly index: number;
  readonly c: Case;
  readonly trial: number;
  readonly steps: readonly Step[];
  /** Whether it waits seconds for the kernel ({@linkcode isSlowTrial}). */
  readonly slow: boolean;
}

/** A trial recorded without a run: the worker failed or was stopped. */
function failedTrial(error: string): TrialResult {
  return { endpoints: null, observations: {}, durations: {}, error };
}

/**
 * Runs `trials` trials of every case, `jobs` at a time; see the module
 * comment. Rejects only for what stops a serial run too (a permission
 * refused, `onTrial` throwing, the signal aborted); every worker is
 * stopped and every fd closed first.
 */
export async function runCases(
  posix: Posix,
  cases: readonly Case[],
  options: JobsOptions,
): Promise<JobsOutcome> {
  const jobs: Job[] = cases.flatMap((c) => {
    const steps = c.experiment.steps(c.params);
    const slow = isSlowTrial(steps);
    return Array.from(
      { length: options.trials },
      (_, trial) => ({ c, trial, steps, slow }),
    );
  }).map((j, index) => ({ ...j, index }));
  const workers = workersFor(
    options.jobs,
    jobs.length,
    options.trialsPerWorker,
    jobs.filter((j) => j.slow).length,
  );
  options.signal?.throwIfAborted();
  if (workers <= 1) return await runSerially(posix, cases, options);
  const results: (TrialResult | undefined)[] = new Array(jobs.length);
  const pool = new Pool(posix, jobs, results, options);
  const started = performance.now();
  await pool.run(workers);
  return {
    cases: cases.map((c, i) =>
      foldTrials(
        c,
        results.slice(
          i * options.trials,
          (i + 1) * options.trials,
        ) as TrialResult[],
      )
    ),
    dropped: pool.dropped,
    stopped: pool.stopped,
    trialMs: pool.trialMs,
    workers,
    workersReadyMs: pool.readyAt === null ? 0 : pool.readyAt - started,
  };
}

/**
 * The serial engine: one trial after another, in this thread. With a
 * signal, it lets the event loop run between cases, so that a Ctrl-C
 * handler can abort it there.
 */
async function runSerially(
  posix: Posix,
  cases: readonly Case[],
  options: JobsOptions,
): Promise<JobsOutcome> {
  const wire = options.trial.wire;
  const tap = wire instanceof LoopbackCapture ? wire : null;
  const trialMs: number[] = [];
  let started = performance.now();
  const ran: CaseResult[] = [];
  const trace = options.trace ?? null;
  const trial = {
    ...options.trial,
    clock: trace && !("unavailable" in trace) ? new TraceClock(posix) : null,
  };
  for (const c of cases) {
    if (options.signal) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      options.signal.throwIfAborted();
    }
    ran.push(
      runCase(
        posix,
        c,
        options.trials,
        trial,
        (_, i, result, record) => {
          trialMs.push(performance.now() - started);
          const frames = options.frames ? trialFrames(trial, record) : null;
          options.onTrial?.(c, i, result, frames);
          started = performance.now();
        },
        trace,
      ),
    );
  }
  return {
    cases: ran,
    dropped: tap?.dropped ?? 0,
    stopped: 0,
    trialMs,
    workers: 1,
    workersReadyMs: 0,
  };
}

/** One worker and the trial it is running. */
interface Slot {
  readonly worker: Worker;
  readonly ledger: FdLedger;
  job: Job | null;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Whether the worker has said it is ready (its module loaded). */
  ready: boolean;
  /** Resolves once the worker has stopped (or was stopped). */
  ended: PromiseWithResolvers<void>;
}

/** The workers of one {@linkcode runCases} call. */
class Pool {
  dropped = 0;
  stopped = 0;
  readonly trialMs: number[] = [];
  /** When the last of the first workers said it was ready. */
  readyAt: number | null = null;
  #unready = 0;
  /** The slow jobs, then the quick ones, each in canonical order. */
  readonly #queue: { slow: Job[]; quick: Job[] };
  #quickInFlight = 0;
  /** Second cleanups of terminated workers, awaited before the run ends. */
  readonly #cleanups: Promise<void>[] = [];
  #failure: unknown = null;
  readonly #slots = new Set<Slot>();
  readonly #setup: Omit<WorkerSetup, "ledger">;

  constructor(
    readonly posix: Posix,
    readonly jobs: readonly Job[],
    readonly results: (TrialResult | undefined)[],
    readonly options: JobsOptions,
  ) {
    this.#queue = {
      slow: jobs.filter((j) => j.slow),
      quick: jobs.filter((j) => !j.slow),
    };
    const { wire, clock: _, ...trial } = options.trial;
    const trace = options.trace;
    this.#setup = {
      kind: "setup",
      options: trial,
      clock: !!trace && !("unavailable" in trace),
      wire: wire === null
        ? null
        : "unavailable" in wire
        ? { unavailable: wire.unavailable }
        : "capture",
      frames: options.frames ?? false,
    };
  }

  /** Runs every job on `workers` workers; resolves when all have ended. */
  async run(workers: number): Promise<void> {
    const signal = this.options.signal;
    const abort = () => this.#abort(signal?.reason);
    signal?.addEventListener("abort", abort, { once: true });
    try {
      this.#unready = workers;
      for (let i = 0; i < workers; i++) this.#start();
      while (this.#slots.size > 0) {
        await Promise.race([...this.#slots].map((s) => s.ended.promise));
      }
      await Promise.all(this.#cleanups);
    } finally {
      signal?.removeEventListener("abort", abort);
    }
    if (this.#failure !== null) throw this.#failure;
  }

  /** Stops every worker at once: the run ends with `reason`. */
  #abort(reason: unknown): void {
    if (this.#failure === null) this.#failure = reason;
    for (const slot of [...this.#slots]) this.#end(slot, true);
  }

  #start(): void {
    const ledger = new FdLedger();
    const worker = new Worker(this.options.workerUrl ?? TRIAL_WORKER, {
      type: "module",
    });
    const slot: Slot = {
      worker,
      ledger,
      job: null,
      timer: setTimeout(
        () =>
          this.#fail(
            slot,
            `trial worker did not start within ${WORKER_START_MS} ms`,
          ),
        WORKER_START_MS,
      ),
      ready: false,
      ended: Promise.withResolvers<void>(),
    };
    this.#slots.add(slot);
    worker.onmessage = (e: MessageEvent<FromWorker>) =>
      this.#receive(slot, e.data);
    worker.onerror = (e) => {
      e.preventDefault();
      this.#fail(slot, `trial worker failed: ${e.message}`);
    };
    worker.onmessageerror = () =>
      this.#fail(slot, "trial worker: a message could not be read");
    this.#post(slot, { ...this.#setup, ledger: ledger.buffer });
    this.#assign(slot);
  }

  #post(slot: Slot, message: ToWorker): void {
    slot.worker.postMessage(message);
  }

  /**
   * The next job: a slow one while any is left, else a quick one while
   * fewer than `quickJobs` are in flight.
   */
  #take(): Job | undefined {
    if (this.#failure !== null) return undefined;
    const slow = this.#queue.slow.shift();
    if (slow) return slow;
    const limit = this.options.quickJobs ?? this.options.jobs;
    if (this.#quickInFlight >= limit) return undefined;
    const quick = this.#queue.quick.shift();
    if (quick) this.#quickInFlight++;
    return quick;
  }

  /** Whether jobs are still waiting for a worker. */
  #waiting(): boolean {
    return this.#queue.slow.length + this.#queue.quick.length > 0;
  }

  /** A job has ended, one way or another. */
  #ended(job: Job): void {
    if (!job.slow) this.#quickInFlight--;
  }

  /** Hands `slot` the next job, or asks it to stop when none is for it. */
  #assign(slot: Slot): void {
    const job = this.#take();
    if (job === undefined) {
      slot.job = null;
      this.#post(slot, { kind: "stop" });
      slot.timer = setTimeout(() => this.#end(slot, true), STOP_MS);
      return;
    }
    slot.job = job;
    this.options.onStart?.(job.c, job.trial);
    // A worker still loading has its start deadline running; the trial's
    // budget starts once it is ready.
    if (slot.ready) this.#arm(slot, job);
    this.#post(slot, {
      kind: "trial",
      job: job.index,
      steps: job.steps,
      network: job.c.experiment.network ?? "loopback",
    });
  }

  /** Starts `job`'s budget on `slot`: past it, the worker is stopped. */
  #arm(slot: Slot, job: Job): void {
    clearTimeout(slot.timer);
    const budget = (this.options.budgetMs ??
      ((s) => trialBudgetMs(s, this.options.trial.waitMs)))(job.steps);
    slot.timer = setTimeout(
      () =>
        this.#fail(
          slot,
          `trial did not finish within its ${budget} ms budget; its worker was stopped`,
        ),
      budget,
    );
  }

  #receive(slot: Slot, message: FromWorker): void {
    if (message.kind === "ready") {
      if (--this.#unready === 0) this.readyAt = performance.now();
      slot.ready = true;
      if (slot.job) this.#arm(slot, slot.job);
      return;
    }
    clearTimeout(slot.timer);
    switch (message.kind) {
      case "trial": {
        const job = slot.job;
        if (job === null || job.index !== message.job) {
          this.#fail(
            slot,
            `trial worker answered job ${message.job} out of turn`,
          );
          return;
        }
        this.trialMs.push(message.ms);
        this.#ended(job);
        this.#record(job, this.#told(message), message.frames);
        this.#assign(slot);
        return;
      }
      case "failed":
        if (message.notCapable && this.#failure === null) {
          this.#failure = new Deno.errors.NotCapable(message.error);
        }
        this.#fail(slot, `trial worker failed: ${message.error}`);
        return;
      case "stopped":
        this.dropped += message.dropped;
        this.#end(slot);
        return;
    }
  }

  /** The trial's result with its story, told from this thread's tracer. */
  #told(message: TrialDone): TrialResult {
    const trace = this.options.trace;
    if (!trace) return message.result;
    const written = message.result.endpoints;
    const endpoints = written && {
      client: parseEndpoint(written.client),
      server: parseEndpoint(written.server),
    };
    return withStory(
      message.result,
      storyOf(trace, {
        endpoints,
        ...(message.window ? { traceWindow: message.window } : {}),
        ...(message.traceUnavailable !== undefined
          ? { traceUnavailable: message.traceUnavailable }
          : {}),
      }),
      message.checkpointTimes,
    );
  }

  #record(job: Job, result: TrialResult, frames: Frame[] | null): void {
    this.results[job.index] = result;
    if (this.#failure !== null) return;
    try {
      this.options.onTrial?.(job.c, job.trial, result, frames);
    } catch (e) {
      this.#failure = e;
    }
  }

  /**
   * Stops `slot`'s worker after a failure: its trial is recorded with
   * `error`, and a fresh worker takes over the rest of the queue.
   */
  #fail(slot: Slot, error: string): void {
    if (!this.#slots.has(slot)) return;
    const job = slot.job;
    this.#end(slot, true);
    this.stopped++;
    if (job !== null) {
      this.#ended(job);
      this.#record(job, failedTrial(error), null);
    }
    if (this.#failure === null && this.#waiting()) this.#start();
  }

  /**
   * Ends `slot`'s worker and closes every fd its ledger still holds; a
   * worker stopped in the middle of its work (`forced`) is cleaned up once
   * more after {@linkcode TERMINATE_GRACE_MS}.
   */
  #end(slot: Slot, forced = false): void {
    if (!this.#slots.delete(slot)) return;
    clearTimeout(slot.timer);
    slot.worker.terminate();
    const cleanUp = () => {
      // Taken over first (lib/engine/fd_ledger.ts), so neither the worker,
      // still running for a moment, nor the second cleanup closes a
      // number the kernel may have given to someone else since.
      for (const fd of slot.ledger.takeOver()) this.#close(fd);
    };
    cleanUp();
    if (forced) {
      this.#cleanups.push(
        new Promise((resolve) =>
          setTimeout(() => resolve(cleanUp()), TERMINATE_GRACE_MS)
        ),
      );
    }
    slot.ended.resolve();
  }

  /**
   * Descriptors are process-wide: closing one here closes the worker's.
   * A socket is closed abortively (SO_LINGER {1, 0}; on any other fd the
   * setsockopt just fails): a stopped trial's socket closed in order could
   * go on retrying towards a peer's host that vanished, for minutes, and
   * keep the trial's network namespaces alive meanwhile.
   */
  #close(fd: number): void {
    this.posix.setLinger(fd, { onoff: 1, seconds: 0 });
    this.posix.close(fd);
  }
}
