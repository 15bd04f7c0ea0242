/**
 * "What differs between stacks?": every run platform against the first run
 * platform of its OS in platform order (the host's own kernel, where that
 * was run), over the cases both ran. A case differs in observations when
 * the two platforms' trials did not record the same sets of values, on the
 * wire when their trials did not see the same set of wires (in the
 * report's notation); it is identical when neither. A few differing cases
 * follow, each with where it first differs and how many cases differ
 * alike: a call's result before a wire, a wire before poll flags, then the
 * most cases first. Every number and word comes from the platform files.
 *
 * @module
 */

import { parseObservationKey } from "../engine/keys.ts";
import type { Observation } from "../engine/observers.ts";
import {
  expandCases,
  type Experiment,
  keysInStepOrder,
} from "../engine/scenario.ts";
import {
  canonical,
  type CaseResult,
  compareIds,
  type Results,
} from "../results/format.ts";
import type { Answer, AnswerCell, AnswerRow } from "./answer.ts";
import { inPlatformOrder } from "./platform_order.ts";
import { trialWire } from "./report/compare.ts";
import { stackName } from "./stack_text.ts";
import { paramsText, showValue } from "./words.ts";

/** The answer's id (its anchor is `answer-stacks`). */
export const STACKS_ANSWER_ID = "stacks";

/** How many differing cases the answer shows at most. */
export const MAX_EXAMPLES = 5;

/** A run platform and the one it is compared with. */
export interface StackPair {
  readonly results: Results;
  readonly baseline: Results;
}

/**
 * Each run platform after the first of its OS (in platform order), with
 * that first one as its baseline; transcribed files take no part.
 */
export function stackPairs(results: readonly Results[]): StackPair[] {
  const run = inPlatformOrder(
    results.filter((r) => r.platform.source === "run"),
  );
  return run.flatMap((r) => {
    const baseline = run.find((b) => b.platform.os === r.platform.os)!;
    return baseline === r ? [] : [{ results: r, baseline }];
  });
}

/** One case of a platform against its baseline. */
export interface CaseDifference {
  readonly id: string;
  readonly observations: boolean;
  readonly wire: boolean;
  /** A side has no wire evidence, so the wire was not compared. */
  readonly noWire: boolean;
  /** Where the values first differ, in words; `null` if they do not. */
  readonly values: string | null;
  /** Whether `values` names poll flags only. */
  readonly pollOnly: boolean;
  /** Where the wires part, in words; `null` if they do not differ. */
  readonly wireText: string | null;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const x = new Set(a);
  const y = new Set(b);
  return x.size === y.size && [...x].every((v) => y.has(v));
}

/** Each trial's observations as canonical JSON. */
function records(c: CaseResult): string[] {
  return c.trials.map((t) => JSON.stringify(canonical(t.observations)));
}

/** The wires of the trials that have one, in notation. */
function wires(c: CaseResult): string[] {
  return c.trials.flatMap((t) => trialWire(t) ?? []);
}

/**
 * Observers by what an application meets first, for the headline: what a
 * call returns before what a state or poll shows.
 */
const HEADLINE_ORDER = [
  "recv",
  "so_error",
  "send",
  "getpeername",
  "connected",
  "tcp_state",
  "shutdown",
  "close",
];

function parts(key: string): { at: string; rank: number; poll: boolean } {
  try {
    const { observer, at } = parseObservationKey(key);
    const i = HEADLINE_ORDER.indexOf(observer);
    return {
      at: at ?? key,
      rank: i >= 0 ? i : HEADLINE_ORDER.length,
      poll: observer === "poll",
    };
  } catch {
    return { at: key, rank: HEADLINE_ORDER.length, poll: false };
  }
}

/** Poll revents as flags, or `null` if `value` is not revents. */
function pollFlags(value: Observation | undefined): string[] | null {
  if (typeof value !== "string") return null;
  if (value === "" || value === "none") return [];
  return /^POLL[A-Z]+(\|POLL[A-Z]+)*$/.test(value) ? value.split("|") : null;
}

