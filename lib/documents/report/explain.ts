/**
 * A case's steps as one short sentence for reports, generated from the
 * scenario's own definition: the actions each endpoint takes, in order,
 * without the observations and waits between them, and whether a `close()`
 * leaves the peer's data unread:
 * `server: shutdown(SHUT_WR), close(); client: close() with the peer's data unread`.
 *
 * @module
 */

import {
  describeAction,
  describeStep,
  type Side,
  type Step,
} from "../../engine/scenario.ts";

/** Steps that only look or wait; a summary leaves them out. */
const QUIET_OPS: ReadonlySet<Step["op"]> = new Set([
  "observe",
  "connected",
  "get_linger",
  "settle",
  "await_data",
  "await_teardown",
]);

/**
 * The actions of `steps`, grouped by who takes them; repeated actions are
 * counted (`send("MORE") ×2`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { summariseSteps } from "./explain.ts";
 * assert.equal(
 *   summariseSteps([{ side: "server", op: "close" }]),
 *   "server: close()",
 * );
 * ```
 */
export function summariseSteps(steps: readonly Step[]): string {
  const unread: Record<Side, number> = { client: 0, server: 0 };
  const groups: { who: string; actions: { text: string; times: number }[] }[] =
    [];
  for (const step of steps) {
    const other: Side = step.side === "client" ? "server" : "client";
    if (step.op === "send") unread[other] += step.data.length;
    if (step.op === "recv") {
      unread[step.side] = Math.max(0, unread[step.side] - step.bytes);
    }
    if (QUIET_OPS.has(step.op)) continue;
    let text = describeAction(step);
    if (step.op === "close" && unread[step.side] > 0) {
      text += " with the peer's data unread";
    }
    const who = step.as ? `${step.as} (${step.side})` : step.side;
    const group = groups.at(-1);
    if (group?.who !== who) {
      groups.push({ who, actions: [{ text, times: 1 }] });
      continue;
    }
    const last = group.actions.at(-1)!;
    if (last.text === text) last.times++;
    else group.actions.push({ text, times: 1 });
  }
  if (groups.length === 0) return "no action";
  return groups.map((g) =>
    `${g.who}: ${
      g.actions.map((a) => a.times > 1 ? `${a.text} ×${a.times}` : a.text)
        .join(", ")
    }`
  ).join("; ");
}

/** Every step in words, observations included, for a full listing. */
export function listSteps(steps: readonly Step[]): string[] {
  return steps.map(describeStep);
}
