/**
 * The wait for the peer's teardown (FIN or RST), bounded by a
 * {@linkcode Deadline}, and what it rests on.
 *
 * Where the stack reports the peer's FIN through poll (POLLRDHUP, as the
 * probe in `rdhup.ts` finds on Linux), a teardown wait sleeps in poll until
 * the event. Elsewhere (gVisor, macOS, the BSDs without it) the FIN shows
 * as POLLIN, the end of the stream, and as the TCP state: the wait sleeps
 * on POLLIN while nothing is unread, and only while unread data keeps
 * POLLIN set does it poll for errors in short slices, reading the TCP state
 * between them.
 *
 * @module
 */

import type { TcpStateName } from "../../ffi/tables/platform.ts";
import type { Posix } from "../../ffi/posix.ts";
import { type Deadline, DeadlineExceeded } from "./deadline.ts";
import { pollReportsRdhup } from "./rdhup.ts";
import { waitFor } from "./wait.ts";

const SLICE_MS = 1;

/** States in which the peer's FIN or RST has reached this socket. */
const TORN_DOWN: ReadonlySet<TcpStateName> = new Set([
  "CLOSE_WAIT",
  "LAST_ACK",
  "CLOSING",
  "TIME_WAIT",
  "CLOSED",
]);

/**
 * The events a teardown wait asks poll for: POLLIN, plus POLLRDHUP where
 * the stack reports it (POLLERR and POLLHUP are always reported).
 */
export function teardownEvents(posix: Posix): number {
  const c = posix.table.constants;
  return c.POLLIN | (pollReportsRdhup(posix) ? c.POLLRDHUP ?? 0 : 0);
}

/**
 * Whether the peer's teardown (FIN or RST) has reached `fd`, given the
 * `revents` of a poll just made on it that asked at least
 * {@linkcode teardownEvents}. POLLERR or POLLHUP say so everywhere, and
 * POLLRDHUP where the stack reports it. Elsewhere the TCP state decides
 * (CLOSE_WAIT, LAST_ACK, CLOSING, TIME_WAIT or CLOSED); where the state
 * cannot be read, a readable socket whose `recv(MSG_PEEK)` finds the end
 * of the stream (0) or an error has it. The peek runs only then: it would
 * take a pending error that a later observer should see.
 */
export function teardownArrived(
  posix: Posix,
  fd: number,
  revents: number,
): boolean {
  const c = posix.table.constants;
  if ((revents & (c.POLLHUP | c.POLLERR)) !== 0) return true;
  if (pollReportsRdhup(posix)) return (revents & (c.POLLRDHUP ?? 0)) !== 0;
  const state = posix.tcpState(fd).value;
  if (state !== null) return TORN_DOWN.has(state);
  if ((revents & c.POLLIN) === 0) return false;
  const peek = posix.recv(fd, 1, c.MSG_PEEK);
  return peek.ret === 0 ||
    (peek.errno !== null && peek.errno !== "EAGAIN" && peek.errno !== "EINTR");
}

/**
 * Waits until `done(revents)` holds for `fd`, where `revents` come from a
 * zero-timeout poll for `events` made just before (POLLERR and POLLHUP are
 * always reported). Returns the revents of a poll made once it holds, so
 * they describe the moment it was seen. Between checks it sleeps in poll
 * until something changes; only where a bit is already set, so that poll
 * would return at once (POLLIN kept set by unread data, or an error), does
 * it sleep in slices of 1 ms, still woken early by an error where none is
 * set yet.
 *
 * @throws {DeadlineExceeded} when the deadline passes first.
 */
export function waitUntil(
  posix: Posix,
  fd: number,
  events: number,
  what: string,
  deadline: Deadline,
  done: (revents: number) => boolean,
): number {
  const c = posix.table.constants;
  const hangup = c.POLLHUP | c.POLLERR;
  const now = () => {
    const out = posix.poll([{ fd, events }], 0);
    if (out.errno !== null && out.errno !== "EINTR") {
      throw new Error(`${what}: poll() failed: ${out.errno}`);
    }
    const revents = out.value?.[0] ?? 0;
    if ((revents & c.POLLNVAL) !== 0) {
      throw new Error(`${what}: poll() says fd ${fd} is not open`);
    }
    return { revents, ok: out.errno === null };
  };
  for (;;) {
    const { revents, ok } = now();
    // The state may move after that poll: report the revents of the
    // moment `done` held, not of a moment before it.
    if (ok && done(revents)) return now().revents;
    if (deadline.passed()) throw new DeadlineExceeded(what, deadline.budgetMs);
    const slice = Math.min(deadline.remaining(), SLICE_MS);
    if (revents === 0) posix.poll([{ fd, events }], deadline.remaining());
    else if ((revents & hangup) === 0) posix.poll([{ fd, events: 0 }], slice);
    else posix.poll([], slice);
  }
}

/**
 * Waits until the peer's teardown (FIN or RST) has arrived at `fd`: the
 * event the article's script waited for with `sleep 3`. Returns the revents
 * for {@linkcode teardownEvents} at that moment (never 0 where the stack
 * reports POLLRDHUP; elsewhere 0 is possible, e.g. when the state says
 * CLOSE_WAIT but the stack does not call the socket readable).
 *
 * Without POLLRDHUP the wait sleeps on POLLIN (the end of the stream wakes
 * it, an RST too) while nothing is unread, and polls in 1 ms slices while
 * unread data keeps POLLIN set; see {@linkcode waitUntil}.
 *
 * @throws {DeadlineExceeded} when the deadline passes first.
 */
export function waitTeardown(
  posix: Posix,
  fd: number,
  what: string,
  deadline: Deadline,
): number {
  const c = posix.table.constants;
  if (pollReportsRdhup(posix)) {
    const hangup = c.POLLHUP | c.POLLERR | (c.POLLRDHUP ?? 0);
    return waitFor(
      posix,
      fd,
      c.POLLIN | (c.POLLRDHUP ?? 0),
      what,
      deadline,
      (r) => (r & hangup) !== 0,
    );
  }
  return waitUntil(
    posix,
    fd,
    teardownEvents(posix),
    what,
    deadline,
    (revents) => teardownArrived(posix, fd, revents),
  );
}
