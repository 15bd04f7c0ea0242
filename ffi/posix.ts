/**
 * Thin wrappers over the libc socket calls, plus the few file and system
 * calls that describe the machine (`readTextFile`, `uname`, `sysctlByName`).
 * Each returns data, never throws, for a failure an experiment may expect:
 * `{ ret: -1, errno: "ENOTCONN" }`. A closed or bogus fd is just EBADF.
 * Set-up code passes a result through {@linkcode unwrap}, the one place that
 * turns a failure into an exception naming the syscall and errno.
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
import { encodeTimeval } from "./timeval.ts";
import { type VariadicAbi, variadicAbi } from "./variadic.ts";
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

/**
 * What {@linkcode Posix.readTextFile} gives: the text, or the errno of the
 * call that failed and which call it was.
 */
export interface ReadOutcome extends ValueOutcome<string> {
  /** The call that failed, `null` when none did. */
  readonly call: "open" | "read" | null;
  /**
   * The file held more than the size cap: `value` is its first `maxBytes`
   * bytes only. `false` whenever `value` is `null`.
   */
  readonly truncated: boolean;
}

/** The five fields of `struct utsname` every OS has, as `uname(1)` prints them. */
export interface Utsname {
  readonly sysname: string;
  readonly nodename: string;
  readonly release: string;
  readonly version: string;
  readonly machine: string;
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

/** Something told of every fd a {@linkcode Posix} opens and closes. */
export interface FdTracker {
  opened(fd: number): void;
  /**
   * Told before `fd` is closed; `false` means someone else has taken the
   * fd over and closes it (then {@linkcode Posix.close} must not).
   */
  closed(fd: number): boolean | void;
}

/** The socket API of one OS, over its libc. */
export class Posix {
  readonly #libc: Libc;
  readonly #errnoView: () => number;
  #tracker: FdTracker | null = null;
  /**
   * `table`'s OS over `libc`; `variadic` says where `fcntl`'s variadic
   * argument goes, this process's ABI unless a test says otherwise.
   */
  constructor(
    readonly table: PlatformTable,
    libc: Libc = openLibc(table),
    readonly variadic: VariadicAbi = variadicAbi(table.os, Deno.build.arch),
  ) {
    this.#libc = libc;
    this.#errnoView = () => {
      const ptr = libc.errno_location();
      return ptr === null ? 0 : new Deno.UnsafePointerView(ptr).getInt32();
    };
  }

  /**
   * Tells `tracker` of every fd this Posix opens (`socket`, `accept`,
   * `rawSocket`, `readTextFile`'s `open`) and of every fd it closes, just
   * before it closes it: a trial worker keeps a ledger the main thread
   * can read if the worker has to be stopped.
   */
  trackFds(tracker: FdTracker | null): void {
    this.#tracker = tracker;
  }

  /**
   * The outcome of a libc call made through another binding (the Linux-only
   * calls in `ffi/linux/`): errno is read now, so call this right after.
   * Where the call opened an fd, `opened` tells the fd tracker of it.
   */
  outcomeOf(ret: number | bigint, opened = false): Outcome {
    const out = this.#outcome(ret);
    return opened ? this.#opened(out) : out;
  }

