/**
 * FreeBSD (libc.so.7). `POLLRDHUP` (0x4000) is recent (`sys/sys/poll.h`);
 * on older releases poll simply never reports it. The exact first release
 * (said to be 14) was not confirmed: the stored freebsd-src `poll.h` predates
 * the bit, and 0x4000 was read from a later copy of the FreeBSD header
 * (rtems-libbsd, "half shut down").
 *
 * Sources: freebsd-src `sys/sys/socket.h` (AF_INET6 28, SOCK_NONBLOCK
 * 0x20000000, SOCK_CLOEXEC 0x10000000, SO_LINGER 0x80, SO_NOSIGPIPE 0x800,
 * MSG_DONTWAIT 0x80, MSG_NOSIGNAL 0x20000), `sys/netinet/tcp.h` (TCP_INFO 32, TCP_KEEPIDLE 0x100,
 * TCP_KEEPINTVL 0x200, TCP_KEEPCNT 0x400;
 * struct tcp_info starts with `u_int8_t tcpi_state`), `sys/sys/poll.h`
 * (nfds_t unsigned int), `sys/sys/errno.h` (`int *__error(void)`),
 * `sys/sys/fcntl.h` (O_NONBLOCK 0x0004, F_GETFL 3, F_SETFL 4, O_RDONLY 0,
 * O_CLOEXEC 0x00100000).
 *
 * `struct utsname` (`sys/sys/utsname.h`): five `char[SYS_NMLN]` fields,
 * `SYS_NMLN` 256 outside the kernel, and `uname()` is a static inline calling
 * `__xuname(SYS_NMLN, buf)`. The exported `uname` symbol
 * (`lib/libc/gen/uname.c`) calls `__xuname(32, buf)` for the FreeBSD 1.1 ABI,
 * so a dlopen caller must call `__xuname` with 256 itself
 * (`lib/libc/gen/__xuname.c`: `int __xuname(int namesize, void *namebuf)`).
 *
 * @module
 */

import { BSD_ERRNO, BSD_SOCKET, BSD_TCP_STATES } from "./_bsd.ts";
import type { PlatformTable } from "./platform.ts";

/** The FreeBSD table. */
export const FREEBSD = {
  os: "freebsd",
  library: "libc.so.7",
  errnoSymbol: "__error",
  nfdsType: "u32",
  sockaddrHasLen: true,
  constants: {
    ...BSD_SOCKET,
    AF_INET6: 28,
    SOCK_NONBLOCK: 0x20000000,
    SOCK_CLOEXEC: 0x10000000,
    SO_LINGER: 0x80,
    SO_NOSIGPIPE: 0x800,
    TCP_STATE_OPTION: { name: "TCP_INFO", value: 32 },
    TCP_KEEPIDLE: 0x100,
    TCP_KEEPINTVL: 0x200,
    TCP_KEEPCNT: 0x400,
    TCP_USER_TIMEOUT: null,
    MSG_NOSIGNAL: 0x20000,
    POLLRDHUP: 0x4000,
    O_CLOEXEC: 0x00100000, // freebsd-src sys/sys/fcntl.h
  },
  errno: BSD_ERRNO,
  tcpStates: BSD_TCP_STATES,
  // sys/sys/utsname.h: SYS_NMLN 256 in userland; filled by __xuname(256, buf).
  utsname: { fieldSize: 256, fieldCount: 5, call: "__xuname" },
} as const satisfies PlatformTable;
