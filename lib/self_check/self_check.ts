/**
 * The self-check: before any experiment runs, the FFI layer proves on this
 * platform and stack, with real sockets on loopback, each assumption the
 * results rest on. A table can match its OS's headers and still be wrong at
 * run time (a variadic call bound the wrong way, a constant copied from the
 * wrong header), so every check asks the kernel rather than the table:
 * errno numbers from calls that must fail, O_NONBLOCK by what `recv()`
 * does, sockaddr bytes as the kernel writes them, TCP states where they
 * must be, poll flags after a FIN.
 *
 * Checks run in a fixed order, most basic first, so the first failure names
 * the likeliest culprit. Each is independent: it opens what it needs, closes
 * every fd it opened on every path, and turns any failure (a call's errno,
 * a thrown error, a deadline) into `{ ok: false, detail }`. Every wait is
 * bounded; a `recv()` that should not block is bounded by SO_RCVTIMEO.
 *
 * @module
 */

import type { Linger } from "../../ffi/linger.ts";
import { type Outcome, type Posix, unwrap } from "../../ffi/posix.ts";
import { pollNames, readEvents } from "../../ffi/pollfd.ts";
import type { SocketAddress } from "../../ffi/sockaddr.ts";
import { formatEndpoint, SOCKADDR_IN_SIZE } from "../../ffi/sockaddr.ts";
import type { TcpStateName } from "../../ffi/tables/platform.ts";
import { Deadline } from "../net/deadline.ts";
import { waitFor, waitReadable, waitWritable } from "../net/wait.ts";

/** One check's verdict, as the platform block records it. */
export interface SelfCheckEntry {
  readonly check: SelfCheckName;
  readonly ok: boolean;
  /** What was seen: the evidence when ok, what went wrong when not. */
  readonly detail: string;
}

/** The checks, in the order they run. */
export const SELF_CHECKS = [
  "errno",
  "sockaddr",
  "socket-nonblocking",
  "fcntl-nonblocking",
  "msg-dontwait",
  "recv-eagain",
  "getpeername-enotconn",
  "connect-econnrefused",
  "so-linger",
  "tcp-state",
  "poll-after-fin",
] as const;
/** One of {@linkcode SELF_CHECKS}. */
export type SelfCheckName = typeof SELF_CHECKS[number];

/** Budget of each check's waits, in milliseconds (loopback needs far less). */
export const CHECK_MS = 2000;

/**
 * SO_RCVTIMEO on the sockets whose `recv()` must not block: a call that
 * does block returns EAGAIN after this long instead of hanging, and a call
 * that took half of it is taken as having blocked.
 */
export const RECEIVE_TIMEOUT_MS = 100;

/** Runs every check in order; never throws for a failed check. */
export function runSelfCheck(posix: Posix): SelfCheckEntry[] {
  return SELF_CHECKS.map((check) => {
    const fds = new Fds(posix);
    try {
      const detail = CHECKS[check](posix, fds, new Deadline(CHECK_MS));
      return { check, ok: true, detail };
    } catch (e) {
      return {
        check,
        ok: false,
        detail: e instanceof Error ? e.message : String(e),
      };
    } finally {
      fds.closeAll();
    }
  });
}

/**
 * A run stopped by a failed self-check. Commands end it with one line and
 * exit code 3, before any result is written.
 */
export class SelfCheckFailed extends Error {
  constructor(readonly entries: readonly SelfCheckEntry[]) {
    const [first, ...rest] = entries.filter((e) => !e.ok);
    super(
      `self-check failed: ${first?.check}: ${first?.detail}` +
        (rest.length
          ? `; also failed: ${rest.map((e) => e.check).join(", ")}`
          : ""),
    );
    this.name = "SelfCheckFailed";
  }
}

