/**
 * macOS (Darwin, libSystem). Socket options differ from the other BSDs in
 * two places that matter here: `SO_LINGER` counts clock ticks, so the table
 * uses `SO_LINGER_SEC`; and the TCP state comes from `TCP_CONNECTION_INFO`.
 * There is no `SOCK_NONBLOCK` (fcntl sets O_NONBLOCK) and no `POLLRDHUP`.
 * `EOPNOTSUPP` is 102 (45 is `ENOTSUP`): `bsd/sys/errno.h` makes 102 the
 * discrete value under `__DARWIN_UNIX03` and in the kernel, which is what
 * the 64-bit libSystem hands back.
 *
 * Sources: apple-oss-distributions/xnu `bsd/sys/socket.h` (AF_INET6 30,
 * SOL_SOCKET 0xffff, SO_LINGER 0x80 in ticks, SO_LINGER_SEC 0x1080,
 * SO_NOSIGPIPE 0x1022, MSG_DONTWAIT 0x80, MSG_NOSIGNAL 0x80000 under
 * `__DARWIN_C_LEVEL >= 200809L`), `bsd/sys/errno.h` (errno numbers and
 * `extern int *__error(void)`), `bsd/netinet/tcp.h` (TCP_KEEPALIVE 0x10,
 * TCP_KEEPINTVL 0x101, TCP_KEEPCNT 0x102, TCP_CONNECTION_INFO 0x106; struct tcp_connection_info starts with `u_int8_t tcpi_state`),
 * `bsd/sys/poll.h` (nfds_t unsigned int), `bsd/sys/fcntl.h` (O_NONBLOCK 4,
 * F_GETFL 3, F_SETFL 4, O_RDONLY 0, O_CLOEXEC 0x01000000),
 * `bsd/netinet/tcp_fsm.h`, `bsd/sys/utsname.h` (`_SYS_NAMELEN` 256, five
 * fields). `open` and `read`
 * are declared `__DARWIN_ALIAS_C`, which adds no suffix on x86_64 and arm64
 * (`bsd/sys/cdefs.h`: `__DARWIN_ONLY_UNIX_CONFORMANCE` 1,
 * `__DARWIN_NON_CANCELABLE` 0), so the plain symbol names are the ones a
 * compiled program binds.
 *
 * @module
 */

import { BSD_ERRNO, BSD_SOCKET, BSD_TCP_STATES, BSD_UTSNAME } from "./_bsd.ts";
import type { PlatformTable } from "./platform.ts";

/** The macOS table. */
export const DARWIN = {
  os: "darwin",
  library: "/usr/lib/libSystem.B.dylib",
  errnoSymbol: "__error",
  nfdsType: "u32",
  sockaddrHasLen: true,
  constants: {
    ...BSD_SOCKET,
    AF_INET6: 30,
    SOCK_NONBLOCK: null,
    SOCK_CLOEXEC: null,
    SO_LINGER: 0x1080, // SO_LINGER_SEC; plain SO_LINGER (0x80) is in ticks
    SO_NOSIGPIPE: 0x1022,
    TCP_STATE_OPTION: { name: "TCP_CONNECTION_INFO", value: 0x106 },
    TCP_KEEPIDLE: 0x10, // TCP_KEEPALIVE: the idle time, in seconds
    TCP_KEEPINTVL: 0x101,
    TCP_KEEPCNT: 0x102,
    TCP_USER_TIMEOUT: null,
    // In current xnu bsd/sys/socket.h; an older stored xnu lacks it. The
    // "macOS 11 and later" cut-off is unverified here.
    MSG_NOSIGNAL: 0x80000,
    POLLRDHUP: null,
    O_CLOEXEC: 0x01000000, // xnu bsd/sys/fcntl.h
  },
  errno: { ...BSD_ERRNO, EOPNOTSUPP: 102 },
  tcpStates: BSD_TCP_STATES,
  utsname: BSD_UTSNAME,
} as const satisfies PlatformTable;
