/**
 * What macOS, FreeBSD and OpenBSD inherit unchanged from 4.4BSD: errno
 * numbers, socket-level option numbers, poll bits and the TCP state
 * numbering. Each OS table spreads these and overrides where it differs.
 *
 * Sources, each value checked in all three: apple-oss-distributions/xnu
 * `bsd/sys/{errno,socket,poll,fcntl}.h`, `bsd/netinet/tcp_fsm.h`;
 * freebsd-src `sys/sys/{errno,socket,poll,fcntl}.h`, `sys/netinet/tcp_fsm.h`;
 * openbsd/src `sys/sys/errno.h` (rev 1.25), `sys/sys/socket.h` (rev 1.108),
 * `sys/sys/poll.h` (rev 1.16), `sys/sys/fcntl.h`, `sys/netinet/tcp_fsm.h`.
 * IPPROTO_TCP comes from each system's `netinet/in.h`, TCP_NODELAY (1) from
 * its `netinet/tcp.h`. Layouts: `struct linger` is two ints and
 * `struct pollfd` is `{int fd; short events; short revents}` in all three;
 * `sockaddr_in`/`sockaddr_in6` start with a `u8` length and a `u8`
 * family (xnu `bsd/netinet/in.h`, freebsd-src `sys/netinet6/in6.h`).
 *
 * @module
 */

import type { ErrnoName, TcpStateName } from "./platform.ts";

/** errno numbers shared by the three BSD-derived systems. */
export const BSD_ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EIO: 5,
  EBADF: 9,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  ENOTDIR: 20,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  EROFS: 30,
  EPIPE: 32,
  EAGAIN: 35, // EWOULDBLOCK
  EINPROGRESS: 36,
  EALREADY: 37,
  ENOTSOCK: 38,
  EDESTADDRREQ: 39,
  EMSGSIZE: 40,
  EPROTOTYPE: 41,
  ENOPROTOOPT: 42,
  EPROTONOSUPPORT: 43,
  ESOCKTNOSUPPORT: 44,
  EOPNOTSUPP: 45,
  EPFNOSUPPORT: 46,
  EAFNOSUPPORT: 47,
  EADDRINUSE: 48,
  EADDRNOTAVAIL: 49,
  ENETDOWN: 50,
  ENETUNREACH: 51,
  ENETRESET: 52,
  ECONNABORTED: 53,
  ECONNRESET: 54,
  ENOBUFS: 55,
  EISCONN: 56,
  ENOTCONN: 57,
  ESHUTDOWN: 58,
  ETOOMANYREFS: 59,
  ETIMEDOUT: 60,
  ECONNREFUSED: 61,
  ELOOP: 62,
  ENAMETOOLONG: 63,
  EHOSTDOWN: 64,
  EHOSTUNREACH: 65,
} as const satisfies Record<ErrnoName, number>;

/** Socket-level constants shared by the three BSD-derived systems. */
export const BSD_SOCKET = {
  AF_INET: 2,
  SOCK_STREAM: 1,
  SOL_SOCKET: 0xffff,
  SO_REUSEADDR: 0x4,
  SO_KEEPALIVE: 0x8,
  SO_ERROR: 0x1007,
  SO_SNDBUF: 0x1001,
  SO_RCVBUF: 0x1002,
  SO_RCVTIMEO: 0x1006,
  IPPROTO_TCP: 6,
  TCP_NODELAY: 1,
  SHUT_RD: 0,
  SHUT_WR: 1,
  SHUT_RDWR: 2,
  MSG_PEEK: 0x2,
  MSG_DONTWAIT: 0x80,
  POLLIN: 0x1,
  POLLPRI: 0x2,
  POLLOUT: 0x4,
  POLLERR: 0x8,
  POLLHUP: 0x10,
  POLLNVAL: 0x20,
  O_NONBLOCK: 0x4,
  F_GETFL: 3,
  F_SETFL: 4,
  O_RDONLY: 0x0000, // sys/fcntl.h in xnu, freebsd-src and openbsd/src
} as const;

/**
 * `struct utsname` of macOS and OpenBSD: five `char[256]` fields. xnu
 * `bsd/sys/utsname.h` (`_SYS_NAMELEN` 256), openbsd/src `sys/sys/utsname.h`
 * rev 1.5 (`SYS_NMLN` 256); both declare `int uname(struct utsname *)`.
 */
export const BSD_UTSNAME = {
  fieldSize: 256,
  fieldCount: 5,
  call: "uname",
} as const;

/** `netinet/tcp_fsm.h`: TCPS_CLOSED = 0 ... TCPS_TIME_WAIT = 10. */
export const BSD_TCP_STATES = [
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
] as const satisfies readonly TcpStateName[];