/**
 * One key's difference: `key value (base: value)`, or for poll revents the
 * flags it shows beyond the baseline's and lacks (`+POLLPRI −POLLRDHUP`);
 * a key either side's trials disagreed on says so.
 */
function keyDifference(
  key: string,
  c: CaseResult,
  b: CaseResult,
  base: string,
): string {
  const mine = c.observations[key];
  const theirs = b.observations[key];
  const notes = [
    ...(c.unstableKeys?.includes(key) ? ["trials disagree"] : []),
    ...(b.unstableKeys?.includes(key) ? [`${base}'s trials disagree`] : []),
  ];
  const a = pollFlags(mine);
  const z = pollFlags(theirs);
  if (a && z) {
    const delta = [
      ...a.filter((f) => !z.includes(f)).map((f) => `+${f}`),
      ...z.filter((f) => !a.includes(f)).map((f) => `−${f}`),
    ];
    return `${key} ${delta.join(" ")}${
      notes.length ? ` (${notes.join("; ")})` : ""
    }`;
  }
  return `${key} ${showValue(mine)} (${
    [`${base}: ${showValue(theirs)}`, ...notes].join("; ")
  })`;
}

/**
 * The first trials' first difference: the keys that differ at the earliest
 * point of the steps where any does, at most two, what calls returned
 * before what poll showed (poll only when nothing else differs). Keys only
 * one side recorded count unless a first trial stopped early.
 */
function observationHeadline(
  c: CaseResult,
  b: CaseResult,
  experiment: Experiment | undefined,
  base: string,
): { text: string; poll: boolean } | null {
  const mine = c.observations;
  const theirs = b.observations;
  const stopped = c.trials[0]?.error || b.trials[0]?.error;
  const keys = [...new Set([...Object.keys(mine), ...Object.keys(theirs)])]
    .filter((k) => mine[k] !== theirs[k])
    .filter((k) => !stopped || (k in mine && k in theirs));
  const calls = keys.filter((k) => !parts(k).poll);
  const pool = calls.length ? calls : keys;
  if (pool.length === 0) return null;
  const ordered = experiment
    ? keysInStepOrder(pool, experiment.steps(c.params))
    : pool.sort(compareIds);
  const { at } = parts(ordered[0]!);
  const text = ordered.filter((k) => parts(k).at === at)
    .sort((x, y) => parts(x).rank - parts(y).rank)
    .slice(0, 2)
    .map((k) => keyDifference(k, c, b, base))
    .join(", ");
  return { text, poll: calls.length === 0 };
}

/** Where two wires part: the rest of each, after `…` if anything came first. */
function wireTails(a: string, b: string): [string, string] {
  const x = a.split(" ");
  const y = b.split(" ");
  let common = 0;
  while (common < x.length && common < y.length && x[common] === y[common]) {
    common++;
  }
  const tail = (list: string[]) => {
    const rest = list.slice(common).join(" ");
    if (rest === "") return "nothing more";
    return common === 0
      ? rest
      : rest.startsWith("·")
      ? `… ${rest}`
      : `…${rest}`;
  };
  return [tail(x), tail(y)];
}

/** Where the values differ: an early stop, the first keys, or the trials. */
function valuesText(
  c: CaseResult,
  b: CaseResult,
  experiment: Experiment | undefined,
  base: string,
): { text: string; poll: boolean } {
  const said: string[] = [];
  const error = c.trials[0]?.error;
  if (error && error !== b.trials[0]?.error) said.push(`stopped: ${error}`);
  const first = observationHeadline(c, b, experiment, base);
  if (first) said.push(first.text);
  if (said.length === 0) {
    // The first trials agree: the trials of one side vary.
    const own = (c.unstableKeys ?? []).filter((k) => k !== "wire");
    said.push(
      own.length
        ? `its trials disagree: ${own.join(", ")}`
        : `${base}'s trials disagree: ${
          (b.unstableKeys ?? []).filter((k) => k !== "wire").join(", ")
        }`,
    );
  }
  return { text: said.join("; "), poll: said.length === 1 && !!first?.poll };
}

