/**
 * Test helper: a connected loopback TCP pair built with `Posix`, the
 * listener already closed, and a way to wait for what `readLeftovers`
 * reports. Every wait has a deadline.
 *
 * @module
 */

import { type Posix, unwrap } from "../../ffi/posix.ts";
import type { SocketAddress } from "../../ffi/sockaddr.ts";
import { type Leftover, readLeftovers } from "../kernel/leftovers.ts";
import { Deadline } from "../net/deadline.ts";
import type { Endpoints } from "../net/endpoints.ts";
import { waitReadable, waitWritable } from "../net/wait.ts";

/** Budget of each wait in these helpers. */
const WAIT_MS = 2000;

/** Both ends of a connection; the caller closes `client` and `server`. */
export interface LoopbackPair {
  readonly client: number;
  readonly server: number;
  readonly endpoints: Endpoints;
}

/** Connects a client to a fresh listener on loopback and accepts it. */
export function openLoopbackPair(
  posix: Posix,
  family: SocketAddress["family"] = "inet",
): LoopbackPair {
  const address = family === "inet6" ? "::1" : "127.0.0.1";
  const opened: number[] = [];
  const open = () => {
    const fd = unwrap(posix, "socket", posix.socket(family));
    opened.push(fd);
    return fd;
  };
  try {
    const listener = open();
    unwrap(posix, "bind", posix.bind(listener, { family, address, port: 0 }));
    unwrap(posix, "listen", posix.listen(listener, 1));
    const serverAddr = posix.getsockname(listener).value!;
    const client = open();
    const connecting = posix.connect(client, serverAddr);
    if (connecting.errno !== "EINPROGRESS") {
      unwrap(posix, "connect", connecting);
    }
    const deadline = new Deadline(WAIT_MS);
    waitWritable(posix, client, "connect", deadline);
    waitReadable(posix, listener, "accept", deadline);
    const server = unwrap(posix, "accept", posix.accept(listener));
    posix.close(listener);
    opened.splice(opened.indexOf(listener), 1);
    return {
      client,
      server,
      endpoints: {
        client: posix.getsockname(client).value!,
        server: serverAddr,
      },
    };
  } catch (e) {
    for (const fd of opened) posix.close(fd);
    throw e;
  }
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