  #opened(out: Outcome): Outcome {
    if (out.ret >= 0) this.#tracker?.opened(out.ret);
    return out;
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
    const out = this.#opened(this.#outcome(
      this.#libc.socket(domain, c.SOCK_STREAM | flags, 0),
    ));
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
    return this.#fcntl(fd, this.table.constants.F_GETFL, 0);
  }

  /**
   * Sets (or with `on` false clears) O_NONBLOCK with `fcntl(F_SETFL)`: how
   * sockets become non-blocking where `socket()` has no SOCK_NONBLOCK.
   */
  setNonblocking(fd: number, on = true): Outcome {
    const c = this.table.constants;
    const flags = this.fileStatusFlags(fd);
    if (flags.ret < 0) return flags;
    const next = on ? flags.ret | c.O_NONBLOCK : flags.ret & ~c.O_NONBLOCK;
    return this.#fcntl(fd, c.F_SETFL, next);
  }

  /** `fcntl(fd, cmd, arg)` through the binding this ABI needs (variadic.ts). */
  #fcntl(fd: number, cmd: number, arg: number): Outcome {
    if (this.variadic === "registers") {
      return this.#outcome(this.#libc.fcntl(fd, cmd, arg));
    }
    return this.#outcome(
      this.#libc.fcntl_stack(fd, cmd, 0n, 0n, 0n, 0n, 0n, 0n, BigInt(arg)),
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
      return this.#opened(
        this.#outcome(this.#libc.accept4(fd, sa, len, flags)),
      );
    }
    // BSD accept() inherits O_NONBLOCK from the listener; set it anyway.
    const out = this.#opened(this.#outcome(this.#libc.accept(fd, sa, len)));
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

  /** `setsockopt(SOL_SOCKET, SO_RCVTIMEO, { ms })`: bounds a blocking recv. */
  setReceiveTimeout(fd: number, ms: number): Outcome {
    const c = this.table.constants;
    return this.setRawOption(
      fd,
      c.SOL_SOCKET,
      c.SO_RCVTIMEO,
      encodeTimeval(ms),
    );
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
    const out = this.rawName(fd, call);
    return {
      ret: out.ret,
      errno: out.errno,
      value: out.value === null ? null : decodeSockaddr(this.table, out.value),
    };
  }

  /**
   * `getsockname()`/`getpeername()` undecoded: `value` holds the bytes the
   * kernel filled in, as many as the length it returned.
   */
  rawName(
    fd: number,
    call: "getpeername" | "getsockname",
  ): ValueOutcome<Uint8Array> {
    const sa = new Uint8Array(SOCKADDR_STORAGE_SIZE);
    const len = socklen(sa.byteLength);
    const out = this.#outcome(this.#libc[call](fd, sa, len));
    if (out.ret < 0) return { ...out, value: null };
    const got = new DataView(len.buffer).getUint32(0, true);
    return { ...out, value: sa.subarray(0, Math.min(got, sa.byteLength)) };
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

  /**
   * `recv(fd, size, flags)` with exactly `flags`: no MSG_DONTWAIT added, so
   * on a blocking socket it waits (the self-check bounds that wait with
   * SO_RCVTIMEO). Experiments use {@linkcode Posix.recv}.
   */
  rawRecv(fd: number, size: number, flags: number): ValueOutcome<Uint8Array> {
    const buf = new Uint8Array(Math.max(size, 1));
    const out = this.#outcome(this.#libc.recv(fd, buf, BigInt(size), flags));
    return { ...out, value: out.ret < 0 ? null : buf.subarray(0, out.ret) };
  }

  shutdown(fd: number, how: ShutdownHow): Outcome {
    const c = this.table.constants;
    const value = { rd: c.SHUT_RD, wr: c.SHUT_WR, rdwr: c.SHUT_RDWR }[how];
    return this.#outcome(this.#libc.shutdown(fd, value));
  }

  /**
   * `close(fd)`; where the fd tracker says another thread has taken `fd`
   * over (a stopped worker's cleanup), it is left to that thread and the
   * outcome is EBADF, as for an fd already closed.
   */
  close(fd: number): Outcome {
    if (this.#tracker?.closed(fd) === false) return { ret: -1, errno: "EBADF" };
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

  /**
   * Reads a whole file through libc: `open(path, O_RDONLY|O_CLOEXEC)`, then
   * `read()` until EOF or until more than `maxBytes` arrived, then `close()`
   * on every path (a failing close of a read-only fd is ignored: the bytes
   * are already read). For files Deno's own API refuses, as `/proc/sys`
   * without `--allow-all`. A failure is data: `ENOENT`, `EACCES`, ….
   * EINTR is retried a few times.
   *
   * @throws {TypeError} when `path` holds a NUL byte (C would cut it there).
   */
  readTextFile(path: string, maxBytes = 64 * 1024): ReadOutcome {
    if (path.includes("\0")) {
      throw new TypeError(`readTextFile: path holds a NUL byte: ${path}`);
    }
    const c = this.table.constants;
    const name = cString(path);
    const opened = this.#opened(
      this.#retryEintr(() =>
        this.#outcome(this.#libc.open(name, c.O_RDONLY | c.O_CLOEXEC))
      ),
    );
    if (opened.ret < 0) {
      return { ...opened, value: null, call: "open", truncated: false };
    }
    const fd = opened.ret;
    try {
      const chunks: Uint8Array[] = [];
      let total = 0;
      const chunk = new Uint8Array(READ_CHUNK);
      while (total <= maxBytes) {
        const got = this.#retryEintr(() =>
          this.#outcome(this.#libc.read(fd, chunk, BigInt(chunk.byteLength)))
        );
        if (got.ret < 0) {
          return { ...got, value: null, call: "read", truncated: false };
        }
        if (got.ret === 0) break;
        chunks.push(chunk.slice(0, got.ret));
        total += got.ret;
      }
      const bytes = new Uint8Array(total);
      let at = 0;
      for (const part of chunks) {
        bytes.set(part, at);
        at += part.byteLength;
      }
      const truncated = total > maxBytes;
      return {
        ret: Math.min(total, maxBytes),
        errno: null,
        value: new TextDecoder().decode(bytes.subarray(0, maxBytes)),
        call: null,
        truncated,
      };
    } finally {
      this.close(fd);
    }
  }

  /**
   * `uname(2)` (FreeBSD: `__xuname(SYS_NMLN, buf)`), decoded with the OS
   * table's `struct utsname` layout.
   *
   * @throws {Error} on FreeBSD when libc lacks `__xuname` (a broken libc).
   */
  uname(): ValueOutcome<Utsname> {
    const { fieldSize, fieldCount, call } = this.table.utsname;
    const buf = new Uint8Array(fieldSize * fieldCount);
    let out: Outcome;
    if (call === "__xuname") {
      const fn = this.#libc.__xuname;
      if (fn === null) throw new Error("libc has no __xuname()");
      out = this.#outcome(fn(fieldSize, buf));
    } else {
      out = this.#outcome(this.#libc.uname(buf));
    }
    if (out.ret < 0) return { ...out, value: null };
    const field = (i: number) => {
      const slot = buf.subarray(i * fieldSize, (i + 1) * fieldSize);
      const end = slot.indexOf(0);
      return new TextDecoder().decode(end < 0 ? slot : slot.subarray(0, end));
    };
    return {
      ...out,
      value: {
        sysname: field(0),
        nodename: field(1),
        release: field(2),
        version: field(3),
        machine: field(4),
      },
    };
  }

  /** The kernel release from `uname(2)` (`uname -r`), independent of Deno. */
  kernelRelease(): ValueOutcome<string> {
    const out = this.uname();
    return {
      ret: out.ret,
      errno: out.errno,
      value: out.value?.release ?? null,
    };
  }

  /**
   * `sysctlbyname(name)` into a buffer of `maxBytes`: `value` holds the bytes
   * the kernel wrote (an `int` gives 4). `null` where libc has no
   * sysctlbyname (Linux, OpenBSD). A value larger than `maxBytes` fails
   * ENOMEM; an unknown name fails ENOENT.
   */
  sysctlByName(name: string, maxBytes = 64): ValueOutcome<Uint8Array> | null {
    const fn = this.#libc.sysctlbyname;
    if (fn === null) return null;
    const buf = new Uint8Array(maxBytes);
    const len = new Uint8Array(8); // size_t: 8 bytes on every 64-bit target
    new DataView(len.buffer).setBigUint64(0, BigInt(maxBytes), true);
    const out = this.#outcome(fn(cString(name), buf, len, null, 0n));
    if (out.ret < 0) return { ...out, value: null };
    const got = Number(new DataView(len.buffer).getBigUint64(0, true));
    return { ...out, value: buf.slice(0, Math.min(got, maxBytes)) };
  }

  #retryEintr<T extends Outcome>(call: () => T): T {
    let out = call();
    for (let i = 1; i < EINTR_RETRIES && out.errno === "EINTR"; i++) {
      out = call();
    }
    return out;
  }

  /** The raw `socket()` call, for families other than TCP/IP (captures). */
  rawSocket(domain: number, type: number, protocol: number): Outcome {
    return this.#opened(
      this.#outcome(this.#libc.socket(domain, type, protocol)),
    );
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

/** Bytes asked of each `read()`; `/proc/sys` entries fit in one. */
const READ_CHUNK = 4096;
/** Attempts of a call that keeps failing EINTR before that is the answer. */
const EINTR_RETRIES = 8;

export function cString(text: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(`${text}\0`);
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
