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
  /**
   * Where the wire was captured: how many of the trial's segments the
   * kernel had stamped before this change (where it sits on a ladder).
   */
  at?: number;
}

/** One reset the kernel sent from one side. */
export interface ResetSent {
  side: Side;
  /** The kernel's reason (`TCP_ABORT_ON_CLOSE`, …); `null` before 6.10. */
  reason: string | null;
  /** Microseconds from the trial's start. */
  t: number;
  /** As {@linkcode Transition.at}: segments stamped before it was sent. */
  at?: number;
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

/** A trial's story as its record holds it, or why it has none. */
export interface StoryFields {
  transitions?: Transition[] | null;
  resets?: ResetSent[] | null;
  transitionsUnavailable?: string;
}

/** A trial's start on the trace clock and on the realtime clock (µs). */
export type TraceStart = Pick<TraceWindow, "start" | "startUnix">;

/**
 * A trial's window on the trace clock (microseconds, CLOCK_MONOTONIC):
 * from its start (its listener bound) to its end (every socket closed, the
 * wire quiet), with the realtime clock at its start and, where the wire was
 * captured, the kernel's stamps of its segments (microseconds since the
 * Unix epoch): what the thread holding the tracer needs to tell its story.
 */
export interface TraceWindow {
  readonly start: number;
  readonly startUnix: number;
  readonly end: number;
  readonly stamps?: readonly number[];
}

/**
 * Where the wire is captured, what puts the story in one order with it:
 * the kernel's stamps of the trial's segments and the trial's start, both
 * in microseconds since the Unix epoch.
 */
export interface WireStamps {
  readonly stamps: readonly number[];
  readonly startUnixMicros: number;
}

/**
 * The trial's story from the events traced since `startMicros` (on the
 * same clock as the events). With `wire`, each change and reset also gets
 * `at`: the number of segments stamped before it. Trace times are printed
 * to the microsecond (rounded down), so an event is taken at the middle of
 * its microsecond.
 */
export function kernelStory(
  events: readonly TraceEvent[],
  endpoints: Endpoints,
  startMicros: number,
  wire?: WireStamps,
): KernelStory {
  const story: KernelStory = { transitions: [], resets: [] };
  const place = (micros: number) => {
    const t = Math.max(0, Math.round(micros - startMicros));
    if (!wire) return { t };
    const when = wire.startUnixMicros + (micros + 0.5 - startMicros);
    return { t, at: wire.stamps.filter((s) => s < when).length };
  };
  // The client's CLOSE -> SYN_SENT is traced before its port is chosen
  // (sport 0), so only the server's port names it. That port is the
  // trial's alone while its listener holds it: until the client's first
  // change with both ports (the connect completing), after which the
  // listener closes and a concurrent trial's listener may bind the same
  // port and its client connect to it within this trial's window.
  const clientSeen = events.find((e) => {
    const c = stateChangeOf(e);
    return c !== null && e.micros >= startMicros &&
      sideOf(endpoints, c.sport, c.dport) === "client";
  })?.micros ?? Infinity;
  for (const event of events) {
    if (event.micros < startMicros) continue;
    const change = stateChangeOf(event);
    if (change) {
      const side = change.sport === 0
        ? change.to === "SYN_SENT" &&
            change.dport === endpoints.server.port &&
            change.micros <= clientSeen
          ? "client"
          : null
        : sideOf(endpoints, change.sport, change.dport);
      if (side) {
        story.transitions.push({
          side,
          from: change.from,
          to: change.to,
          ...place(change.micros),
        });
      }
      continue;
    }
    const reset = sentResetOf(event);
    if (reset) {
      const side = sideOf(endpoints, reset.sport, reset.dport);
      if (side) {
        story.resets.push({
          side,
          reason: reset.reason,
          ...place(reset.micros),
        });
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
