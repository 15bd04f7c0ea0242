/**
 * Test helper: a connected loopback TCP pair built with `Posix`, the
 * listener already closed, and a way to wait for what `readLeftovers`
 * reports. Every wait has a deadline.
 *
 * @module
 */

import type { Posix } from "../../ffi/posix.ts";
import type { SocketAddress } from "../../ffi/sockaddr.ts";
import { type Leftover, readLeftovers } from "../kernel/leftovers.ts";
import { Deadline } from "../net/deadline.ts";
import type { Endpoints } from "../net/endpoints.ts";
import { connectLoopback, type LoopbackConnection } from "../net/loopback.ts";

/** Budget of each wait in these helpers. */
const WAIT_MS = 2000;

/** Both ends of a connection; the caller closes `client` and `server`. */
export type LoopbackPair = LoopbackConnection;

/** Connects a client to a fresh listener on loopback and accepts it. */
export function openLoopbackPair(
  posix: Posix,
  family: SocketAddress["family"] = "inet",
): LoopbackPair {
  return connectLoopback(posix, { family, deadline: new Deadline(WAIT_MS) });
}

/**
 * Reads the leftovers every millisecond until they equal `expected` (as
 * JSON) or the deadline passes; returns the last reading either way, for
 * the caller to assert on.
 */
export function leftoversOnceSettled(
  posix: Posix,
  endpoints: Endpoints,
  expected: readonly Leftover[],
): ReturnType<typeof readLeftovers> {
  const deadline = new Deadline(WAIT_MS);
  const want = JSON.stringify({ leftovers: expected });
  for (;;) {
    const found = readLeftovers(endpoints, posix);
    if (JSON.stringify(found) === want || deadline.passed()) return found;
    posix.poll([], Math.min(1, deadline.remaining()));
  }
}
