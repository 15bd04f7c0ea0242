/**
 * OpenBSD. `dlopen("libc.so")` lets ld.so pick the highest `libc.so.N.M`.
 * `TCP_INFO` arrived in OpenBSD 7.2 (2022; 7.1 has none: esnet/iperf#1397,
 * where an OpenBSD developer confirmed it for 7.2); the `tcp.h` cited below
 * is a later revision. Before 7.2 getsockopt fails ENOPROTOOPT, and the
 * self-check's `tcp-state` stops the run there rather than record that
 * errno as every state. `lang/deno` builds with `USE_WXNEEDED`, so Deno
 * must run from a `wxallowed` filesystem (`/usr/local` is one in the
 * default layout).
 *
 * Sources: openbsd/src `sys/sys/socket.h` rev 1.108 (AF_INET6 24,
 * SOCK_NONBLOCK 0x4000, SOCK_CLOEXEC 0x8000, SO_LINGER 0x80, MSG_DONTWAIT
 * 0x80, MSG_NOSIGNAL 0x400; no SO_NOSIGPIPE, 0x1022 is SO_PEERCRED),
 * `sys/netinet/tcp.h` rev 1.24 (TCP_INFO 0x09; struct tcp_info starts with
 * `uint8_t tcpi_state`), `sys/sys/poll.h` rev 1.16 (nfds_t unsigned int, no
 * POLLRDHUP), `include/errno.h` (`int *__errno(void)`; `sys/sys/errno.h`
 * holds only the numbers), `sys/sys/fcntl.h` rev 1.23 (O_NONBLOCK 0x0004,
 * O_RDONLY 0, O_CLOEXEC 0x10000), `sys/sys/utsname.h` rev 1.5 (`SYS_NMLN`
 * 256, five fields).
 *
 * @module
 */

import { BSD_ERRNO, BSD_SOCKET, BSD_TCP_STATES, BSD_UTSNAME } from "./_bsd.ts";
import type { PlatformTable } from "./platform.ts";

/** The OpenBSD table. */
export const OPENBSD = {
  os: "openbsd",
  library: "libc.so",
  errnoSymbol: "__errno",
  nfdsType: "u32",
  sockaddrHasLen: true,
  constants: {
    ...BSD_SOCKET,
    AF_INET6: 24,
    SOCK_NONBLOCK: 0x4000,
    SOCK_CLOEXEC: 0x8000,
    SO_LINGER: 0x80,
    SO_NOSIGPIPE: null,
    TCP_STATE_OPTION: { name: "TCP_INFO", value: 9 },
    // Keepalive timing is system-wide (sysctl net.inet.tcp.keepidle …).
    TCP_KEEPIDLE: null,
    TCP_KEEPINTVL: null,
    TCP_KEEPCNT: null,
    TCP_USER_TIMEOUT: null,
    MSG_NOSIGNAL: 0x400,
    POLLRDHUP: null,
    O_CLOEXEC: 0x10000, // openbsd/src sys/sys/fcntl.h rev 1.23
  },
  errno: BSD_ERRNO,
  tcpStates: BSD_TCP_STATES,
  utsname: BSD_UTSNAME,
} as const satisfies PlatformTable;
