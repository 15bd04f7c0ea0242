/**
 * The cross-platform comparison behind every report: for each experiment and
 * case, every observation key with each platform's value, whether the
 * platforms disagree, and the wire each platform saw. A platform without a
 * value (not observed, not transcribed, case not run) shows as absent and
 * never counts as a difference; a difference needs two platforms that both
 * have a value, and different ones. Platforms are compared on their first
 * trial; where a platform's own trials disagree (`stable: false`), each
 * distinct value is kept with the trials that saw it, so a stack that
 * varies is never shown as one value.
 *
 * @module
 */

import type { Observation } from "../../engine/observers.ts";
import type {
  CaseResult,
  Platform,
  Results,
  Segment,
  TrialResult,
} from "../../results/format.ts";
import { canonical, compareIds } from "../../results/format.ts";
import {
  expandCases,
  type Experiment,
  keysInStepOrder,
  type Side,
  stepCheckpoint,
} from "../../engine/scenario.ts";
import { observationKey } from "../../engine/keys.ts";
import type { LadderMark, LadderState } from "./ladder.ts";
import { reasonText, resetsOnWire } from "../reset_reasons.ts";
import { listSteps, summariseSteps } from "./explain.ts";
import { inPlatformOrder } from "../platform_order.ts";
import { shownPlatforms } from "../../results/platform_files.ts";

/** Every OS escoteria knows, with the name people use for it. */
export const OS_NAMES: Record<Platform["os"], string> = {
  linux: "Linux",
  darwin: "macOS",
  freebsd: "FreeBSD",
  openbsd: "OpenBSD",
};

/** Trials that saw the same value, in the order values first appeared. */
export interface Variant<T> {
  /** 1-based trial numbers. */
  readonly trials: readonly number[];
  readonly value: T;
}

/** One observation key across the platforms, in platform order. */
export interface Row {
  readonly key: string;
  /** The case's value per platform; `undefined` when it has none. */
  readonly values: readonly (Observation | undefined)[];
  /** Per platform: the trials disagreed on this key. */
  readonly unstable: readonly boolean[];
  /** Per platform whose trials disagreed: each value and who saw it. */
  readonly variants:
    readonly (readonly Variant<Observation | undefined>[] | undefined)[];
  readonly differs: boolean;
}

/** The wire per platform: its first trial with wire evidence, in notation. */
export interface WireRow {
  readonly values: readonly (string | undefined)[];
  /** Per platform whose trials disagreed on the wire: each distinct wire. */
  readonly variants:
    readonly (readonly Variant<string | undefined>[] | undefined)[];
  readonly differs: boolean;
}

/** How one platform's trials of a case agreed. */
export interface TrialAgreement {
  readonly trials: number;
  /** What they disagreed on (the case's `unstableKeys`); empty if nothing. */
  readonly disagree: readonly string[];
  /** Each distinct leftovers, when the trials disagreed on them. */
  readonly leftovers?: readonly Variant<string>[];
}

/** One case across the platforms. */
export interface CaseComparison {
  readonly id: string;
  readonly params: Readonly<Record<string, string>>;
  /** The case's actions in one sentence; `null` for an unknown experiment. */
  readonly explanation: string | null;
  /** Every step in words; empty for an unknown experiment. */
  readonly steps: readonly string[];
  /** Which side each role of the steps is (`actor` → `server`, …). */
  readonly roleSides: Readonly<Record<string, Side>>;
  /** The checkpoints in the order the steps reach them. */
  readonly checkpoints: readonly string[];
  readonly rows: readonly Row[];
  readonly wire: WireRow;
  /** Each platform's trials; `undefined` where it has not this case. */
  readonly trials: readonly (readonly TrialResult[] | undefined)[];
  /** Whether each platform's trials agreed; `undefined` without the case. */
  readonly agreement: readonly (TrialAgreement | undefined)[];
  /** Indices of the platforms that have this case. */
  readonly platforms: readonly number[];
  /** Trials that stopped early: `<platform>, trial <n>: <error>`. */
  readonly errors: readonly string[];
  /** Rows that differ, the wire included. */
  readonly differences: number;
}