/** The fds a check opened, so that every one is closed on every path. */
class Fds {
  readonly #open = new Set<number>();
  constructor(readonly posix: Posix) {}
  readonly add = (fd: number): number => {
    this.#open.add(fd);
    return fd;
  };
  readonly close = (fd: number): void => {
    this.#open.delete(fd);
    this.posix.close(fd);
  };
  /** A TCP socket from `posix.socket()`, as the experiments make them. */
  socket(): number {
    return this.add(unwrap(this.posix, "socket", this.posix.socket("inet")));
  }
  closeAll(): void {
    for (const fd of this.#open) this.posix.close(fd);
    this.#open.clear();
  }
}

/** A check failed: the message says what was expected and what was seen. */
class Mismatch extends Error {}

function expect(condition: boolean, detail: string): asserts condition {
  if (!condition) throw new Mismatch(detail);
}

/** `-1/ENOTCONN`, `0`: a call's outcome as the details write it. */
function shown(out: Outcome): string {
  return out.ret < 0 ? `${out.ret}/${out.errno}` : String(out.ret);
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

const LOOPBACK: SocketAddress = {
  family: "inet",
  address: "127.0.0.1",
  port: 0,
};

/** A listener on a free loopback port, and its address. */
function listen(posix: Posix, fds: Fds): { fd: number; addr: SocketAddress } {
  const fd = fds.socket();
  unwrap(posix, "bind", posix.bind(fd, LOOPBACK));
  unwrap(posix, "listen", posix.listen(fd, 4));
  const name = posix.getsockname(fd);
  unwrap(posix, "getsockname", name);
  return { fd, addr: name.value! };
}

/** Completes a non-blocking connect of `client` to `addr`. */
function connectTo(
  posix: Posix,
  client: number,
  addr: SocketAddress,
  deadline: Deadline,
): void {
  const out = posix.connect(client, addr);
  if (out.ret < 0 && out.errno !== "EINPROGRESS") unwrap(posix, "connect", out);
  waitWritable(posix, client, "connect", deadline);
  const soError = posix.soError(client);
  if (soError.value !== null) {
    throw new Error(`connect() failed: ${soError.value}`);
  }
}

/** A listener (kept open), a connected client and the accepted server. */
function connected(posix: Posix, fds: Fds, deadline: Deadline) {
  const listener = listen(posix, fds);
  const client = fds.socket();
  connectTo(posix, client, listener.addr, deadline);
  waitReadable(posix, listener.fd, "accept", deadline);
  const server = fds.add(unwrap(posix, "accept", posix.accept(listener.fd)));
  return { listener, client, server };
}

/**
 * A connected socket made by `socket()` without SOCK_NONBLOCK, so blocking
 * as every OS creates sockets, with SO_RCVTIMEO bounding its `recv()`. Its
 * connect is the kernel's own loopback handshake to a listener with room in
 * its backlog, which completes within the call.
 */
function blockingClient(posix: Posix, fds: Fds, deadline: Deadline) {
  const c = posix.table.constants;
  const listener = listen(posix, fds);
  const fd = fds.add(
    unwrap(posix, "socket", posix.rawSocket(c.AF_INET, c.SOCK_STREAM, 0)),
  );
  unwrap(
    posix,
    "setsockopt(SO_RCVTIMEO)",
    posix.setReceiveTimeout(fd, RECEIVE_TIMEOUT_MS),
  );
  return { fd, listener, deadline };
}

/**
 * `recv(fd, 1, flags)` on a socket with nothing to read: EAGAIN at once
 * means it did not block; EAGAIN after SO_RCVTIMEO means it did.
 */
function recvWithoutData(
  posix: Posix,
  fd: number,
  flags: number,
  what: string,
): string {
  const started = performance.now();
  const out = posix.rawRecv(fd, 1, flags);
  const ms = performance.now() - started;
  expect(
    out.errno === "EAGAIN" && ms < RECEIVE_TIMEOUT_MS / 2,
    `${what} with nothing to read gave ${shown(out)} after ${
      ms.toFixed(1)
    } ms` +
      (ms >= RECEIVE_TIMEOUT_MS / 2
        ? ` (it blocked until SO_RCVTIMEO, ${RECEIVE_TIMEOUT_MS} ms)`
        : ", not -1/EAGAIN"),
  );
  return `${what}: -1/EAGAIN at once`;
}

type Check = (posix: Posix, fds: Fds, deadline: Deadline) => string;

const CHECKS: Record<SelfCheckName, Check> = {
  errno(posix) {
    const out = posix.close(-1);
    const number = posix.table.errno.EBADF;
    expect(
      out.ret === -1 && out.errno === "EBADF",
      `close(-1) gave ${shown(out)}, not -1/EBADF (${number} in the table)`,
    );
    return `close(-1): -1/EBADF (${number})`;
  },

  sockaddr(posix, fds, deadline) {
    const probe = fds.socket();
    const bound = posix.bind(probe, LOOPBACK);
    expect(
      bound.ret === 0,
      `bind() of the sockaddr_in the table encodes (${
        posix.table.sockaddrHasLen ? "with" : "without"
      } sin_len) failed: ${shown(bound)}`,
    );
    fds.close(probe);
    const { listener, client, server } = connected(posix, fds, deadline);
    const raw = posix.rawName(listener.fd, "getsockname");
    unwrap(posix, "getsockname", raw);
    const bytes = raw.value!;
    let sinLen = "";
    if (posix.table.sockaddrHasLen) {
      expect(
        bytes[0] === SOCKADDR_IN_SIZE,
        `getsockname() wrote sin_len ${bytes[0]}, not ${SOCKADDR_IN_SIZE}`,
      );
      sinLen = `, sin_len ${bytes[0]}`;
    }
    const name = listener.addr;
    expect(
      name.family === "inet" && name.address === "127.0.0.1" && name.port > 0,
      `bound 127.0.0.1:0, getsockname() gave ${formatEndpoint(name)}`,
    );
    const peer = posix.getpeername(client).value;
    const clientName = posix.getsockname(client).value;
    const serverPeer = posix.getpeername(server).value;
    expect(
      peer !== null && formatEndpoint(peer) === formatEndpoint(name),
      `the client's getpeername() gave ${peer && formatEndpoint(peer)}, not ${
        formatEndpoint(name)
      }`,
    );
    expect(
      clientName !== null && serverPeer !== null &&
        formatEndpoint(clientName) === formatEndpoint(serverPeer),
      `the server's getpeername() gave ${
        serverPeer && formatEndpoint(serverPeer)
      }, the client's getsockname() ${
        clientName && formatEndpoint(clientName)
      }`,
    );
    return `getsockname() after binding 127.0.0.1:0: 127.0.0.1 and a port ` +
      `(${bytes.byteLength} bytes${sinLen}); getpeername() on both ends ` +
      `matches the other's name`;
  },

  "socket-nonblocking"(posix, fds, deadline) {
    const c = posix.table.constants;
    const { client, server } = connected(posix, fds, deadline);
    const seen = ([["socket()", client], ["accept()", server]] as const).map(
      ([call, fd]) => {
        const flags = unwrap(
          posix,
          "fcntl(F_GETFL)",
          posix.fileStatusFlags(fd),
        );
        expect(
          (flags & c.O_NONBLOCK) !== 0,
          `F_GETFL after ${call} is ${hex(flags)}: O_NONBLOCK (${
            hex(c.O_NONBLOCK)
          }) is not set`,
        );
        return `${call} ${hex(flags)}`;
      },
    );
    return `F_GETFL holds O_NONBLOCK (${hex(c.O_NONBLOCK)}) after ${
      seen.join(" and ")
    }`;
  },

  "fcntl-nonblocking"(posix, fds, deadline) {
    const c = posix.table.constants;
    const { fd, listener } = blockingClient(posix, fds, deadline);
    const before = unwrap(posix, "fcntl(F_GETFL)", posix.fileStatusFlags(fd));
    expect(
      (before & c.O_NONBLOCK) === 0,
      `a socket made without SOCK_NONBLOCK already reads as O_NONBLOCK (F_GETFL ${
        hex(before)
      })`,
    );
    unwrap(posix, "fcntl(F_SETFL)", posix.setNonblocking(fd));
    const after = unwrap(posix, "fcntl(F_GETFL)", posix.fileStatusFlags(fd));
    expect(
      (after & c.O_NONBLOCK) !== 0,
      `F_SETFL O_NONBLOCK (${hex(c.O_NONBLOCK)}) did not stick: F_GETFL ${
        hex(before)
      } before, ${hex(after)} after`,
    );
    connectTo(posix, fd, listener.addr, deadline);
    const recv = recvWithoutData(
      posix,
      fd,
      0,
      "recv() without MSG_DONTWAIT",
    );
    return `F_GETFL ${hex(before)}, F_SETFL, then ${hex(after)}; ${recv}`;
  },

  "msg-dontwait"(posix, fds, deadline) {
    const c = posix.table.constants;
    const { fd, listener } = blockingClient(posix, fds, deadline);
    const out = posix.connect(fd, listener.addr);
    unwrap(posix, "connect", out);
    return recvWithoutData(
      posix,
      fd,
      c.MSG_DONTWAIT,
      `recv(MSG_DONTWAIT ${hex(c.MSG_DONTWAIT)}) on a blocking socket`,
    );
  },

  "recv-eagain"(posix, fds, deadline) {
    const { client } = connected(posix, fds, deadline);
    const out = posix.recv(client, 1);
    expect(
      out.errno === "EAGAIN",
      `recv() on an empty non-blocking socket gave ${
        shown(out)
      }, not -1/EAGAIN (${posix.table.errno.EAGAIN} in the table)`,
    );
    return `recv(): -1/EAGAIN (${posix.table.errno.EAGAIN})`;
  },

  "getpeername-enotconn"(posix, fds) {
    const fd = fds.socket();
    const out = posix.getpeername(fd);
    expect(
      out.errno === "ENOTCONN",
      `getpeername() on an unconnected socket gave ${
        shown(out)
      }, not -1/ENOTCONN (${posix.table.errno.ENOTCONN} in the table)`,
    );
    return `getpeername(): -1/ENOTCONN (${posix.table.errno.ENOTCONN})`;
  },

  "connect-econnrefused"(posix, fds, deadline) {
    const c = posix.table.constants;
    // A port bound but not listening: nobody else can take it meanwhile.
    const closed = fds.socket();
    unwrap(posix, "bind", posix.bind(closed, LOOPBACK));
    const name = posix.getsockname(closed);
    unwrap(posix, "getsockname", name);
    const fd = fds.socket();
    const out = posix.connect(fd, name.value!);
    const number = posix.table.errno.ECONNREFUSED;
    if (out.errno === "ECONNREFUSED") {
      return `connect() to a closed port: -1/ECONNREFUSED (${number}) at once`;
    }
    expect(
      out.errno === "EINPROGRESS",
      `connect() to a closed port gave ${
        shown(out)
      }, not -1/EINPROGRESS or -1/ECONNREFUSED`,
    );
    waitFor(posix, fd, c.POLLOUT, "connect to a closed port", deadline);
    const soError = posix.soError(fd);
    expect(
      soError.value === "ECONNREFUSED",
      `SO_ERROR after connect() to a closed port is ${
        soError.ret < 0 ? shown(soError) : soError.value ?? "0"
      }, not ECONNREFUSED (${number} in the table)`,
    );
    return `connect() to a closed port: -1/EINPROGRESS, then SO_ERROR ECONNREFUSED (${number})`;
  },

  "so-linger"(posix, fds) {
    const fd = fds.socket();
    const roundTrip = (linger: Linger): Linger => {
      unwrap(posix, "setsockopt(SO_LINGER)", posix.setLinger(fd, linger));
      const got = posix.getLinger(fd);
      unwrap(posix, "getsockopt(SO_LINGER)", got);
      return got.value!;
    };
    const on = roundTrip({ onoff: 1, seconds: 7 });
    expect(
      on.onoff !== 0 && on.seconds === 7,
      `SO_LINGER {1,7} read back as {${on.onoff},${on.seconds}}`,
    );
    const off = roundTrip({ onoff: 0, seconds: 0 });
    expect(
      off.onoff === 0,
      `SO_LINGER {0,0} read back with l_onoff ${off.onoff}`,
    );
    return `SO_LINGER {1,7} read back as {${on.onoff},7} seconds; ` +
      `{0,0} as l_onoff 0`;
  },

  "tcp-state"(posix, fds, deadline) {
    const option = posix.table.constants.TCP_STATE_OPTION;
    if (option === null) {
      return "not checked: this OS has no option giving the TCP state, so no result records one";
    }
    const { listener, client, server } = connected(posix, fds, deadline);
    const state = (fd: number, expected: TcpStateName, who: string) => {
      const out = posix.tcpState(fd);
      expect(
        out.value === expected,
        `${option.name} says ${who} is ${
          out.value ?? shown(out)
        }, not ${expected}`,
      );
    };
    state(listener.fd, "LISTEN", "the listener");
    state(client, "ESTABLISHED", "the client");
    state(server, "ESTABLISHED", "the server");
    unwrap(posix, "shutdown", posix.shutdown(client, "wr"));
    waitReadable(posix, server, "the peer's FIN", deadline);
    state(server, "CLOSE_WAIT", "the server after the peer's FIN");
    return `${option.name}: LISTEN, ESTABLISHED on both ends, CLOSE_WAIT after the peer's FIN`;
  },

  "poll-after-fin"(posix, fds, deadline) {
    const c = posix.table.constants;
    const { client, server } = connected(posix, fds, deadline);
    unwrap(posix, "shutdown", posix.shutdown(client, "wr"));
    const revents = waitFor(
      posix,
      server,
      readEvents(posix.table),
      "the peer's FIN",
      deadline,
    );
    const names = pollNames(posix.table, revents) || hex(revents);
    expect(
      (revents & c.POLLIN) !== 0 && (revents & (c.POLLERR | c.POLLNVAL)) === 0,
      `poll() after the peer's FIN gave ${names} (${
        hex(revents)
      }): not POLLIN without POLLERR or POLLNVAL`,
    );
    const eof = posix.recv(server, 1);
    expect(
      eof.ret === 0,
      `recv() after the peer's FIN gave ${shown(eof)}, not 0`,
    );
    return `poll() after the peer's FIN: ${names}; recv(): 0`;
  },
};
