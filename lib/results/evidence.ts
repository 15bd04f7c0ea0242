/**
 * Evidence beside the observations: the wire (segments captured), the
 * leftovers (sockets the kernel kept) and the transitions (the kernel's
 * traced state changes and resets). A run without the privilege or the
 * kernel interface for one of them records `null` with the reason; this
 * module says when replacing a file's cases would trade evidence for none,
 * so a run never silently degrades what was recorded before.
 *
 * @module
 */

import type { CaseResult } from "./format.ts";

/**
 * The kinds of evidence a trial can carry; `observations` are what its
 * steps recorded at all (none where it could not run, e.g. without the
 * privilege its experiment needs).
 */
export type EvidenceKind =
  | "observations"
  | "wire"
  | "leftovers"
  | "transitions";

/** The kinds of evidence every trial of `c` that ended cleanly carries. */
export function evidenceOf(c: CaseResult): Set<EvidenceKind> {
  const kinds = new Set<EvidenceKind>();
  if (Object.keys(c.observations).length > 0) kinds.add("observations");
  if (c.trials.some((t) => Array.isArray(t.wire))) kinds.add("wire");
  if (c.trials.some((t) => Array.isArray(t.leftovers))) kinds.add("leftovers");
  if (c.trials.some((t) => Array.isArray(t.transitions))) {
    kinds.add("transitions");
  }
  return kinds;
}

/** A case whose replacement would carry less evidence than it has. */
export interface LostEvidence {
  readonly id: string;
  readonly kinds: readonly EvidenceKind[];
}

/**
 * The cases of `existing` that `replacing` (same ids) would replace with
 * less evidence: a kind the old case has and the new one lacks.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lostEvidence } from "./evidence.ts";
 * const trial = (wire: [] | null) => ({ endpoints: null, observations: {}, wire });
 * const c = (wire: [] | null) => ({
 *   id: "x/a=1", experiment: "x", params: { a: "1" }, observations: {},
 *   stable: true, trials: [trial(wire)],
 * });
 * assert.deepEqual(lostEvidence([c([])], [c(null)]), [{ id: "x/a=1", kinds: ["wire"] }]);
 * assert.deepEqual(lostEvidence([c(null)], [c([])]), []);
 * // A case that ran, replaced by one that could not run (no observations).
 * const ran = { ...c(null), observations: { "a.close": "ok" } };
 * assert.deepEqual(lostEvidence([ran], [c(null)]), [
 *   { id: "x/a=1", kinds: ["observations"] },
 * ]);
 * ```
 */
export function lostEvidence(
  existing: readonly CaseResult[],
  replacing: readonly CaseResult[],
): LostEvidence[] {
  const old = new Map(existing.map((c) => [c.id, evidenceOf(c)]));
  return replacing.flatMap((c) => {
    const had = old.get(c.id);
    if (!had) return [];
    const has = evidenceOf(c);
    const kinds = [...had].filter((k) => !has.has(k));
    return kinds.length ? [{ id: c.id, kinds }] : [];
  });
}