/** Where the wire of a trial between namespaces is seen, in words. */
export const LINK_WIRE_SEEN =
  "Its wire is captured on the watcher's side of the veth between the two " +
  "hosts: a segment drawn towards the peer left the watcher, and may never " +
  "have reached a host that vanished or rebooted.";

/** One experiment across the platforms. */
export interface ExperimentComparison {
  readonly name: string;
  /** The experiment's intent; `null` when this escoteria does not know it. */
  readonly intent: string | null;
  /** Where its wire was seen, when not on loopback; `null` on loopback. */
  readonly wireSeen: string | null;
  /** The keys the matrix shows. */
  readonly headline: readonly string[];
  /** Indices of the platforms that have any case of it. */
  readonly platforms: readonly number[];
  readonly cases: readonly CaseComparison[];
}

/** The whole comparison, platforms in {@linkcode inPlatformOrder}. */
export interface Comparison {
  readonly platforms: readonly Platform[];
  /** OSes no platform file was run on, with what exists for them. */
  readonly untested: readonly string[];
  /** Platform files left out, as `<id>: <why>`. */
  readonly refused: readonly string[];
  readonly experiments: readonly ExperimentComparison[];
}

/** Separates the segments the engine's cleanup caused, in notation. */
export const CLEANUP_NOTATION = " · cleanup:";

/**
 * A segment list as text: `→S ←S. →P.4`, → from client to server; the
 * segments from `cleanupAt` on follow {@linkcode CLEANUP_NOTATION}.
 */
export function wireNotation(
  wire: readonly Segment[],
  cleanupAt?: number,
): string {
  if (wire.length === 0) return "(no segment)";
  const text = (list: readonly Segment[]) =>
    list.map((s) =>
      `${s.from === "client" ? "→" : "←"}${s.flags}${s.len > 0 ? s.len : ""}`
    ).join(" ");
  if (cleanupAt === undefined || cleanupAt >= wire.length) return text(wire);
  const own = wire.slice(0, cleanupAt);
  return `${own.length ? text(own) : "(no segment)"}${CLEANUP_NOTATION} ${
    text(wire.slice(cleanupAt))
  }`;
}

/** A trial's wire in notation; `undefined` without wire evidence. */
export function trialWire(t: TrialResult): string | undefined {
  return Array.isArray(t.wire)
    ? wireNotation(t.wire, t.wireCleanupAt)
    : undefined;
}

/** A trial's leftovers as text: `server TIME_WAIT`, `none`, or why none. */
export function trialLeftovers(t: TrialResult): string {
  if (!t.leftovers) return t.leftoversUnavailable ?? "not read";
  return t.leftovers.length === 0
    ? "none"
    : t.leftovers.map((l) => `${l.side} ${l.state}`).join(", ");
}

/**
 * Groups trials by what `valueOf` gives (compared as canonical JSON), in
 * the order the values first appear.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { distinctValues } from "./compare.ts";
 * const trials = [1, 2, 1].map((n) => ({ endpoints: null, observations: { k: n } }));
 * assert.deepEqual(distinctValues(trials, (t) => t.observations.k), [
 *   { trials: [1, 3], value: 1 },
 *   { trials: [2], value: 2 },
 * ]);
 * ```
 */
export function distinctValues<T>(
  trials: readonly TrialResult[],
  valueOf: (t: TrialResult) => T,
): Variant<T>[] {
  const seen = new Map<string, { trials: number[]; value: T }>();
  trials.forEach((t, i) => {
    const value = valueOf(t);
    const key = JSON.stringify([canonical(value)]);
    const found = seen.get(key);
    if (found) found.trials.push(i + 1);
    else seen.set(key, { trials: [i + 1], value });
  });
  return [...seen.values()];
}

/** The variants of `valueOf` where `key` is unstable and they differ. */
function variantsOf<T>(
  c: CaseResult | undefined,
  key: string,
  valueOf: (t: TrialResult) => T,
): Variant<T>[] | undefined {
  if (!c?.unstableKeys?.includes(key)) return undefined;
  const variants = distinctValues(c.trials, valueOf);
  return variants.length > 1 ? variants : undefined;
}

/** The first trial's wire that was captured, in notation. */
function caseWire(c: CaseResult | undefined): string | undefined {
  const trial = c?.trials.find((t) => Array.isArray(t.wire));
  return trial ? trialWire(trial) : undefined;
}

