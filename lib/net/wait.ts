/**
 * Event waits over `poll()`, each bounded by a {@linkcode Deadline}: until
 * a socket is readable, writable, or any condition on its revents holds.
 * The teardown wait, which depends on what the stack reports, is in
 * `teardown_wait.ts`.
 *
 * @module
 */

import type { Posix } from "../../ffi/posix.ts";
import { type Deadline, DeadlineExceeded } from "./deadline.ts";

/**
 * Polls `fd` for `events` until `done(revents)` holds; returns the revents
 * that satisfied it. Each poll sleeps until an event or the deadline.
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
): number {
  for (;;) {
    const out = posix.poll([{ fd, events }], deadline.remaining());
    const revents = out.value?.[0] ?? 0;
    if (out.ret > 0 && done(revents)) return revents;
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
