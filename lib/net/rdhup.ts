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
import { Deadline } from "./deadline.ts";
import { connectLoopback } from "./loopback.ts";
import { waitFor } from "./wait.ts";

/** Budget of the whole probe, in milliseconds (loopback needs far less). */
export const PROBE_MS = 2000;

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
  const deadline = new Deadline(budgetMs);
  const pair = connectLoopback(posix, {
    family,
    deadline,
    label: "rdhup probe: ",
  });
  try {
    const { client, server } = pair;
    unwrap(posix, "shutdown", posix.shutdown(client, "wr"));
    const events = c.POLLIN | c.POLLRDHUP;
    const woke = waitFor(posix, server, events, "rdhup probe: FIN", deadline);
    if ((woke & c.POLLRDHUP) !== 0) return true;
    // Nothing was sent, so POLLIN alone says the FIN is in; ask once more
    // in case a stack raises the two bits one after the other.
    const again = posix.poll([{ fd: server, events }], 0);
    return ((again.value?.[0] ?? 0) & c.POLLRDHUP) !== 0;
  } finally {
    posix.close(pair.client);
    posix.close(pair.server);
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
