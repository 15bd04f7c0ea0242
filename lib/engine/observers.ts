/**
 * The observers run at a checkpoint, in this order, on one socket:
 * `poll` (revents with a zero timeout), `getpeername`, `tcp_state`, `recv`
 * with MSG_PEEK, then `so_error`. The first three only look. `recv` and
 * `so_error` both take a pending socket error (ECONNRESET, EPIPE, …): the
 * kernel reports it once, to whichever call asks first. `recv` goes first
 * because that is what an application reading the socket meets; `so_error`
 * then shows what is still pending. The `reset` experiment runs each of
 * them first, alone, to show who takes what.
 *
 * @module
 */

import { pollNames } from "../../ffi/pollfd.ts";
import type { Posix } from "../../ffi/posix.ts";

/** One observed value, as stored in results. */
export type Observation = string | number | boolean | null;

/** Names of the observers, in the order they run. */
export const OBSERVERS = [
  "poll",
  "getpeername",
  "tcp_state",
  "recv",
  "so_error",
] as const;

/** The name of one observer. */
export type ObserverName = typeof OBSERVERS[number];

/** Revents of a zero-timeout poll for every event the OS has (0 on error). */
export function pollEverything(posix: Posix, fd: number): number {
  const c = posix.table.constants;
  const events = c.POLLIN | c.POLLPRI | c.POLLOUT | (c.POLLRDHUP ?? 0);
  return posix.poll([{ fd, events }], 0).value?.[0] ?? 0;
}

/** Revents names of a zero-timeout poll for every event, `none` if quiet. */
export function observePoll(posix: Posix, fd: number): Observation {
  return pollNames(posix.table, pollEverything(posix, fd)) || "none";
}

/** `ok` when getpeername() succeeds, else its errno name. */
export function observeGetpeername(posix: Posix, fd: number): Observation {
  return posix.getpeername(fd).errno ?? "ok";
}

/** The TCP state name, or the errno of the failed query. */
export function observeTcpState(posix: Posix, fd: number): Observation {
  const out = posix.tcpState(fd);
  return out.value ?? out.errno ?? "unknown";
}

/** The pending socket error's name, `none`, or the getsockopt errno. */
export function observeSoError(posix: Posix, fd: number): Observation {
  const out = posix.soError(fd);
  if (out.ret < 0) return `getsockopt:${out.errno}`;
  return out.value ?? "none";
}

/** `recv(MSG_PEEK|MSG_DONTWAIT)`: `bytes:N`, `eof`, or the errno name. */
export function observeRecv(posix: Posix, fd: number): Observation {
  const out = posix.recv(fd, 4096, posix.table.constants.MSG_PEEK);
  if (out.value === null) return out.errno;
  return out.ret === 0 ? "eof" : `bytes:${out.ret}`;
}

const OBSERVE: Record<ObserverName, (posix: Posix, fd: number) => Observation> =
  {
    poll: observePoll,
    getpeername: observeGetpeername,
    tcp_state: observeTcpState,
    recv: observeRecv,
    so_error: observeSoError,
  };

/**
 * Runs `observers` on `fd` in the order given (default: every observer, in
 * {@linkcode OBSERVERS} order), keyed by observer name.
 */
export function observe(
  posix: Posix,
  fd: number,
  observers: readonly ObserverName[] = OBSERVERS,
): Partial<Record<ObserverName, Observation>> {
  const out: Partial<Record<ObserverName, Observation>> = {};
  for (const name of observers) out[name] = OBSERVE[name](posix, fd);
  return out;
}
