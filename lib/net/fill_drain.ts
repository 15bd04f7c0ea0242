/**
 * The two ends of a slow close: {@linkcode fill} sends until the socket's
 * send buffer is full towards a peer that does not read (its window
 * closes, and what remains waits unsent), and {@linkcode drain} reads a
 * socket to its end, the end of file or an error. Both use the
 * non-blocking calls whatever the socket's mode (`MSG_DONTWAIT`), and both
 * are bounded by a deadline.
 *
 * @module
 */

import type { Posix } from "../../ffi/posix.ts";
import type { Deadline } from "./deadline.ts";
import { waitReadable } from "./wait.ts";

/** Bytes per `send()` and `recv()`. */
const CHUNK = 64 * 1024;

/**
 * How long a full send buffer must stay full to count: longer than the
 * peer's delayed ACK (40 to 200 ms on Linux), which could still free room.
 */
export const FULL_FOR_MS = 250;

/**
 * Sends until the send buffer is full and stays full for
 * {@linkcode FULL_FOR_MS}; returns how the last send failed (`EAGAIN`, or
 * another errno name) and the bytes the sends took.
 *
 * @throws {DeadlineExceeded} when the buffer never stays full.
 */
export function fill(
  posix: Posix,
  fd: number,
  what: string,
  deadline: Deadline,
): { last: string; bytes: number } {
  const chunk = new Uint8Array(CHUNK);
  const { POLLOUT } = posix.table.constants;
  let bytes = 0;
  for (;;) {
    deadline.check(what);
    const out = posix.send(fd, chunk);
    if (out.ret > 0) {
      bytes += out.ret;
      continue;
    }
    if (out.errno === "EINTR") continue;
    if (out.errno !== "EAGAIN") return { last: out.errno ?? "0", bytes };
    const revents = posix.poll([{ fd, events: POLLOUT }], FULL_FOR_MS).value;
    if (!((revents?.[0] ?? 0) & POLLOUT)) return { last: "EAGAIN", bytes };
  }
}

/**
 * Reads until the end of file or an error; returns which (`eof` or the
 * errno name) and the bytes read.
 *
 * @throws {DeadlineExceeded} when neither comes in time.
 */
export function drain(
  posix: Posix,
  fd: number,
  what: string,
  deadline: Deadline,
): { end: string; bytes: number } {
  let bytes = 0;
  for (;;) {
    deadline.check(what);
    const out = posix.recv(fd, CHUNK);
    if (out.ret > 0) {
      bytes += out.ret;
      continue;
    }
    if (out.ret === 0) return { end: "eof", bytes };
    if (out.errno === "EINTR") continue;
    if (out.errno !== "EAGAIN") return { end: out.errno ?? "?", bytes };
    waitReadable(posix, fd, what, deadline);
  }
}