/** Where the wires part: the first of each side's that the other lacks. */
function wireText(c: CaseResult, b: CaseResult, base: string): string {
  const mine = wires(c);
  const theirs = wires(b);
  const [x, y] = wireTails(
    mine.find((w) => !theirs.includes(w)) ?? mine[0]!,
    theirs.find((w) => !mine.includes(w)) ?? theirs[0]!,
  );
  return `wire ${x} (${base}: ${y})`;
}

/** `c` (of a platform) against `b` (of its baseline, named `base`). */
export function caseDifference(
  c: CaseResult,
  b: CaseResult,
  experiment: Experiment | undefined,
  base: string,
): CaseDifference {
  const observations = !sameSet(records(c), records(b));
  const mine = wires(c);
  const theirs = wires(b);
  const noWire = mine.length === 0 || theirs.length === 0;
  const wire = !noWire && !sameSet(mine, theirs);
  const values = observations ? valuesText(c, b, experiment, base) : null;
  return {
    id: c.id,
    observations,
    wire,
    noWire,
    values: values?.text ?? null,
    pollOnly: values?.poll ?? false,
    wireText: wire ? wireText(c, b, base) : null,
  };
}

/** A difference in words (values, then wire); `null` when identical. */
export function headlineOf(d: CaseDifference): string | null {
  const said = [d.values, d.wireText].filter((t) => t !== null);
  return said.length ? said.join("; ") : null;
}

/** How telling a difference is: other values, then the wire, then poll. */
function weight(d: CaseDifference): number {
  return d.values !== null && !d.pollOnly ? 0 : d.wire ? 1 : 2;
}

/** Case ids in the report's order: experiments, then their case order. */
function caseOrder(experiments: readonly Experiment[]) {
  const rank = new Map<string, number>();
  for (const e of experiments) {
    for (const c of expandCases(e)) rank.set(c.id, rank.size);
  }
  return (a: string, b: string) =>
    (rank.get(a) ?? rank.size) - (rank.get(b) ?? rank.size) ||
    compareIds(a, b);
}

/** `teardown: actor=client linger=0 …`, parameters in factor order. */
function caseLabel(c: CaseResult, experiment: Experiment | undefined): string {
  return `${c.experiment}: ${paramsText(c.params, experiment)}`;
}

/** One pair worked out: its differences and their groups. */
interface PairResult {
  readonly pair: StackPair;
  readonly base: string;
  readonly differences: ReadonlyMap<string, CaseDifference>;
  /**
   * Differing cases with the same values difference (and the wire
   * differing or not), the most telling first ({@linkcode weight}), then
   * the largest.
   */
  readonly groups: readonly (readonly string[])[];
  readonly summary: string;
}

function comparePair(
  pair: StackPair,
  experiments: readonly Experiment[],
  order: (a: string, b: string) => number,
): PairResult {
  const base = stackName(pair.baseline.platform) ?? pair.baseline.platform.id;
  const theirs = new Map(pair.baseline.cases.map((c) => [c.id, c]));
  const differences = new Map<string, CaseDifference>();
  // A case one of the two could not run (its trials recorded nothing, and
  // say why) is not a case both ran.
  const couldNot = new Map<string, number>();
  for (
    const c of [...pair.results.cases].sort((a, b) => order(a.id, b.id))
  ) {
    const b = theirs.get(c.id);
    if (!b) continue;
    const missing = [
      { c, platform: pair.results.platform },
      { c: b, platform: pair.baseline.platform },
    ].find((x) => Object.keys(x.c.observations).length === 0);
    if (missing) {
      const where = stackName(missing.platform) ?? missing.platform.id;
      const why = missing.c.trials.find((t) => t.error)?.error ??
        "no trial recorded anything";
      const said = `on ${where}: ${why}`;
      couldNot.set(said, (couldNot.get(said) ?? 0) + 1);
      continue;
    }
    const experiment = experiments.find((e) => e.name === c.experiment);
    differences.set(c.id, caseDifference(c, b, experiment, base));
  }
  const alike = new Map<string, string[]>();
  for (const d of differences.values()) {
    if (headlineOf(d) === null) continue;
    const key = JSON.stringify([d.values, d.wire]);
    alike.set(key, [...alike.get(key) ?? [], d.id]);
  }
  const first = (g: readonly string[]) => differences.get(g[0]!)!;
  const groups = [...alike.values()].sort((a, b) =>
    weight(first(a)) - weight(first(b)) || b.length - a.length ||
    order(a[0]!, b[0]!)
  );
  return {
    pair,
    base,
    differences,
    groups,
    summary: summaryText(pair, [...differences.values()]) +
      [...couldNot].map(([said, n]) =>
        ` ${n === 1 ? "1 case" : `${n} cases`} could not run ${said}.`
      ).join(""),
  };
}

