/**
 * Event waits over `poll()`, each bounded by a {@linkcode Deadline}.
 *
 * Where the OS reports the peer's FIN through poll (POLLRDHUP on Linux and
 * FreeBSD 14+), a wait sleeps in poll until the event. Elsewhere poll cannot
 * report a FIN while unread data keeps POLLIN set, so the teardown wait
 * polls for errors in 1 ms slices and reads the TCP state between them.
 *
 * @module
 */

import type { TcpStateName } from "../../ffi/tables/platform.ts";
import type { Posix } from "../../ffi/posix.ts";
import { Deadline, DeadlineExceeded } from "./deadline.ts";

const SLICE_MS = 1;

/**
 * Polls `fd` for `events` until `done(revents)` holds; returns the revents
 * that satisfied it.
 *
 * @throws {DeadlineExceeded} when the deadline passes first.
 */
export function waitFor(
  posix: Posix,
  fd: number,
  events: number,
  what: string,
  deadline: Deadline,
  done: (revents: number) => boolean = (r) => r !== 0,
  sliceMs?: number,
): number {
  for (;;) {
    const remaining = deadline.remaining();
    const out = posix.poll(
      [{ fd, events }],
      sliceMs === undefined ? remaining : Math.min(remaining, sliceMs),
    );
    const revents = out.value?.[0] ?? 0;
    // A sliced wait re-checks its condition even when poll saw nothing.
    if ((out.ret > 0 || sliceMs !== undefined) && done(revents)) {
      return revents;
    }
    if (out.errno !== null && out.errno !== "EINTR") {
      throw new Error(`${what}: poll() failed: ${out.errno}`);
    }
    if (deadline.passed()) throw new DeadlineExceeded(what, deadline.budgetMs);
  }
}

/** Waits until `fd` is readable (data, EOF or error). */
export function waitReadable(
  posix: Posix,
  fd: number,
  what: string,
  deadline: Deadline,
): number {
  return waitFor(posix, fd, posix.table.constants.POLLIN, what, deadline);
}

/** Waits until `fd` is writable (connect finished, or error). */
export function waitWritable(
  posix: Posix,
  fd: number,
  what: string,
  deadline: Deadline,
): number {
  return waitFor(posix, fd, posix.table.constants.POLLOUT, what, deadline);
}

/** States in which the peer's FIN or RST has reached this socket. */
const TORN_DOWN: ReadonlySet<TcpStateName> = new Set([
  "CLOSE_WAIT",
  "LAST_ACK",
  "CLOSING",
  "TIME_WAIT",
  "CLOSED",
]);

/**
 * Waits until the peer's teardown (FIN or RST) has arrived at `fd`: the
 * event the article's script waited for with `sleep 3`. Returns the revents
 * seen at that moment.
 */
export function waitTeardown(
  posix: Posix,
  fd: number,
  what: string,
  deadline: Deadline,
): number {
  const c = posix.table.constants;
  const hangup = c.POLLHUP | c.POLLERR | (c.POLLRDHUP ?? 0);
  if (c.POLLRDHUP !== null) {
    return waitFor(
      posix,
      fd,
      c.POLLIN | c.POLLRDHUP,
      what,
      deadline,
      (r) => (r & hangup) !== 0,
    );
  }
  return waitFor(posix, fd, 0, what, deadline, (r) => {
    if ((r & hangup) !== 0) return true;
    const state = posix.tcpState(fd).value;
    return state !== null && TORN_DOWN.has(state);
  }, SLICE_MS);
}
