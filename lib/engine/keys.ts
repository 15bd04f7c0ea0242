/**
 * Observation keys: `<role>.<observer>` or `<role>.<observer>.<at>`, where
 * the role is the step's `as` (or its side), the observer is what was
 * looked at or called (`poll`, `recv`, `close`, `send`, …), and `at` is the
 * checkpoint the observation was made at, or a send's label (`first`,
 * `second`). Calls recorded without one (`actor.close`, `server.recv`)
 * have no `at`. Roles, observers, checkpoints and labels never contain a
 * dot. This module is the one place keys are built and taken apart.
 *
 * @module
 */

/** A key taken apart. */
export interface ObservationKey {
  readonly role: string;
  readonly observer: string;
  /** The checkpoint or label; absent for a call recorded without one. */
  readonly at?: string;
}

/**
 * Builds a key.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { observationKey } from "./keys.ts";
 * assert.equal(observationKey("peer", "poll", "after_close"), "peer.poll.after_close");
 * assert.equal(observationKey("actor", "close"), "actor.close");
 * ```
 */
export function observationKey(
  role: string,
  observer: string,
  at?: string,
): string {
  for (const part of [role, observer, at]) {
    if (part?.includes(".") || part === "") {
      throw new RangeError(`Cannot build an observation key from "${part}"`);
    }
  }
  return at === undefined ? `${role}.${observer}` : `${role}.${observer}.${at}`;
}

/**
 * Takes a key apart.
 *
 * @throws {RangeError} for a key with fewer than two or more than three parts.
 */
export function parseObservationKey(key: string): ObservationKey {
  const parts = key.split(".");
  const [role, observer, at] = parts;
  if (
    parts.length < 2 || parts.length > 3 || parts.some((p) => p === "")
  ) {
    throw new RangeError(`Cannot parse observation key "${key}"`);
  }
  return at === undefined
    ? { role: role!, observer: observer! }
    : { role: role!, observer: observer!, at };
}
