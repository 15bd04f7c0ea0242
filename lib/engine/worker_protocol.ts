/**
 * The messages between the main thread and a trial worker
 * ({@linkcode ./trial_worker.ts}): the main thread sets a worker up once,
 * hands it one trial at a time as a list of steps (steps are plain data),
 * and stops it; the worker answers each trial with its result, and the
 * frames it captured when pcap files are wanted.
 *
 * @module
 */

import type { TraceWindow } from "../kernel/kernel_story.ts";
import type { Frame } from "../wire/segments.ts";
import type { TrialResult } from "./run.ts";
import type { Network, Step } from "./scenario.ts";
import type { TrialOptions } from "./trial.ts";

/** The first message: how the worker's trials run. */
export interface WorkerSetup {
  readonly kind: "setup";
  /** Shared memory where the worker notes every fd it holds. */
  readonly ledger: SharedArrayBuffer;
  readonly options: Omit<TrialOptions, "wire" | "clock">;
  /**
   * `capture`: open a capture of its own on lo; else why there is none,
   * or `null` for no wire at all.
   */
  readonly wire: "capture" | { readonly unavailable: string } | null;
  /** Whether to send each trial's frames back (for pcap files). */
  readonly frames: boolean;
  /**
   * Whether the main thread traces the kernel: then each trial notes its
   * window on the trace clock, for the main thread to tell its story.
   */
  readonly clock: boolean;
}

/** One trial to run. */
export interface TrialJob {
  readonly kind: "trial";
  readonly job: number;
  readonly steps: readonly Step[];
  /** Where the trial's connection runs. */
  readonly network: Network;
}

/** Close the capture and say how many frames its kernel buffer dropped. */
export interface StopWorker {
  readonly kind: "stop";
}

/** What the main thread sends. */
export type ToWorker = WorkerSetup | TrialJob | StopWorker;

/** A trial's result. */
export interface TrialDone {
  readonly kind: "trial";
  readonly job: number;
  readonly result: TrialResult;
  readonly frames: Frame[] | null;
  /** The trial's wall time in the worker, in milliseconds. */
  readonly ms: number;
  /** Where the kernel is traced: the trial's window on the trace clock. */
  readonly window?: TraceWindow;
  /** Why the trial kept no window although the kernel is traced. */
  readonly traceUnavailable?: string;
  /** And when it reached each checkpoint on that clock. */
  readonly checkpointTimes?: Record<string, number>;
}

/** The worker has set up (its capture open) and waits for trials. */
export interface WorkerReady {
  readonly kind: "ready";
}

/** Something threw outside a trial's own error handling. */
export interface WorkerFailed {
  readonly kind: "failed";
  readonly job: number | null;
  readonly error: string;
  /** A permission refused: the whole run stops, as it does serially. */
  readonly notCapable: boolean;
}

/** The worker closed its capture and is about to end. */
export interface WorkerStopped {
  readonly kind: "stopped";
  readonly dropped: number;
}

/** What a worker sends. */
export type FromWorker = WorkerReady | TrialDone | WorkerFailed | WorkerStopped;
