/**
 * The kernel's own story of one trial: every state change of the trial's
 * two sockets and every reset the kernel sent, in the order it traced them,
 * each with the side it belongs to and its time from the trial's start.
 * Events are told apart by the trial's port pair: on loopback, within one
 * trial's time, it names one connection. The listener's own events (its
 * `dport` is 0) are not the connection's and are left out; the client's
 * first change (CLOSED → SYN_SENT) is traced before its port is chosen, so
 * a `sport` of 0 towards the server's port is the client.
 *
 * Linux traces no move into TIME_WAIT: a socket that enters it (or an
 * orphan in FIN_WAIT2) is handed to a timewait socket, and the full
 * socket's last change reads `→ CLOSED`. What the kernel then keeps is in
 * the trial's leftovers (sock_diag).
 *
 * @module
 */

import type { Endpoints, Side } from "../net/endpoints.ts";
import { sentResetOf, stateChangeOf, type TraceEvent } from "./trace_events.ts";

/** One state change of one side's socket. */
export interface Transition {
  side: Side;
  from: string;
  to: string;
  /**
   * Microseconds from the trial's start: its listener bound, the client
   * about to connect.
   */
  t: number;
}

/** One reset the kernel sent from one side. */
export interface ResetSent {
  side: Side;
  /** The kernel's reason (`TCP_ABORT_ON_CLOSE`, …); `null` before 6.10. */
  reason: string | null;
  /** Microseconds from the trial's start. */
  t: number;
}

/** A trial's transitions and resets. */
export interface KernelStory {
  transitions: Transition[];
  resets: ResetSent[];
}

/** The side a (sport, dport) pair belongs to in `endpoints`, or `null`. */
function sideOf(
  endpoints: Endpoints,
  sport: number,
  dport: number,
): Side | null {
  const client = endpoints.client.port;
  const server = endpoints.server.port;
  if (sport === client && dport === server) return "client";
  if (sport === server && dport === client) return "server";
  return null;
}

/**
 * The trial's story from the events traced since `startMicros` (on the
 * same clock as the events).
 */
export function kernelStory(
  events: readonly TraceEvent[],
  endpoints: Endpoints,
  startMicros: number,
): KernelStory {
  const story: KernelStory = { transitions: [], resets: [] };
  const at = (micros: number) => Math.max(0, Math.round(micros - startMicros));
  for (const event of events) {
    if (event.micros < startMicros) continue;
    const change = stateChangeOf(event);
    if (change) {
      const side = change.sport === 0 && change.to === "SYN_SENT" &&
          change.dport === endpoints.server.port
        ? "client"
        : sideOf(endpoints, change.sport, change.dport);
      if (side) {
        story.transitions.push({
          side,
          from: change.from,
          to: change.to,
          t: at(change.micros),
        });
      }
      continue;
    }
    const reset = sentResetOf(event);
    if (reset) {
      const side = sideOf(endpoints, reset.sport, reset.dport);
      if (side) {
        story.resets.push({ side, reason: reset.reason, t: at(reset.micros) });
      }
    }
  }
  return story;
}

/**
 * What trials must agree on: the changes and resets in order, without
 * their times (times are reported, not compared).
 */
export function storyShape(story: KernelStory): {
  transitions: string;
  resets: string;
} {
  return {
    transitions: JSON.stringify(
      story.transitions.map(({ side, from, to }) => [side, from, to]),
    ),
    resets: JSON.stringify(
      story.resets.map(({ side, reason }) => [side, reason]),
    ),
  };
}