function summaryText(pair: StackPair, list: readonly CaseDifference[]) {
  const b = pair.baseline.platform;
  const name = stackName(b);
  const against = `${b.id}${name ? ` (${name})` : ""}`;
  const n = list.length;
  if (n === 0) return `no case in common with ${against}.`;
  const observations = list.filter((d) => d.observations).length;
  const wire = list.filter((d) => d.wire).length;
  const identical = list.filter((d) => headlineOf(d) === null).length;
  const noWire = list.filter((d) => d.noWire).length;
  const note = noWire
    ? ` (${noWire} not compared on the wire: no wire evidence)`
    : "";
  if (identical === n) {
    return `identical to ${against} in ${
      n === 1 ? "the 1 case" : `all ${n} cases`
    } both ran${note}.`;
  }
  return `${observations} of ${n} cases both ran differ from ${against} ` +
    `in observations, ${wire} on the wire${note}; ${identical} identical.`;
}

/** The differing cases to show: each pair's largest groups in turn. */
function exampleIds(results: readonly PairResult[]): string[] {
  const chosen: string[] = [];
  const depth = Math.max(0, ...results.map((r) => r.groups.length));
  for (let round = 0; round < depth; round++) {
    for (const r of results) {
      if (chosen.length === MAX_EXAMPLES) return chosen;
      const id = r.groups[round]?.find((id) => !chosen.includes(id));
      if (id !== undefined) chosen.push(id);
    }
  }
  return chosen;
}

function cell(r: PairResult, id: string): AnswerCell {
  const mine = r.pair.results.cases.some((c) => c.id === id);
  if (!mine) return { text: "not run" };
  const d = r.differences.get(id);
  if (!d) return { text: `${r.base} has not run it`, caseId: id };
  const text = headlineOf(d);
  if (text === null) return { text: "identical", caseId: id };
  const alike = r.groups.find((g) => g.includes(id))?.length ?? 1;
  return {
    text: alike > 1 ? `${text} (${alike} cases alike)` : text,
    caseId: id,
  };
}

/**
 * The answer over `results` (any order; transcribed files are left out),
 * or `null` when no run platform has another of its OS to be compared
 * with.
 */
export function stacksAnswer(
  results: readonly Results[],
  experiments: readonly Experiment[],
): Answer | null {
  const pairs = stackPairs(results);
  if (pairs.length === 0) return null;
  const order = caseOrder(experiments);
  const compared = pairs.map((p) => comparePair(p, experiments, order));
  const rows: AnswerRow[] = exampleIds(compared).map((id) => {
    const c = compared.flatMap((r) =>
      r.pair.results.cases.filter((c) => c.id === id)
    )[0]!;
    return {
      label: caseLabel(c, experiments.find((e) => e.name === c.experiment)),
      cells: compared.map((r) => cell(r, id)),
    };
  });
  return {
    id: STACKS_ANSWER_ID,
    question: "What differs between stacks?",
    how: "Each run platform against the first run platform of its OS " +
      "(its host kernel, where that was run), over the cases both ran: " +
      "whether their trials recorded the same values and saw the same " +
      "wires. Below, a few differing cases, the most telling and most " +
      "common first, each with where it first differs: the values at the " +
      "earliest checkpoint that differs (+/−: poll flags shown beyond or " +
      "lacking), then the wire from where the two part.",
    rowHeading: "case",
    platforms: compared.map((r) => r.pair.results.platform),
    summary: compared.map((r) => r.summary),
    rows,
  };
}
