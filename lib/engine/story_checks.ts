/**
 * The kernel's story checked against the other observers of the same
 * trial, so that it is trusted for what it agrees with, not assumed:
 *
 * - every `tcp_state` a step observed on a side (through `TCP_INFO`) is a
 *   state that side's timeline passes through;
 * - every RST on the wire from a side matches a reset the kernel traced
 *   from that side, one for one.
 *
 * run-all counts the trials that disagree; the tests run real trials and
 * want none.
 *
 * @module
 */

import { parseObservationKey } from "./keys.ts";
import type { TrialResult } from "./run.ts";
import type { Step } from "./scenario.ts";
import { ERRNO_NAMES } from "../../ffi/tables/platform.ts";
import type { Side } from "../net/endpoints.ts";

function isErrno(value: string): boolean {
  return (ERRNO_NAMES as readonly string[]).includes(value) ||
    value.startsWith("E#");
}

/** Which side each observation role (`client`, `actor`, …) is. */
export function rolesOf(steps: readonly Step[]): Record<string, Side> {
  const roles: Record<string, Side> = {};
  for (const step of steps) roles[step.as ?? step.side] = step.side;
  return roles;
}

/**
 * Where a trial's transitions and resets disagree with its observations
 * and its wire, one line each; empty when they agree or when the trial has
 * no transitions.
 */
export function storyDisagreements(
  trial: TrialResult,
  roles: Readonly<Record<string, Side>>,
): string[] {
  const { transitions, resets } = trial;
  if (!transitions || !resets) return [];
  const out: string[] = [];
  for (const [key, value] of Object.entries(trial.observations)) {
    const { role, observer } = parseObservationKey(key);
    if (observer !== "tcp_state" || typeof value !== "string") continue;
    const side = roles[role];
    if (side === undefined) continue;
    const states = transitions
      .filter((t) => t.side === side)
      .flatMap((t) => [t.from, t.to]);
    // An errno (the call failed) is not a state.
    if (isErrno(value)) continue;
    if (!states.includes(value)) {
      out.push(
        `${key} is ${value}, which the ${side}'s transitions never reach`,
      );
    }
  }
  if (trial.wire) {
    for (const side of ["client", "server"] as const) {
      const onWire = trial.wire.filter((s) =>
        s.from === side && s.flags.includes("R")
      ).length;
      const traced = resets.filter((r) => r.side === side).length;
      if (onWire !== traced) {
        out.push(
          `the wire carries ${onWire} RST from the ${side}, the kernel traced ${traced}`,
        );
      }
    }
  }
  return out;
}
