/**
 * Thin wrappers over the libc socket calls. Each returns data, never throws,
 * for a failure an experiment may expect: `{ ret: -1, errno: "ENOTCONN" }`.
 * A closed or bogus fd is just EBADF. Set-up code passes a result through
 * {@linkcode unwrap}, the one place that turns a failure into an exception
 * naming the syscall and errno.
 *
 * errno is read right after each synchronous call, before anything else can
 * touch it. Every send carries MSG_NOSIGNAL (or the socket SO_NOSIGPIPE) and
 * every recv/send MSG_DONTWAIT, so no call blocks on the network.
 *
 * @module
 */

import { type Errno, errnoName } from "./errno.ts";
import { type Libc, openLibc } from "./libc.ts";
import {
  decodeLinger,
  encodeLinger,
  type Linger,
  LINGER_SIZE,
} from "./linger.ts";
import type { PlatformTable, TcpStateName } from "./tables/platform.ts";
import { decodePollFds, encodePollFds } from "./pollfd.ts";
import {
  decodeSockaddr,
  encodeSockaddr,
  SOCKADDR_STORAGE_SIZE,
  type SocketAddress,
} from "./sockaddr.ts";
import { decodeTcpState, TCP_INFO_BUFFER_SIZE } from "./tcp_state.ts";
import { hostTable } from "./tables/mod.ts";

/** What a call returned: `ret` as libc gave it, `errno` by name on failure. */
export interface Outcome {
  readonly ret: number;
  readonly errno: Errno | null;
}

/** An outcome that carries a decoded value on success. */
export interface ValueOutcome<T> extends Outcome {
  readonly value: T | null;
}

/** `shutdown()`'s `how`, by its escoteria parameter value. */
export type ShutdownHow = "rd" | "wr" | "rdwr";

/** Thrown by {@linkcode unwrap} when a set-up call fails. */
export class SyscallError extends Error {
  constructor(
    readonly syscall: string,
    readonly errno: Errno,
    detail: string,
  ) {
    super(`${syscall}() failed: ${errno} (${detail})`);
    this.name = "SyscallError";
  }
}

/** The socket API of one OS, over its libc. */
export class Posix {
  readonly #libc: Libc;
  readonly #errnoView: () => number;