/** What a platform's trials of a case disagreed on, rows' keys first. */
function agreementOf(
  c: CaseResult,
  keys: readonly string[],
): TrialAgreement {
  const unstable = c.unstableKeys ?? [];
  const disagree = [
    ...keys.filter((k) => unstable.includes(k)),
    ...unstable.filter((k) => !keys.includes(k)),
  ];
  const leftovers = variantsOf(c, "leftovers", trialLeftovers);
  return {
    trials: c.trials.length,
    disagree,
    ...(leftovers ? { leftovers } : {}),
  };
}

function differs(values: readonly unknown[]): boolean {
  const present = values.filter((v) => v !== undefined).map((v) =>
    JSON.stringify(v)
  );
  return new Set(present).size > 1;
}

function compareCase(
  id: string,
  experiment: Experiment | undefined,
  found: readonly (CaseResult | undefined)[],
  platforms: readonly Platform[],
): CaseComparison {
  const params = found.find((c) => c !== undefined)!.params;
  const keys = new Set(
    found.flatMap((c) => Object.keys(c?.observations ?? {})),
  );
  const steps = experiment?.steps(params);
  // Rows in the order the steps record them: the story in time order.
  const ordered = steps
    ? keysInStepOrder(keys, steps)
    : [...keys].sort(compareIds);
  const rows = ordered.map((key): Row => {
    const values = found.map((c) => c?.observations[key]);
    return {
      key,
      values,
      unstable: found.map((c) => c?.unstableKeys?.includes(key) ?? false),
      variants: found.map((c) =>
        variantsOf(c, key, (t) => t.observations[key])
      ),
      differs: differs(values),
    };
  });
  const wireValues = found.map(caseWire);
  const wire = {
    values: wireValues,
    variants: found.map((c) => variantsOf(c, "wire", trialWire)),
    differs: differs(wireValues),
  };
  return {
    id,
    params,
    explanation: steps ? summariseSteps(steps) : null,
    steps: steps ? listSteps(steps) : [],
    roleSides: Object.fromEntries(
      (steps ?? []).map((s) => [s.as ?? s.side, s.side]),
    ),
    checkpoints: [
      ...new Set(
        (steps ?? []).flatMap((s) => stepCheckpoint(s) ?? []),
      ),
    ],
    rows,
    wire,
    trials: found.map((c) => c?.trials),
    agreement: found.map((c) => c ? agreementOf(c, ordered) : undefined),
    platforms: found.flatMap((c, i) => c ? [i] : []),
    errors: found.flatMap((c, i) =>
      (c?.trials ?? []).flatMap((t, n) =>
        t.error ? [`${platforms[i]!.id}, trial ${n + 1}: ${t.error}`] : []
      )
    ),
    differences: rows.filter((r) => r.differs).length + (wire.differs ? 1 : 0),
  };
}

/**
 * Compares the platforms' results case by case. Known experiments come in
 * `experiments` order with cases in factor order; experiments and cases this
 * escoteria does not define follow, sorted by name and id.
 */
