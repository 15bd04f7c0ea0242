/**
 * The comparison matrix: every case of every run platform as a row, its
 * observations as columns grouped by checkpoint, and a summary that answers
 * "how does the peer find out?" from the data alone. For each teardown the
 * actor did, each of the peer's observers either revealed it (its value
 * changed from the `before` checkpoint, or a send failed) at some checkpoint,
 * or never did. Written as `results/matrix.json`; `matrix_markdown.ts`
 * renders it as `results/MATRIX.md`.
 *
 * @module
 */

import { parseObservationKey } from "../engine/keys.ts";
import { type Observation, OBSERVERS } from "../engine/observers.ts";
import {
  expandCases,
  type Experiment,
  type Watch,
} from "../engine/scenario.ts";
import {
  compareIds,
  type Results,
  type Segment,
  type Stack,
} from "../results/format.ts";
import { type Refused, shownPlatforms } from "../results/platform_files.ts";
import { type Answers, buildAnswers } from "./answers.ts";
import { inPlatformOrder } from "./platform_order.ts";
import { type Reveal, revealsOf, watchPlan } from "./reveals.ts";

/** The matrix format this code writes. */
export const MATRIX_VERSION = 2;

/** Observation keys that share a checkpoint, in column order. */
export interface ColumnGroup {
  /** A checkpoint name, or `calls` for results of calls (no checkpoint). */
  readonly checkpoint: string;
  readonly keys: readonly string[];
}

/** One case of one platform. */
export interface MatrixRow {
  readonly id: string;
  readonly params: Readonly<Record<string, string>>;
  readonly stable: boolean;
  readonly observations: Readonly<Record<string, Observation>>;
  /** The first trial's segments as `client S` …, or why there are none. */
  readonly wire: readonly string[] | string;
  /** The first trial's leftovers as `server TIME_WAIT` …, or why none. */
  readonly leftovers: readonly string[] | string;
  /** Trials that stopped with an error. */
  readonly errors: number;
}

/** How the peer found out about one teardown, for the actors that did it. */
export interface Finding {
  /** The case's parameters except `actor`. */
  readonly teardown: Readonly<Record<string, string>>;
  /** Actors whose cases gave exactly this finding. */
  readonly actors: readonly string[];
  /** Observer name → where it first revealed the teardown, or `null`. */
  readonly observers: Readonly<Record<string, Reveal | null>>;
  /** The actor's teardown segments on the wire, or why none were seen. */
  readonly wire: readonly string[] | string;
}

/** One experiment on one platform. */
export interface MatrixExperiment {
  readonly name: string;
  readonly intent: string;
  readonly groups: readonly ColumnGroup[];
  readonly rows: readonly MatrixRow[];
  /** Present for experiments with an actor and a watching peer. */
  readonly findings?: readonly Finding[];
}

/** One platform's part of the matrix. */
export interface MatrixPlatform {
  readonly id: string;
  readonly os: string;
  readonly osRelease: string;
  /** The TCP stack that answered, where the platform file names it. */
  readonly stack?: Stack;
  readonly experiments: readonly MatrixExperiment[];
}

/** The whole matrix. */
export interface Matrix {
  readonly matrixVersion: typeof MATRIX_VERSION;
  /** The answers over the platforms run, as the documents open with them. */
  readonly answers: Answers;
  readonly platforms: readonly MatrixPlatform[];
  /** Supported OSes with no run results: untested, never guessed. */
  readonly untested: readonly string[];
  /** Platform files left out because their self-check failed, and why. */
  readonly refused: readonly Refused[];
}

/** A key's checkpoint, if the experiment has it, else `calls`. */
function checkpointOf(key: string, checkpoints: readonly string[]): string {
  const { at } = parseObservationKey(key);
  return at !== undefined && checkpoints.includes(at) ? at : "calls";
}

/**
 * Groups `keys` by checkpoint, in the experiment's checkpoint order; within
 * a group by role (in `roles` order) and observer (in the order they run),
 * other keys after them in code-unit order.
 */
export function columnGroups(
  keys: Iterable<string>,
  checkpoints: readonly string[],
  roles: readonly string[] = [],
): ColumnGroup[] {
  const rank = (k: string) => {
    const { role, observer } = parseObservationKey(k);
    const r = roles.indexOf(role);
    const o = (OBSERVERS as readonly string[]).indexOf(observer);
    return (r < 0 ? roles.length : r) * 100 + (o < 0 ? OBSERVERS.length : o);
  };
  const byCheckpoint = new Map<string, string[]>();
  for (const key of keys) {
    const checkpoint = checkpointOf(key, checkpoints);
    const list = byCheckpoint.get(checkpoint) ?? [];
    if (!list.includes(key)) list.push(key);
    byCheckpoint.set(checkpoint, list);
  }
  return [...checkpoints, "calls"].flatMap((checkpoint) => {
    const list = byCheckpoint.get(checkpoint);
    return list
      ? [{
        checkpoint,
        keys: list.sort((a, b) => rank(a) - rank(b) || compareIds(a, b)),
      }]
      : [];
  });
}

/** Marks segments caused by the engine closing what the steps left open. */
export const CLEANUP_MARK = " (cleanup)";

/**
 * Segments as `client S`, `server R.`, with the payload length if any;
 * those from `cleanupAt` on end in {@linkcode CLEANUP_MARK}.
 */
