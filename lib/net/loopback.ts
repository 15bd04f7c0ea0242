/**
 * One TCP connection, over loopback unless the caller makes its sockets in
 * two network namespaces ({@linkcode LoopbackOptions.within}), made the one
 * way escoteria makes them: a
 * listener on port 0, a non-blocking connect, poll until it is writable,
 * SO_ERROR checked, poll until the listener is readable, accept, and the
 * listener closed at once (so it stays out of the wire and the leftovers).
 * Used by every trial, by the POLLRDHUP probe and by the tests' pairs.
 *
 * @module
 */

import { type Posix, unwrap } from "../../ffi/posix.ts";
import type { SocketAddress } from "../../ffi/sockaddr.ts";
import type { Deadline } from "./deadline.ts";
import type { Endpoints } from "./endpoints.ts";
import { waitReadable, waitWritable } from "./wait.ts";

/** How to make the connection. */
export interface LoopbackOptions {
  readonly family: SocketAddress["family"];
  /** Defaults to `127.0.0.1` or `::1`. */
  readonly address?: string;
  /** Set SO_REUSEADDR on the listener (the trials do). */
  readonly reuseAddress?: boolean;
  /** Bounds the connect and the accept together. */
  readonly deadline: Deadline;
  /** Put before each wait's and failure's name (`rdhup probe: `). */
  readonly label?: string;
  /**
   * Called with each socket as it is opened, and with the listener as it
   * is closed, for a caller that keeps its own account of open fds. A
   * failure closes nothing the caller was told about; without these,
   * every socket opened is closed on failure.
   */
  readonly opened?: (fd: number) => void;
  readonly closed?: (fd: number) => void;
  /**
   * Called with the listener's address once it is bound, before the
   * client connects: a trial focuses its capture on that port here.
   */
  readonly listening?: (address: SocketAddress) => void;
  /**
   * Runs the creation of the listener's or the client's socket, e.g. with
   * the thread inside that host's network namespace (a socket stays in the
   * namespace it was made in); by default it simply runs it.
   */
  readonly within?: <T>(role: "listener" | "client", open: () => T) => T;
}

/** Both ends of the connection; the caller closes `client` and `server`. */
export interface LoopbackConnection {
  readonly client: number;
  readonly server: number;
  readonly endpoints: Endpoints;
}

/**
 * Connects a client to a fresh listener on loopback and accepts it.
 *
 * @throws {Error} when a call fails or the deadline passes; see
 * {@linkcode LoopbackOptions.opened} for who closes what then.
 */
export function connectLoopback(
  posix: Posix,
  options: LoopbackOptions,
): LoopbackConnection {
  const { family, deadline } = options;
  const label = options.label ?? "";
  const address = options.address ?? (family === "inet6" ? "::1" : "127.0.0.1");
  const mine: number[] = [];
  const open = (fd: number) => {
    if (options.opened) options.opened(fd);
    else mine.push(fd);
    return fd;
  };
  const close = (fd: number) => {
    if (options.closed) options.closed(fd);
    else {
      mine.splice(mine.indexOf(fd), 1);
      posix.close(fd);
    }
  };
  const within = options.within ?? (<T>(_: unknown, f: () => T) => f());
  try {
    const listener = open(
      unwrap(posix, "socket", within("listener", () => posix.socket(family))),
    );
    if (options.reuseAddress) {
      const c = posix.table.constants;
      unwrap(
        posix,
        "setsockopt(SO_REUSEADDR)",
        posix.setIntOption(listener, c.SOL_SOCKET, c.SO_REUSEADDR, 1),
      );
    }
    unwrap(posix, "bind", posix.bind(listener, { family, address, port: 0 }));
    unwrap(posix, "listen", posix.listen(listener, 1));
    const bound = posix.getsockname(listener);
    unwrap(posix, "getsockname", bound);
    const serverAddr = bound.value!;
    options.listening?.(serverAddr);
    const client = open(
      unwrap(posix, "socket", within("client", () => posix.socket(family))),
    );
    const connecting = posix.connect(client, serverAddr);
    if (connecting.ret < 0 && connecting.errno !== "EINPROGRESS") {
      unwrap(posix, "connect", connecting);
    }
    waitWritable(posix, client, `${label}connect`, deadline);
    const soError = posix.soError(client);
    if (soError.value !== null) {
      throw new Error(`${label}connect() failed: ${soError.value}`);
    }
    waitReadable(posix, listener, `${label}accept`, deadline);
    const server = open(unwrap(posix, "accept", posix.accept(listener)));
    close(listener);
    return {
      client,
      server,
      endpoints: {
        client: posix.getsockname(client).value!,
        server: serverAddr,
      },
    };
  } catch (e) {
    for (const fd of mine) posix.close(fd);
    throw e;
  }
}