  constructor(readonly table: PlatformTable, libc: Libc = openLibc(table)) {
    this.#libc = libc;
    this.#errnoView = () => {
      const ptr = libc.errno_location();
      return ptr === null ? 0 : new Deno.UnsafePointerView(ptr).getInt32();
    };
  }

  #outcome(ret: number | bigint): Outcome {
    const n = Number(ret);
    // Read errno before anything else runs on this thread.
    return {
      ret: n,
      errno: n < 0 ? errnoName(this.table, this.#errnoView()) : null,
    };
  }

  /** `strerror(3)` text for an errno name. */
  strerror(errno: string): string {
    const number = (this.table.errno as Record<string, number>)[errno];
    if (number === undefined) return "unknown error";
    const ptr = this.#libc.strerror(number);
    return ptr === null
      ? "unknown error"
      : Deno.UnsafePointerView.getCString(ptr);
  }

  /** The C library's own version string, where it offers one (glibc). */
  libcVersion(): string | null {
    const fn = this.#libc.gnu_get_libc_version;
    const ptr = fn === null ? null : fn();
    return ptr === null
      ? null
      : `glibc ${Deno.UnsafePointerView.getCString(ptr)}`;
  }

  /** A non-blocking TCP socket: `socket(AF_*, SOCK_STREAM|SOCK_NONBLOCK, 0)`. */
  socket(family: SocketAddress["family"]): Outcome {
    const c = this.table.constants;
    const domain = family === "inet6" ? c.AF_INET6 : c.AF_INET;
    const flags = (c.SOCK_NONBLOCK ?? 0) | (c.SOCK_CLOEXEC ?? 0);
    const out = this.#outcome(
      this.#libc.socket(domain, c.SOCK_STREAM | flags, 0),
    );
    if (out.ret < 0) return out;
    const fixups = [
      c.SOCK_NONBLOCK === null ? this.setNonblocking(out.ret) : null,
      c.SO_NOSIGPIPE === null
        ? null
        : this.setIntOption(out.ret, c.SOL_SOCKET, c.SO_NOSIGPIPE, 1),
    ];
    const failed = fixups.find((f) => f !== null && f.ret < 0);
    if (failed) {
      this.close(out.ret);
      return failed;
    }
    return out;
  }

  /** `fcntl(fd, F_GETFL)`: the file status flags; EBADF for a closed fd. */
  fileStatusFlags(fd: number): Outcome {
    return this.#outcome(this.#libc.fcntl(fd, this.table.constants.F_GETFL, 0));
  }

  /** Sets O_NONBLOCK through fcntl (for OSes without SOCK_NONBLOCK). */
  setNonblocking(fd: number): Outcome {
    const c = this.table.constants;
    const flags = this.fileStatusFlags(fd);
    if (flags.ret < 0) return flags;
    return this.#outcome(
      this.#libc.fcntl(fd, c.F_SETFL, flags.ret | c.O_NONBLOCK),
    );
  }

  bind(fd: number, addr: SocketAddress): Outcome {
    const sa = encodeSockaddr(this.table, addr);
    return this.#outcome(this.#libc.bind(fd, sa, sa.byteLength));
  }

  listen(fd: number, backlog: number): Outcome {
    return this.#outcome(this.#libc.listen(fd, backlog));
  }

  /** Accepts one connection as a non-blocking socket. */
  accept(fd: number): Outcome {
    const c = this.table.constants;
    const sa = new Uint8Array(SOCKADDR_STORAGE_SIZE);
    const len = socklen(sa.byteLength);
    if (this.#libc.accept4 !== null && c.SOCK_NONBLOCK !== null) {
      const flags = c.SOCK_NONBLOCK | (c.SOCK_CLOEXEC ?? 0);
      return this.#outcome(this.#libc.accept4(fd, sa, len, flags));
    }
    // BSD accept() inherits O_NONBLOCK from the listener; set it anyway.
    const out = this.#outcome(this.#libc.accept(fd, sa, len));
    if (out.ret >= 0) this.setNonblocking(out.ret);
    return out;
  }

  connect(fd: number, addr: SocketAddress): Outcome {
    const sa = encodeSockaddr(this.table, addr);
    return this.#outcome(this.#libc.connect(fd, sa, sa.byteLength));
  }

  setIntOption(
    fd: number,
    level: number,
    name: number,
    value: number,
  ): Outcome {
    const buf = new Uint8Array(4);
    new DataView(buf.buffer).setInt32(0, value, true);
    return this.setRawOption(fd, level, name, buf);
  }

  getIntOption(fd: number, level: number, name: number): ValueOutcome<number> {
    const buf = new Uint8Array(4);
    const out = this.getRawOption(fd, level, name, buf);
    return {
      ...out,
      value: out.ret < 0 ? null : new DataView(buf.buffer).getInt32(0, true),
    };
  }

  /** `setsockopt()` with an already-encoded option value. */
  setRawOption(
    fd: number,
    level: number,
    name: number,
    value: Uint8Array<ArrayBuffer>,
  ): Outcome {
    return this.#outcome(
      this.#libc.setsockopt(fd, level, name, value, value.byteLength),
    );
  }

  /** `getsockopt()` into `value`; `ret` is 0 and `value` is filled on success. */
  getRawOption(
    fd: number,
    level: number,
    name: number,
    value: Uint8Array<ArrayBuffer>,
  ): Outcome {
    return this.#outcome(
      this.#libc.getsockopt(fd, level, name, value, socklen(value.byteLength)),
    );
  }

  /**
   * `if_nametoindex(name)`: the interface's index, or `null` where the
   * interface does not exist or libc lacks the call.
   */
  ifNameToIndex(name: string): number | null {
    const fn = this.#libc.if_nametoindex;
    if (fn === null) return null;
    const index = fn(new TextEncoder().encode(`${name}\0`));
    return index === 0 ? null : index;
  }

  /** `getsockopt(SOL_SOCKET, SO_LINGER)` (SO_LINGER_SEC on macOS). */
  getLinger(fd: number): ValueOutcome<Linger> {
    const c = this.table.constants;
    const buf = new Uint8Array(LINGER_SIZE);
    const out = this.getRawOption(fd, c.SOL_SOCKET, c.SO_LINGER, buf);
    return { ...out, value: out.ret < 0 ? null : decodeLinger(buf) };
  }

  /** `setsockopt(SOL_SOCKET, SO_LINGER, { l_onoff, l_linger })`. */
  setLinger(fd: number, linger: Linger): Outcome {
    const c = this.table.constants;
    const buf = encodeLinger(linger);
    return this.setRawOption(fd, c.SOL_SOCKET, c.SO_LINGER, buf);
  }

  /** `getsockopt(SOL_SOCKET, SO_ERROR)` as an errno name, `null` for none. */
  soError(fd: number): ValueOutcome<Errno | null> {
    const c = this.table.constants;
    const out = this.getIntOption(fd, c.SOL_SOCKET, c.SO_ERROR);
    if (out.value === null) return { ...out, value: null };
    return {
      ...out,
      value: out.value === 0 ? null : errnoName(this.table, out.value),
    };
  }

  /** The kernel's TCP state for `fd` (TCP_INFO or TCP_CONNECTION_INFO). */
  tcpState(fd: number): ValueOutcome<TcpStateName> {
    const option = this.table.constants.TCP_STATE_OPTION;
    if (option === null) return { ret: -1, errno: "ENOPROTOOPT", value: null };
    const buf = new Uint8Array(TCP_INFO_BUFFER_SIZE);
    const out = this.getRawOption(
      fd,
      this.table.constants.IPPROTO_TCP,
      option.value,
      buf,
    );
    return {
      ...out,
      value: out.ret < 0 ? null : decodeTcpState(this.table, buf[0]!),
    };
  }

  getpeername(fd: number): ValueOutcome<SocketAddress> {
    return this.#name(fd, "getpeername");
  }

  getsockname(fd: number): ValueOutcome<SocketAddress> {
    return this.#name(fd, "getsockname");
  }

  #name(
    fd: number,
    call: "getpeername" | "getsockname",
  ): ValueOutcome<SocketAddress> {
    const sa = new Uint8Array(SOCKADDR_STORAGE_SIZE);
    const out = this.#outcome(this.#libc[call](fd, sa, socklen(sa.byteLength)));
    return {
      ...out,
      value: out.ret < 0 ? null : decodeSockaddr(this.table, sa),
    };
  }

  /** `send(fd, data, MSG_DONTWAIT|MSG_NOSIGNAL)`. */
  send(fd: number, data: Uint8Array<ArrayBuffer>): Outcome {
    const c = this.table.constants;
    const flags = c.MSG_DONTWAIT | (c.MSG_NOSIGNAL ?? 0);
    return this.#outcome(
      this.#libc.send(fd, data, BigInt(data.byteLength), flags),
    );
  }

  /** `recv(fd, size, MSG_DONTWAIT | extra)`; `value` holds the bytes read. */
  recv(fd: number, size: number, extraFlags = 0): ValueOutcome<Uint8Array> {
    const buf = new Uint8Array(Math.max(size, 1));
    const flags = this.table.constants.MSG_DONTWAIT | extraFlags;
    const out = this.#outcome(this.#libc.recv(fd, buf, BigInt(size), flags));
    return { ...out, value: out.ret < 0 ? null : buf.subarray(0, out.ret) };
  }

  shutdown(fd: number, how: ShutdownHow): Outcome {
    const c = this.table.constants;
    const value = { rd: c.SHUT_RD, wr: c.SHUT_WR, rdwr: c.SHUT_RDWR }[how];
    return this.#outcome(this.#libc.shutdown(fd, value));
  }

  close(fd: number): Outcome {
    return this.#outcome(this.#libc.close(fd));
  }

  /**
   * `poll()` over `fds` for up to `timeoutMs`; `value` holds each revents.
   * EINTR is returned as data like any other failure.
   */
  poll(
    fds: readonly { fd: number; events: number }[],
    timeoutMs: number,
  ): ValueOutcome<number[]> {
    const buf = encodePollFds(fds);
    const out = this.#outcome(
      this.#libc.poll(
        buf,
        this.table.nfdsType === "u64" ? BigInt(fds.length) : fds.length,
        Math.max(0, Math.ceil(timeoutMs)),
      ),
    );
    return {
      ...out,
      value: out.ret < 0 ? null : decodePollFds(buf).map((p) => p.revents),
    };
  }

  /** The raw receive call for captures (`recvfrom` with a source address). */
  recvfrom(
    fd: number,
    buf: Uint8Array<ArrayBuffer>,
    from: Uint8Array<ArrayBuffer>,
  ): Outcome {
    const flags = this.table.constants.MSG_DONTWAIT;
    return this.#outcome(
      this.#libc.recvfrom(
        fd,
        buf,
        BigInt(buf.byteLength),
        flags,
        from,
        socklen(from.byteLength),
      ),
    );
  }

  /** The raw `socket()` call, for families other than TCP/IP (captures). */
  rawSocket(domain: number, type: number, protocol: number): Outcome {
    return this.#outcome(this.#libc.socket(domain, type, protocol));
  }

  /** The raw `bind()` call with an already-encoded address. */
  rawBind(fd: number, addr: Uint8Array<ArrayBuffer>): Outcome {
    return this.#outcome(this.#libc.bind(fd, addr, addr.byteLength));
  }
}

/**
 * Returns `out.ret`, or throws a {@linkcode SyscallError} naming the syscall
 * and errno when the call failed.
 */
export function unwrap(posix: Posix, syscall: string, out: Outcome): number {
  if (out.ret >= 0 || out.errno === null) return out.ret;
  throw new SyscallError(syscall, out.errno, posix.strerror(out.errno));
}

function socklen(size: number): Uint8Array<ArrayBuffer> {
  const buf = new Uint8Array(4);
  new DataView(buf.buffer).setUint32(0, size, true);
  return buf;
}

let host: Posix | undefined;

/** The socket API of the OS this process runs on, loaded once. */
export function hostPosix(): Posix {
  host ??= new Posix(hostTable());
  return host;
}