export function compareResults(
  results: readonly Results[],
  experiments: readonly Experiment[],
): Comparison {
  const { shown, refused } = shownPlatforms(results);
  const sorted = inPlatformOrder(shown);
  const byId = sorted.map((r) => new Map(r.cases.map((c) => [c.id, c])));
  const allIds = new Set(byId.flatMap((m) => [...m.keys()]));
  const names = [
    ...experiments.map((e) => e.name),
    ...[...new Set(sorted.flatMap((r) => r.cases.map((c) => c.experiment)))]
      .filter((n) => !experiments.some((e) => e.name === n)).sort(compareIds),
  ];
  const compared = names.flatMap((name): ExperimentComparison[] => {
    const experiment = experiments.find((e) => e.name === name);
    const known = experiment ? expandCases(experiment).map((c) => c.id) : [];
    const extra = [...allIds].filter((id) =>
      id.startsWith(`${name}/`) && !known.includes(id)
    ).sort(compareIds);
    const ids = [...known.filter((id) => allIds.has(id)), ...extra];
    if (ids.length === 0) return [];
    return [{
      name,
      intent: experiment?.intent ?? null,
      wireSeen: experiment?.network === "namespaces" ? LINK_WIRE_SEEN : null,
      platforms: byId.flatMap((m, i) => ids.some((id) => m.has(id)) ? [i] : []),
      headline: experiment?.headline ??
        [
          ...new Set(
            ids.flatMap((id) =>
              byId.flatMap((m) => Object.keys(m.get(id)?.observations ?? {}))
            ),
          ),
        ].sort(compareIds),
      cases: ids.map((id) =>
        compareCase(
          id,
          experiment,
          byId.map((m) => m.get(id)),
          sorted.map((r) => r.platform),
        )
      ),
    }];
  });
  const untested = (Object.keys(OS_NAMES) as Platform["os"][])
    .filter((os) =>
      !sorted.some((r) => r.platform.os === os && r.platform.source === "run")
    )
    .map((os) => {
      const transcribed = sorted.filter((r) => r.platform.os === os);
      if (refused.some((r) => r.os === os)) {
        return `${OS_NAMES[os]} (its run failed the self-check; not shown)`;
      }
      return transcribed.length === 0
        ? `${OS_NAMES[os]} (no results file)`
        : `${OS_NAMES[os]} (not run; only transcribed: ${
          transcribed.map((r) => r.platform.id).join(", ")
        })`;
    });
  return {
    platforms: sorted.map((r) => r.platform),
    untested,
    refused: refused.map((r) => `${r.id}: ${r.reason}`),
    experiments: compared,
  };
}

/** An observation as text; absent is `—`. */
export function formatObservation(value: Observation | undefined): string {
  return value === undefined ? "—" : String(value);
}

/**
 * Whether a platform's trials agreed, in words: `3 trials agree`, `1 trial`,
 * or `trials disagree: server.recv, wire`, then each distinct leftovers with
 * its trials (`leftovers: trials 1–2 none, trial 3 server TIME_WAIT`), as
 * the report shows leftovers nowhere else. `brief`, for a matrix cell:
 * `agree`, or `disagree: 2 keys, wire` (observation keys counted).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { agreementText } from "./compare.ts";
 * const a = { trials: 3, disagree: ["peer.recv.after_close", "wire"] };
 * assert.equal(agreementText(a), "trials disagree: peer.recv.after_close, wire");
 * assert.equal(agreementText(a, "brief"), "disagree: 1 key, wire");
 * assert.equal(agreementText({ trials: 3, disagree: [] }), "3 trials agree");
 * ```
 */
export function agreementText(
  a: TrialAgreement,
  style: "full" | "brief" = "full",
): string {
  if (a.disagree.length === 0) {
    if (style === "brief") return "agree";
    return a.trials === 1 ? "1 trial" : `${a.trials} trials agree`;
  }
  if (style === "brief") {
    const keys = a.disagree.filter((k) => k.includes(".")).length;
    const rest = a.disagree.filter((k) => !k.includes("."));
    return `disagree: ${
      [...(keys ? [`${keys} ${keys === 1 ? "key" : "keys"}`] : []), ...rest]
        .join(", ")
    }`;
  }
  const leftovers = a.leftovers
    ? `; leftovers: ${
      a.leftovers.map((v) => `${trialNumbers(v.trials)} ${v.value}`).join(
        ", ",
      )
    }`
    : "";
  return `trials disagree: ${a.disagree.join(", ")}${leftovers}`;
}

/** Trial numbers (1-based) as words with ranges: `trials 1–2, 4`. */
export function trialNumbers(numbers: readonly number[]): string {
  const parts: string[] = [];
  let start = numbers[0];
  for (let i = 0; i < numbers.length; i++) {
    const n = numbers[i]!;
    const next = numbers[i + 1];
    if (next === n + 1) continue;
    parts.push(start === n ? `${n}` : `${start}–${n}`);
    start = next;
  }
  return `${numbers.length === 1 ? "trial" : "trials"} ${parts.join(", ")}`;
}

