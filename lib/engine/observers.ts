/**
 * The observers run at a checkpoint, in this order, on one socket:
 * `poll` (revents with a zero timeout), `getpeername`, `tcp_state`,
 * `so_error`, then `recv` with MSG_PEEK. The order matters: reading SO_ERROR
 * clears a pending error, so a later `recv` reports what an application sees
 * once the error was taken.
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
  "so_error",
  "recv",
] as const;

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

/** Runs every observer on `fd`, keyed by observer name. */
export function observeAll(
  posix: Posix,
  fd: number,
): Record<typeof OBSERVERS[number], Observation> {
  return {
    poll: observePoll(posix, fd),
    getpeername: observeGetpeername(posix, fd),
    tcp_state: observeTcpState(posix, fd),
    so_error: observeSoError(posix, fd),
    recv: observeRecv(posix, fd),
  };
}
