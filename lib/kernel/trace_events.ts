/**
 * The text tracefs writes to `trace_pipe`, one event per line, read back:
 * the timestamp (in seconds with microseconds, on the instance's clock),
 * the event's name and its `key=value` fields. Two events matter here:
 *
 * - `sock/inet_sock_set_state`: every TCP state change, with `sport`,
 *   `dport`, `oldstate` and `newstate` (`TCP_FIN_WAIT1`, …);
 * - `tcp/tcp_send_reset`: every RST the kernel sends. Linux 6.10 and later
 *   print `src=ADDR:PORT dest=ADDR:PORT state=… reason=…`; older kernels
 *   (6.1) print `sport=… dport=… state=…` and have no reason.
 *
 * The print formats are each event's `format` file (`print fmt:`), from
 * linux `include/trace/events/sock.h` and `include/trace/events/tcp.h`;
 * the states' order is `include/net/tcp_states.h`.
 *
 * @module
 */

import { LINUX } from "../../ffi/tables/linux.ts";
import { decodeTcpState } from "../../ffi/tcp_state.ts";
import { parseEndpoint } from "../net/endpoints.ts";

/** One event from `trace_pipe`. */
export interface TraceEvent {
  /** The timestamp on the instance's clock, in microseconds. */
  readonly micros: number;
  /** The event's name (`inet_sock_set_state`, `tcp_send_reset`, …). */
  readonly name: string;
  /** Its printed fields, by name. */
  readonly fields: Readonly<Record<string, string>>;
}

/** `include/net/tcp_states.h`, in order: TCP_ESTABLISHED is 1. */
const KERNEL_STATES = [
  "",
  "TCP_ESTABLISHED",
  "TCP_SYN_SENT",
  "TCP_SYN_RECV",
  "TCP_FIN_WAIT1",
  "TCP_FIN_WAIT2",
  "TCP_TIME_WAIT",
  "TCP_CLOSE",
  "TCP_CLOSE_WAIT",
  "TCP_LAST_ACK",
  "TCP_LISTEN",
  "TCP_CLOSING",
  "TCP_NEW_SYN_RECV",
] as const;

/**
 * A kernel state name (`TCP_CLOSE`) in the names results use (`CLOSED`),
 * through the same table that names `tcp_info`'s state byte.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stateName } from "./trace_events.ts";
 * assert.equal(stateName("TCP_CLOSE"), "CLOSED");
 * assert.equal(stateName("TCP_SYN_RECV"), "SYN_RECEIVED");
 * assert.equal(stateName("TCP_BOGUS"), "TCP_BOGUS");
 * ```
 */
export function stateName(kernel: string): string {
  const index = (KERNEL_STATES as readonly string[]).indexOf(kernel);
  return (index > 0 ? decodeTcpState(LINUX, index) : null) ?? kernel;
}

const LINE = /\s(\d+)\.(\d{6}):\s+(\w+):\s(.*)$/;

/**
 * One line of `trace_pipe`, or `null` for a line that is not an event
 * (a lost-events notice, a blank line).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTraceLine } from "./trace_events.ts";
 * const e = parseTraceLine(
 *   "  python3-10019 [001] ..s2.  4721.220486: inet_sock_set_state: " +
 *     "family=AF_INET protocol=IPPROTO_TCP sport=58228 dport=34101 " +
 *     "oldstate=TCP_ESTABLISHED newstate=TCP_CLOSE_WAIT",
 * );
 * assert.equal(e?.micros, 4721220486);
 * assert.equal(e?.name, "inet_sock_set_state");
 * assert.equal(e?.fields.newstate, "TCP_CLOSE_WAIT");
 * ```
 */
export function parseTraceLine(line: string): TraceEvent | null {
  const match = LINE.exec(line);
  if (!match) return null;
  const fields: Record<string, string> = {};
  for (const pair of match[4]!.trim().split(/\s+/)) {
    const at = pair.indexOf("=");
    if (at > 0) fields[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return {
    micros: Number(match[1]) * 1e6 + Number(match[2]),
    name: match[3]!,
    fields,
  };
}

/** A state change, as `inet_sock_set_state` printed it. */
export interface StateChange {
  readonly micros: number;
  readonly sport: number;
  readonly dport: number;
  /** States in the names results use. */
  readonly from: string;
  readonly to: string;
}

/** A reset the kernel sent, as `tcp_send_reset` printed it. */
export interface SentReset {
  readonly micros: number;
  /** The sending end's port and the receiving end's. */
  readonly sport: number;
  readonly dport: number;
  /** Why, where the kernel says (6.10 and later); else `null`. */
  readonly reason: string | null;
}

/** The event as a state change, or `null` for another event. */
export function stateChangeOf(event: TraceEvent): StateChange | null {
  if (event.name !== "inet_sock_set_state") return null;
  const { sport, dport, oldstate, newstate, protocol } = event.fields;
  if (protocol !== undefined && protocol !== "IPPROTO_TCP") return null;
  if (!sport || !dport || !oldstate || !newstate) return null;
  return {
    micros: event.micros,
    sport: Number(sport),
    dport: Number(dport),
    from: stateName(oldstate),
    to: stateName(newstate),
  };
}

/** The port of `ADDR:PORT` or `[ADDR6]:PORT`, or NaN. */
function portOf(text: string | undefined): number {
  if (text === undefined) return NaN;
  try {
    return parseEndpoint(text).port;
  } catch {
    return NaN;
  }
}

/** The event as a sent reset, or `null` for another event. */
export function sentResetOf(event: TraceEvent): SentReset | null {
  if (event.name !== "tcp_send_reset") return null;
  const f = event.fields;
  const sport = f.src !== undefined ? portOf(f.src) : Number(f.sport);
  const dport = f.dest !== undefined ? portOf(f.dest) : Number(f.dport);
  if (!Number.isInteger(sport) || !Number.isInteger(dport)) return null;
  return { micros: event.micros, sport, dport, reason: f.reason ?? null };
}
