/**
 * Linux with glibc, x86_64 and aarch64. Both architectures use the generic
 * socket ABI (`include/uapi/asm-generic/socket.h`), so one table serves both:
 * arm64 has no `arch/arm64/include/uapi/asm/socket.h`, `errno.h` or `poll.h`
 * of its own, and its `asm/fcntl.h` only redefines O_DIRECTORY, O_NOFOLLOW,
 * O_DIRECT and O_LARGEFILE before including `asm-generic/fcntl.h`; x86's
 * `asm/socket.h` just includes the generic one.
 *
 * Sources (checked against torvalds/linux and bminor/glibc):
 * linux `include/uapi/asm-generic/socket.h` (SOL_SOCKET, SO_*),
 * `include/uapi/asm-generic/{errno-base,errno}.h`,
 * `include/uapi/asm-generic/poll.h` (POLL*, POLLRDHUP 0x2000),
 * `include/uapi/asm-generic/fcntl.h` (O_RDONLY 0, O_NONBLOCK 00004000,
 * O_CLOEXEC 02000000, F_GETFL 3, F_SETFL 4), `include/linux/net.h`
 * (SOCK_STREAM, SOCK_NONBLOCK = O_NONBLOCK, SOCK_CLOEXEC = O_CLOEXEC, SHUT_*),
 * `include/linux/socket.h` (AF_INET6 10, MSG_PEEK 2, MSG_DONTWAIT 0x40,
 * MSG_NOSIGNAL 0x4000), `include/uapi/linux/in.h` (IPPROTO_TCP),
 * `include/uapi/linux/tcp.h` (TCP_NODELAY 1, TCP_KEEPIDLE 4, TCP_KEEPINTVL 5,
 * TCP_KEEPCNT 6, TCP_INFO 11, TCP_USER_TIMEOUT 18; struct tcp_info
 * starts with `__u8 tcpi_state`), `include/net/tcp_states.h`;
 * glibc `csu/errno-loc.c` (`__errno_location`), `io/sys/poll.h` (nfds_t),
 * `sysdeps/unix/sysv/linux/bits/utsname.h` (`_UTSNAME_LENGTH` 65,
 * `_UTSNAME_DOMAIN_LENGTH` 65, so `posix/sys/utsname.h` has six fields; the
 * kernel's `include/uapi/linux/utsname.h` `struct new_utsname` is six
 * `char[__NEW_UTS_LEN + 1]`, `__NEW_UTS_LEN` 64). Compiled on Debian 12
 * x86_64 (glibc 2.36): `sizeof(struct utsname)` 390, `release` at 130.
 *
 * @module
 */

import type { PlatformTable } from "./platform.ts";

/** The Linux (glibc) table. */
export const LINUX = {
  os: "linux",
  library: "libc.so.6",
  errnoSymbol: "__errno_location",
  nfdsType: "u64", // typedef unsigned long int nfds_t (glibc io/sys/poll.h)
  sockaddrHasLen: false,
  constants: {
    AF_INET: 2,
    AF_INET6: 10,
    SOCK_STREAM: 1,
    SOCK_NONBLOCK: 0o4000, // = O_NONBLOCK (0x800)
    SOCK_CLOEXEC: 0o2000000, // = O_CLOEXEC (0x80000)
    SOL_SOCKET: 1,
    SO_REUSEADDR: 2,
    SO_KEEPALIVE: 9,
    SO_LINGER: 13,
    SO_ERROR: 4,
    SO_RCVBUF: 8,
    SO_SNDBUF: 7,
    // asm-generic/socket.h SO_RCVTIMEO_OLD 20: glibc's SO_RCVTIMEO on a
    // 64-bit time_t ABI, taking the 16-byte struct timeval
    SO_RCVTIMEO: 20,
    SO_NOSIGPIPE: null,
    IPPROTO_TCP: 6,
    TCP_NODELAY: 1,
    TCP_KEEPIDLE: 4,
    TCP_KEEPINTVL: 5,
    TCP_KEEPCNT: 6,
    TCP_USER_TIMEOUT: 18,
    TCP_STATE_OPTION: { name: "TCP_INFO", value: 11 },
    SHUT_RD: 0,
    SHUT_WR: 1,
    SHUT_RDWR: 2,
    MSG_PEEK: 0x2,
    MSG_DONTWAIT: 0x40,
    MSG_NOSIGNAL: 0x4000,
    POLLIN: 0x1,
    POLLPRI: 0x2,
    POLLOUT: 0x4,
    POLLERR: 0x8,
    POLLHUP: 0x10,
    POLLNVAL: 0x20,
    POLLRDHUP: 0x2000,
    O_NONBLOCK: 0o4000,
    F_GETFL: 3,
    F_SETFL: 4,
    O_RDONLY: 0, // asm-generic/fcntl.h 00000000
    O_CLOEXEC: 0o2000000, // asm-generic/fcntl.h 02000000 (0x80000)
  },
  errno: {
    EPERM: 1,
    ENOENT: 2,
    ESRCH: 3,
    EINTR: 4,
    EIO: 5,
    EBADF: 9,
    EAGAIN: 11,
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
    ENAMETOOLONG: 36,
    ELOOP: 40,
    ENOTSOCK: 88,
    EDESTADDRREQ: 89,
    EMSGSIZE: 90,
    EPROTOTYPE: 91,
    ENOPROTOOPT: 92,
    EPROTONOSUPPORT: 93,
    ESOCKTNOSUPPORT: 94,
    EOPNOTSUPP: 95,
    EPFNOSUPPORT: 96,
    EAFNOSUPPORT: 97,
    EADDRINUSE: 98,
    EADDRNOTAVAIL: 99,
    ENETDOWN: 100,
    ENETUNREACH: 101,
    ENETRESET: 102,
    ECONNABORTED: 103,
    ECONNRESET: 104,
    ENOBUFS: 105,
    EISCONN: 106,
    ENOTCONN: 107,
    ESHUTDOWN: 108,
    ETOOMANYREFS: 109,
    ETIMEDOUT: 110,
    ECONNREFUSED: 111,
    EHOSTDOWN: 112,
    EHOSTUNREACH: 113,
    EALREADY: 114,
    EINPROGRESS: 115,
  },
  // include/net/tcp_states.h: TCP_ESTABLISHED = 1 ... TCP_NEW_SYN_RECV = 12.
  // Newer kernels add TCP_BOUND_INACTIVE = 13, a pseudo-state for inet_diag
  // only, never a socket's sk_state, so tcp_info cannot report it.
  tcpStates: [
    null,
    "ESTABLISHED",
    "SYN_SENT",
    "SYN_RECEIVED",
    "FIN_WAIT1",
    "FIN_WAIT2",
    "TIME_WAIT",
    "CLOSED",
    "CLOSE_WAIT",
    "LAST_ACK",
    "LISTEN",
    "CLOSING",
    "SYN_RECEIVED",
  ],
  // glibc bits/utsname.h: _UTSNAME_LENGTH 65, plus domainname (6 fields).
  utsname: { fieldSize: 65, fieldCount: 6, call: "uname" },
} as const satisfies PlatformTable;
