/**
 * Runs cases: each case's trials one after another, then the agreement
 * between them. A case whose trials disagree is `stable: false` with the
 * disagreeing keys listed, and keeps the first trial's values: nothing is
 * averaged away.
 *
 * @module
 */

import type { Posix } from "../../ffi/posix.ts";
import {
  type ResetSent,
  type StoryFields,
  storyShape,
  type Transition,
} from "../kernel/kernel_story.ts";
import {
  type KernelTracer,
  tellStory,
  type TracerUnavailable,
} from "../kernel/tracer.ts";
import type { Leftover } from "../kernel/leftovers.ts";
import { writeEndpoints, type WrittenEndpoints } from "../net/endpoints.ts";
import type { Segment } from "../wire/segments.ts";
import type { Observation } from "./observers.ts";
import type { Case } from "./scenario.ts";
import { runTrial, type TrialOptions, type TrialRecord } from "./trial.ts";

/** One trial of a case, as results files hold it. */
export interface TrialResult {
  endpoints: WrittenEndpoints | null;
  observations: Record<string, Observation>;
  /** Milliseconds per timed step, rounded to microseconds. */
  durations?: Record<string, number>;
  error?: string | null;
  wire?: Segment[] | null;
  wireUnavailable?: string;
  /** Index in `wire` of the first segment the engine's cleanup caused. */
  wireCleanupAt?: number;
  /** Per checkpoint, the segments on the wire when it was first reached. */
  wireCheckpoints?: Record<string, number>;
  leftovers?: Leftover[] | null;
  leftoversUnavailable?: string;
  /** Both sockets' state changes as the kernel traced them (Linux, root). */
  transitions?: Transition[] | null;
  /** The resets the kernel sent, with its reasons. */
  resets?: ResetSent[] | null;
  /** Why `transitions` and `resets` are null. */
  transitionsUnavailable?: string;
  /** Microseconds from the trial's start when each checkpoint was reached. */
  checkpointTimes?: Record<string, number>;
}

/** One case: parameters, agreed observations and every trial. */
export interface CaseResult {
  id: string;
  experiment: string;
  params: Record<string, string>;
  observations: Record<string, Observation>;
  stable: boolean;
  unstableKeys?: string[];
  trials: TrialResult[];
}

/** Called after every trial, for progress reports and pcap files. */
export type OnTrial = (
  c: Case,
  trial: number,
  result: TrialResult,
  record: TrialRecord,
) => void;

/** Rounds a duration to microseconds, so files stay readable. */
function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/**
 * Runs `trials` trials of one case and folds them into a case result;
 * with `trace` (this thread's tracer, or why there is none), each trial's
 * transitions and resets too.
 */
export function runCase(
  posix: Posix,
  c: Case,
  trials: number,
  options: TrialOptions,
  onTrial?: OnTrial,
  trace?: KernelTracer | TracerUnavailable | null,
): CaseResult {
  const steps = c.experiment.steps(c.params);
  const results: TrialResult[] = [];
  const network = c.experiment.network ?? "loopback";
  for (let i = 0; i < trials; i++) {
    const record = runTrial(posix, steps, { ...options, network });
    const result = trialResult(record, trace ? storyOf(trace, record) : {});
    results.push(result);
    onTrial?.(c, i, result, record);
  }
  return foldTrials(c, results);
}

/**
 * A trial's story from `trace`, or why the trial has none: its own
 * reason where it kept no window for one.
 */
export function storyOf(
  trace: KernelTracer | TracerUnavailable,
  record: Pick<TrialRecord, "endpoints" | "traceWindow" | "traceUnavailable">,
): StoryFields {
  if (record.traceUnavailable !== undefined && record.endpoints !== null) {
    return {
      transitions: null,
      resets: null,
      transitionsUnavailable: record.traceUnavailable,
    };
  }
  return tellStory(trace, record.endpoints, record.traceWindow);
}

/**
 * A trial's record as results files hold it, with its story (told by the
 * thread holding the tracer) where there is one.
 */
export function trialResult(
  record: TrialRecord,
  story: StoryFields = {},
): TrialResult {
  const {
    durations,
    endpoints,
    traceWindow: _,
    traceUnavailable: __,
    checkpointTimes,
    ...rest
  } = record;
  return withStory(
    {
      ...rest,
      endpoints: endpoints && writeEndpoints(endpoints),
      durations: Object.fromEntries(
        Object.entries(durations).map(([k, v]) => [k, roundMs(v)]),
      ),
    },
    story,
    checkpointTimes,
  );
}

/**
 * `result` with its story; the checkpoints' times on the trace clock go
 * with the transitions they place, and only with them.
 */
export function withStory(
  result: TrialResult,
  story: StoryFields,
  checkpointTimes: Record<string, number> | undefined,
): TrialResult {
  return {
    ...result,
    ...story,
    ...(story.transitions && checkpointTimes ? { checkpointTimes } : {}),
  };
}

/** Compares trials key by key; the first trial's values stand for the case. */
export function foldTrials(c: Case, trials: TrialResult[]): CaseResult {
  const first = trials[0];
  if (!first) throw new RangeError(`Case ${c.id} has no trials`);
  // The wire, the leftovers and the kernel's transitions and resets (in
  // order, without their times) are evidence, compared like observations.
  const views = trials.map((t): Record<string, Observation> => ({
    ...t.observations,
    ...(t.error ? { error: t.error } : {}),
    ...(t.wire ? { wire: JSON.stringify(t.wire) } : {}),
    ...(t.leftovers ? { leftovers: JSON.stringify(t.leftovers) } : {}),
    ...(t.transitions && t.resets
      ? storyShape({ transitions: t.transitions, resets: t.resets })
      : {}),
  }));
  const keys = new Set(views.flatMap((v) => Object.keys(v)));
  const unstableKeys = [...keys].filter((k) =>
    views.some((v) => v[k] !== views[0]![k])
  ).sort();
  return {
    id: c.id,
    experiment: c.experiment.name,
    params: { ...c.params },
    observations: { ...first.observations },
    stable: unstableKeys.length === 0,
    ...(unstableKeys.length ? { unstableKeys } : {}),
    trials,
  };
}