/** Trials that saw the same wire, or the same lack of it. */
export interface WireGroup {
  /** 1-based trial numbers. */
  readonly trials: readonly number[];
  /** The wire, or `null` with the reason there is none. */
  readonly wire: readonly Segment[] | null;
  readonly unavailable: string;
  /** Index of the first segment the engine's cleanup caused. */
  readonly cleanupAt?: number;
  /** The checkpoints on the wire, with each side's TCP state then. */
  readonly marks: readonly LadderMark[];
  /** The kernel's transitions among the segments (of the group's first trial). */
  readonly states?: readonly LadderState[];
  /** The kernel's reason for each RST, by its index in the wire. */
  readonly reasons?: Readonly<Record<number, string>>;
  /** What the kernel kept of each side after both closed. */
  readonly kept?: { readonly client?: string; readonly server?: string };
}

/** A trial's kernel story for its ladder, where it was traced. */
function storyOf(
  t: TrialResult,
): Pick<WireGroup, "states" | "reasons" | "kept"> {
  const states = (t.transitions ?? []).flatMap((x) =>
    x.at === undefined ? [] : [{ side: x.side, state: x.to, at: x.at, t: x.t }]
  );
  const placed = resetsOnWire(t) ?? [];
  const kept: { client?: string; server?: string } = {};
  for (const side of ["client", "server"] as const) {
    const held = (t.leftovers ?? []).filter((l) => l.side === side);
    if (held.length) kept[side] = held.map((l) => l.state).join(", ");
  }
  return {
    ...(states.length ? { states } : {}),
    ...(placed.length
      ? {
        reasons: Object.fromEntries(
          placed.map((p) => [p.index, reasonText(p)]),
        ),
      }
      : {}),
    ...(t.transitions && (kept.client || kept.server) ? { kept } : {}),
  };
}

/**
 * A trial's checkpoints on its wire, with the states observed at each, in
 * the order reached: by segment count, then in `order` (checkpoints reached
 * with nothing sent between them share a count).
 */
function marksOf(
  t: TrialResult,
  roleSides: Readonly<Record<string, Side>>,
  order: readonly string[],
): LadderMark[] {
  const rank = (cp: string) => {
    const i = order.indexOf(cp);
    return i < 0 ? order.length : i;
  };
  return Object.entries(t.wireCheckpoints ?? {}).map(([checkpoint, at]) => {
    const state = (side: Side) => {
      for (const [role, s] of Object.entries(roleSides)) {
        if (s !== side) continue;
        const value = t.observations[
          observationKey(role, "tcp_state", checkpoint)
        ];
        if (value !== undefined) return { [side]: String(value) };
      }
      return {};
    };
    const when = t.checkpointTimes?.[checkpoint];
    return {
      checkpoint,
      at,
      ...state("client"),
      ...state("server"),
      ...(when === undefined ? {} : { t: when }),
    };
  }).sort((a, b) =>
    a.at - b.at || rank(a.checkpoint) - rank(b.checkpoint) ||
    (a.checkpoint < b.checkpoint ? -1 : 1)
  );
}

/**
 * Groups trials by identical wire (with its checkpoints and cleanup), in
 * order of first appearance; `roleSides` names the side of each role whose
 * TCP state the checkpoints show, `order` the checkpoints in step order.
 */
export function groupTrialsByWire(
  trials: readonly TrialResult[],
  roleSides: Readonly<Record<string, Side>> = {},
  order: readonly string[] = [],
): WireGroup[] {
  const groups = new Map<string, WireGroup & { trials: number[] }>();
  trials.forEach((t, i) => {
    const wire = Array.isArray(t.wire) ? t.wire : null;
    const unavailable = wire ? "" : t.wireUnavailable ?? "not captured";
    const marks = wire ? marksOf(t, roleSides, order) : [];
    const cleanupAt = wire ? t.wireCleanupAt : undefined;
    const story = wire ? storyOf(t) : {};
    const key = JSON.stringify([
      wire?.map((s) => [s.from, s.flags, s.len]),
      unavailable,
      cleanupAt,
      // Times differ from trial to trial; the drawing shows the first's.
      marks.map(({ t: _, ...mark }) => mark),
      story.states?.map(({ side, state, at }) => [side, state, at]),
      story.reasons,
      story.kept,
    ]);
    const group = groups.get(key);
    if (group) group.trials.push(i + 1);
    else {
      groups.set(key, {
        trials: [i + 1],
        wire,
        unavailable,
        marks,
        ...(cleanupAt === undefined ? {} : { cleanupAt }),
        ...story,
      });
    }
  });
  return [...groups.values()];
}
