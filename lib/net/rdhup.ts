/**
 * Whether this process's TCP stack reports the peer's FIN as POLLRDHUP,
 * found by trying it rather than by the OS's name: Linux defines the
 * constant, but gVisor's netstack (which also answers to the Linux ABI)
 * never sets it, and macOS and OpenBSD have no such constant at all.
 *
 * The probe opens a loopback TCP pair, shuts one side down for writing,
 * waits (with `poll()`, bounded by a {@linkcode Deadline}) until the other
 * side is readable — no data was sent, so POLLIN means the FIN arrived —
 * and then asks poll once more with a zero timeout whether POLLRDHUP is
 * set. Every descriptor it opens is closed on every path. The answer is
 * cached per {@linkcode Posix} instance by {@linkcode pollReportsRdhup}.
 *
 * @module
 */

import { type Posix, unwrap } from "../../ffi/posix.ts";
import type { SocketAddress } from "../../ffi/sockaddr.ts";
import { Deadline, DeadlineExceeded } from "./deadline.ts";

/** Budget of the whole probe, in milliseconds (loopback needs far less). */
export const PROBE_MS = 2000;

/**
 * Polls `fd` for `events` until poll reports one of them (or an error
 * bit); returns the revents.
 *
 * @throws {DeadlineExceeded} when the deadline passes first.
 */
function awaitEvents(
  posix: Posix,
  fd: number,
  events: number,
  what: string,
  deadline: Deadline,
): number {
  for (;;) {
    const out = posix.poll([{ fd, events }], deadline.remaining());
    const revents = out.value?.[0] ?? 0;
    if (out.ret > 0 && revents !== 0) return revents;
    if (out.errno !== null && out.errno !== "EINTR") {
      throw new Error(`${what}: poll() failed: ${out.errno}`);
    }
    if (deadline.passed()) throw new DeadlineExceeded(what, deadline.budgetMs);
  }
}

/**
 * Finds out whether poll() on this stack sets POLLRDHUP once the peer's FIN
 * has arrived. `false` without probing where the OS table has no POLLRDHUP.
 *
 * @throws {Error} when the loopback pair cannot be set up or the FIN does
 * not arrive within `budgetMs` (the stack's answer is then unknown).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hostPosix } from "../../ffi/posix.ts";
 * import { probePollRdhup } from "./rdhup.ts";
 * assert.equal(typeof probePollRdhup(hostPosix()), "boolean");
 * ```
 */
export function probePollRdhup(
  posix: Posix,
  family: SocketAddress["family"] = "inet",
  budgetMs: number = PROBE_MS,
): boolean {
  const c = posix.table.constants;
  if (c.POLLRDHUP === null) return false;
  const address = family === "inet6" ? "::1" : "127.0.0.1";
  const deadline = new Deadline(budgetMs);
  const opened: number[] = [];
  const open = (fd: number) => {
    opened.push(fd);
    return fd;
  };
  const close = (fd: number) => {
    opened.splice(opened.indexOf(fd), 1);
    posix.close(fd);
  };
  try {
    const listener = open(unwrap(posix, "socket", posix.socket(family)));
    unwrap(posix, "bind", posix.bind(listener, { family, address, port: 0 }));
    unwrap(posix, "listen", posix.listen(listener, 1));
    const bound = posix.getsockname(listener);
    unwrap(posix, "getsockname", bound);
    const client = open(unwrap(posix, "socket", posix.socket(family)));
    const connecting = posix.connect(client, bound.value!);
    if (connecting.ret < 0 && connecting.errno !== "EINPROGRESS") {
      unwrap(posix, "connect", connecting);
    }
    awaitEvents(posix, client, c.POLLOUT, "rdhup probe: connect", deadline);
    const soError = posix.soError(client);
    if (soError.value !== null) {
      throw new Error(`rdhup probe: connect() failed: ${soError.value}`);
    }
    awaitEvents(posix, listener, c.POLLIN, "rdhup probe: accept", deadline);
    const server = open(unwrap(posix, "accept", posix.accept(listener)));
    close(listener);
    unwrap(posix, "shutdown", posix.shutdown(client, "wr"));
    const events = c.POLLIN | c.POLLRDHUP;
    const woke = awaitEvents(
      posix,
      server,
      events,
      "rdhup probe: FIN",
      deadline,
    );
    if ((woke & c.POLLRDHUP) !== 0) return true;
    // Nothing was sent, so POLLIN alone says the FIN is in; ask once more
    // in case a stack raises the two bits one after the other.
    const again = posix.poll([{ fd: server, events }], 0);
    return ((again.value?.[0] ?? 0) & c.POLLRDHUP) !== 0;
  } finally {
    for (const fd of [...opened]) posix.close(fd);
  }
}

const cache = new WeakMap<Posix, boolean>();

/**
 * Whether poll() on `posix`'s stack reports POLLRDHUP for a FIN: probed by
 * {@linkcode probePollRdhup} on first use, then remembered for the process.
 * A probe that fails throws and is tried again on the next call.
 */
export function pollReportsRdhup(posix: Posix): boolean {
  let known = cache.get(posix);
  if (known === undefined) {
    known = probePollRdhup(posix);
    cache.set(posix, known);
  }
  return known;
}
