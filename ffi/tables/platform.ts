/**
 * The interface every per-OS libc table implements: library name, errno
 * accessor, socket and file constants, errno numbers, struct layout switches
 * (sockaddr, `struct utsname`) and the TCP state numbering. One table per OS
 * lives beside this file (`linux.ts`, `darwin.ts`, `freebsd.ts`,
 * `openbsd.ts`); {@linkcode TABLES} is keyed by every supported OS so the
 * compiler rejects a missing one, and `Record<ErrnoName, number>` rejects a
 * table that forgets an errno.
 *
 * @module
 */

/** Operating systems escoteria has a libc table for. */
export const OSES = ["linux", "darwin", "freebsd", "openbsd"] as const;
/** One of {@linkcode OSES}. */
export type Os = typeof OSES[number];

/** A table keyed by every supported OS: a missing key is a compile error. */
export type OsRecord<T> = { readonly [os in Os]: T };

/**
 * The errno names the experiments can meet. Each OS table maps every one of
 * them to that OS's number.
 */
export const ERRNO_NAMES = [
  "EPERM",
  "ENOENT",
  "ESRCH",
  "EINTR",
  "EIO",
  "EBADF",
  "EAGAIN",
  "ENOMEM",
  "EACCES",
  "EFAULT",
  "EBUSY",
  "EEXIST",
  "ENODEV",
  "ENOTDIR",
  "EINVAL",
  "ENFILE",
  "EMFILE",
  "EROFS",
  "EPIPE",
  "ENAMETOOLONG",
  "ELOOP",
  "ENOTSOCK",
  "EDESTADDRREQ",
  "EMSGSIZE",
  "EPROTOTYPE",
  "ENOPROTOOPT",
  "EPROTONOSUPPORT",
  "ESOCKTNOSUPPORT",
  "EOPNOTSUPP",
  "EPFNOSUPPORT",
  "EAFNOSUPPORT",
  "EADDRINUSE",
  "EADDRNOTAVAIL",
  "ENETDOWN",
  "ENETUNREACH",
  "ENETRESET",
  "ECONNABORTED",
  "ECONNRESET",
  "ENOBUFS",
  "EISCONN",
  "ENOTCONN",
  "ESHUTDOWN",
  "ETOOMANYREFS",
  "ETIMEDOUT",
  "ECONNREFUSED",
  "EHOSTDOWN",
  "EHOSTUNREACH",
  "EALREADY",
  "EINPROGRESS",
] as const;
/** One of {@linkcode ERRNO_NAMES}. */
export type ErrnoName = typeof ERRNO_NAMES[number];

/**
 * TCP states under one vocabulary for every OS (RFC 793 names, spelt as
 * Linux's `ss` and BSD's `netstat` both recognise them).
 */
export const TCP_STATE_NAMES = [
  "CLOSED",
  "LISTEN",
  "SYN_SENT",
  "SYN_RECEIVED",
  "ESTABLISHED",
  "CLOSE_WAIT",
  "FIN_WAIT1",
  "CLOSING",
  "LAST_ACK",
  "FIN_WAIT2",
  "TIME_WAIT",
] as const;
/** One of {@linkcode TCP_STATE_NAMES}. */
export type TcpStateName = typeof TCP_STATE_NAMES[number];

/** Socket-level constants, `null` where the OS lacks the feature. */
export interface SocketConstants {
  readonly AF_INET: number;
  readonly AF_INET6: number;
  readonly SOCK_STREAM: number;
  /** Flag for `socket()`/`accept4()`; `null` where only fcntl works. */
  readonly SOCK_NONBLOCK: number | null;
  readonly SOCK_CLOEXEC: number | null;
  readonly SOL_SOCKET: number;
  readonly SO_REUSEADDR: number;
  readonly SO_KEEPALIVE: number;
  /** The SO_LINGER that counts seconds (macOS: SO_LINGER_SEC). */
  readonly SO_LINGER: number;
  readonly SO_ERROR: number;
  readonly SO_RCVBUF: number;
  readonly SO_SNDBUF: number;
  /**
   * Receive timeout, a `struct timeval` (see `timeval.ts`). Only the
   * self-check uses it, to bound a `recv()` that should not block.
   */
  readonly SO_RCVTIMEO: number;
  readonly SO_NOSIGPIPE: number | null;
  readonly IPPROTO_TCP: number;
  readonly TCP_NODELAY: number;
  /** Keepalive idle seconds (`TCP_KEEPALIVE` on macOS); null: sysctl only. */
  readonly TCP_KEEPIDLE: number | null;
  /** Seconds between keepalive probes; null: sysctl only. */
  readonly TCP_KEEPINTVL: number | null;
  /** Unanswered probes before the connection is dropped; null: sysctl only. */
  readonly TCP_KEEPCNT: number | null;
  /** Milliseconds data may stay unacknowledged (Linux only). */
  readonly TCP_USER_TIMEOUT: number | null;
  /** Option that fills a struct whose first byte is the TCP state. */
  readonly TCP_STATE_OPTION: {
    readonly name: "TCP_INFO" | "TCP_CONNECTION_INFO";
    readonly value: number;
  } | null;
  readonly SHUT_RD: number;
  readonly SHUT_WR: number;
  readonly SHUT_RDWR: number;
  readonly MSG_PEEK: number;
  readonly MSG_DONTWAIT: number;
  readonly MSG_NOSIGNAL: number | null;
  readonly POLLIN: number;
  readonly POLLPRI: number;
  readonly POLLOUT: number;
  readonly POLLERR: number;
  readonly POLLHUP: number;
  readonly POLLNVAL: number;
  readonly POLLRDHUP: number | null;
  readonly O_NONBLOCK: number;
  readonly F_GETFL: number;
  readonly F_SETFL: number;
  /** `open(2)` access mode for reading (0 everywhere). */
  readonly O_RDONLY: number;
  /** `open(2)` flag: close the fd in a child after exec. */
  readonly O_CLOEXEC: number;
}

/**
 * `struct utsname`: `fieldCount` NUL-terminated char arrays of `fieldSize`
 * bytes each, in the order sysname, nodename, release, version, machine
 * (Linux adds domainname).
 */
export interface UtsnameLayout {
  readonly fieldSize: number;
  readonly fieldCount: number;
  /**
   * The libc entry that fills it: `uname`, or FreeBSD's
   * `__xuname(fieldSize, buf)`, which its header's inline `uname()` calls.
   */
  readonly call: "uname" | "__xuname";
}

/** Everything the FFI layer needs to know about one OS's libc. */
export interface PlatformTable {
  readonly os: Os;
  /** Name passed to `Deno.dlopen`. */
  readonly library: string;
  /** Function returning `int *` to the calling thread's errno. */
  readonly errnoSymbol: "__errno_location" | "__error" | "__errno";
  /** `nfds_t`: `unsigned long` on Linux, `unsigned int` on the BSDs. */
  readonly nfdsType: "u64" | "u32";
  /** BSD sockaddrs start with a `u8` length and a `u8` family. */
  readonly sockaddrHasLen: boolean;
  readonly constants: SocketConstants;
  readonly errno: Readonly<Record<ErrnoName, number>>;
  /** The OS's TCP state numbers, indexed by the state byte (`null`: unused). */
  readonly tcpStates: readonly (TcpStateName | null)[];
  readonly utsname: UtsnameLayout;
}