export function describeWire(
  wire: readonly Segment[] | null | undefined,
  unavailable: string | undefined,
  cleanupAt?: number,
): readonly string[] | string {
  if (!wire) return unavailable ?? "not captured";
  return wire.map((s, i) =>
    `${s.from} ${s.flags}${s.len > 0 ? ` ${s.len}` : ""}${
      cleanupAt !== undefined && i >= cleanupAt ? CLEANUP_MARK : ""
    }`
  );
}

/**
 * The segments of the teardown itself: from the first FIN or RST the steps
 * caused, up to the engine's cleanup.
 */
export function teardownSegments(
  wire: readonly string[] | string,
): readonly string[] | string {
  if (typeof wire === "string") return wire;
  const own = wire.filter((s) => !s.endsWith(CLEANUP_MARK));
  const first = own.findIndex((s) => /\s\S*[FR]/.test(s));
  return first < 0 ? [] : own.slice(first);
}

/** Builds one experiment's rows from a platform's cases. */
function experimentMatrix(
  results: Results,
  experiment: Experiment,
): MatrixExperiment | null {
  // Rows in the experiment's own case order, params in its factor order.
  const order = expandCases(experiment).map((c) => c.id);
  const rank = (id: string) => {
    const i = order.indexOf(id);
    return i < 0 ? order.length : i;
  };
  const cases = results.cases
    .filter((c) => c.experiment === experiment.name)
    .sort((a, b) => rank(a.id) - rank(b.id) || compareIds(a.id, b.id));
  if (cases.length === 0) return null;
  const rows: MatrixRow[] = cases.map((c) => {
    const first = c.trials[0]!;
    const known = experiment.factors.map((f) => f.name);
    const names = [
      ...known.filter((n) => n in c.params),
      ...Object.keys(c.params).filter((n) => !known.includes(n)).sort(),
    ];
    return {
      id: c.id,
      params: Object.fromEntries(names.map((n) => [n, c.params[n]!])),
      stable: c.stable,
      observations: c.observations,
      wire: describeWire(
        first.wire,
        first.wireUnavailable,
        first.wireCleanupAt,
      ),
      leftovers: first.leftovers
        ? first.leftovers.map((l) => `${l.side} ${l.state}`)
        : first.leftoversUnavailable ?? "not read",
      errors: c.trials.filter((t) => t.error).length,
    };
  });
  const keys = rows.flatMap((r) => Object.keys(r.observations));
  const { watch } = experiment;
  return {
    name: experiment.name,
    intent: experiment.intent,
    groups: columnGroups(keys, experiment.checkpoints, experiment.roles),
    rows,
    ...(watch ? { findings: findings(rows, experiment, watch) } : {}),
  };
}

/** Folds the rows of an experiment with a watcher into findings. */
function findings(
  rows: readonly MatrixRow[],
  experiment: Experiment,
  watch: Watch,
): Finding[] {
  const byTeardown = new Map<string, Finding[]>();
  for (const row of rows) {
    const { [watch.factor]: actor = "?", ...teardown } = row.params;
    const plan = watchPlan(
      watch.watcher,
      experiment.checkpoints,
      experiment.steps(row.params),
    );
    const observers = revealsOf(row.observations, plan);
    const wire = wireAsRoles(teardownSegments(row.wire), actor, watch);
    const id = JSON.stringify(Object.entries(teardown).sort());
    const list = byTeardown.get(id) ?? [];
    const same = list.find((f) =>
      JSON.stringify([f.observers, f.wire]) ===
        JSON.stringify([observers, wire])
    );
    if (same) {
      (same.actors as string[]).push(actor);
    } else {
      list.push({ teardown, actors: [actor], observers, wire });
    }
    byTeardown.set(id, list);
  }
  return [...byTeardown.values()].flat();
}

/**
 * Names segments by role (the actor's and the watcher's) instead of side,
 * so a teardown done by either side compares equal.
 */
function wireAsRoles(
  wire: readonly string[] | string,
  actorSide: string,
  watch: Watch,
): readonly string[] | string {
  if (typeof wire === "string") return wire;
  return wire.map((s) => {
    const [from, ...rest] = s.split(" ");
    return [from === actorSide ? watch.actor : watch.watcher, ...rest].join(
      " ",
    );
  });
}

/**
 * The matrix of every platform file that was run (transcribed references
 * are the report's business), platforms in {@linkcode inPlatformOrder}.
 */
export function buildMatrix(
  platforms: readonly Results[],
  experiments: readonly Experiment[],
  supportedOses: readonly string[],
): Matrix {
  const { shown, refused } = shownPlatforms(platforms);
  const run = inPlatformOrder(
    shown.filter((p) => p.platform.source === "run"),
  );
  return {
    matrixVersion: MATRIX_VERSION,
    answers: buildAnswers(run, experiments),
    platforms: run.map((results) => ({
      id: results.platform.id,
      os: results.platform.os,
      osRelease: results.platform.osRelease,
      ...(results.platform.stack ? { stack: results.platform.stack } : {}),
      experiments: experiments.flatMap((e) => {
        const m = experimentMatrix(results, e);
        return m ? [m] : [];
      }),
    })),
    untested: supportedOses.filter((os) =>
      !run.some((p) => p.platform.os === os)
    ),
    refused,
  };
}
