/**
 * The libc symbol table and its loader. Nothing but declarations: the C
 * prototype sits beside each entry. Every symbol is synchronous, so errno can
 * be read right after the call on the same thread (see
 * `../shared/reference/ffi-facts.md`): sockets are non-blocking and waits go
 * through `poll()` with a timeout. Files are opened only to read small local
 * ones (`/proc/sys` entries) where Deno's own file API refuses.
 *
 * The library path comes from the OS table; `ESCOTERIA_LIBC` overrides it.
 *
 * @module
 */

import type { PlatformTable } from "./tables/platform.ts";
import { FCNTL_STACK_PARAMETERS } from "./variadic.ts";

/** Builds the symbol table; only `poll`'s `nfds_t` and errno differ by OS. */
export function libcSymbols(table: PlatformTable) {
  return {
    // int socket(int domain, int type, int protocol)
    socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
    // int bind(int fd, const struct sockaddr *addr, socklen_t len)
    bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
    // int listen(int fd, int backlog)
    listen: { parameters: ["i32", "i32"], result: "i32" },
    // int accept(int fd, struct sockaddr *addr, socklen_t *len)
    accept: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
    // int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
    accept4: {
      parameters: ["i32", "buffer", "buffer", "i32"],
      result: "i32",
      optional: true,
    },
    // int connect(int fd, const struct sockaddr *addr, socklen_t len)
    connect: { parameters: ["i32", "buffer", "u32"], result: "i32" },
    // int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
    setsockopt: {
      parameters: ["i32", "i32", "i32", "buffer", "u32"],
      result: "i32",
    },
    // int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
    getsockopt: {
      parameters: ["i32", "i32", "i32", "buffer", "buffer"],
      result: "i32",
    },
    // int getpeername(int fd, struct sockaddr *addr, socklen_t *len)
    getpeername: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
    // int getsockname(int fd, struct sockaddr *addr, socklen_t *len)
    getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
    // ssize_t send(int fd, const void *buf, size_t len, int flags)
    send: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
    // ssize_t recv(int fd, void *buf, size_t len, int flags)
    recv: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
    // ssize_t recvfrom(int fd, void *buf, size_t len, int flags,
    //                  struct sockaddr *from, socklen_t *fromlen)
    recvfrom: {
      parameters: ["i32", "buffer", "usize", "i32", "buffer", "buffer"],
      result: "isize",
    },
    // int shutdown(int fd, int how)
    shutdown: { parameters: ["i32", "i32"], result: "i32" },
    // int close(int fd)
    close: { parameters: ["i32"], result: "i32" },
    // int poll(struct pollfd *fds, nfds_t nfds, int timeout_ms)
    poll: { parameters: ["buffer", table.nfdsType, "i32"], result: "i32" },
    // int fcntl(int fd, int cmd, ...): variadic, called with one int (see
    // variadic.ts). `fcntl` passes it in the third integer register (x86_64
    // System V; AAPCS64 on Linux and the BSDs); `fcntl_stack` is the same
    // symbol shaped so the int lands in the first stack slot (Apple arm64).
    fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" },
    fcntl_stack: {
      name: "fcntl",
      parameters: FCNTL_STACK_PARAMETERS,
      result: "i32",
    },
    // int open(const char *path, int flags, ...): variadic, declared with its
    // two fixed arguments only. Calling it without variadic arguments is safe
    // on every ABI escoteria runs on: the fixed arguments travel as in a
    // non-variadic call (registers on x86_64 System V and on AAPCS64, Apple's
    // arm64 included, where only the variadic ones go on the stack), and libc
    // reads the optional `mode` only when `flags` holds O_CREAT (or Linux
    // O_TMPFILE), which escoteria never passes. On x86_64 %al (the count of
    // vector registers for a variadic callee) is left unset: at worst the
    // callee's register-save prologue, which GCC and Clang compile as a test
    // of %al against zero, spills vector registers that open() never reads.
    open: { parameters: ["buffer", "i32"], result: "i32" },
    // ssize_t read(int fd, void *buf, size_t count)
    read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
    // int uname(struct utsname *buf): the layout is in the OS table
    uname: { parameters: ["buffer"], result: "i32" },
    // int __xuname(int namesize, void *namebuf): FreeBSD only; its exported
    // `uname` fills 32-byte fields, the header's inline uname() calls this
    __xuname: { parameters: ["i32", "buffer"], result: "i32", optional: true },
    // int sysctlbyname(const char *name, void *oldp, size_t *oldlenp,
    //                  const void *newp, size_t newlen): macOS and FreeBSD;
    // OpenBSD and glibc have none
    sysctlbyname: {
      parameters: ["buffer", "buffer", "buffer", "pointer", "usize"],
      result: "i32",
      optional: true,
    },
    // unsigned int if_nametoindex(const char *ifname): 0 when unknown
    if_nametoindex: { parameters: ["buffer"], result: "u32", optional: true },
    // const char *gnu_get_libc_version(void): glibc only
    gnu_get_libc_version: {
      parameters: [],
      result: "pointer",
      optional: true,
    },
    // char *strerror(int errnum)
    strerror: { parameters: ["i32"], result: "pointer" },
    // int *__errno_location(void) / int *__error(void) / int *__errno(void)
    errno_location: {
      name: table.errnoSymbol,
      parameters: [],
      result: "pointer",
    },
  } as const satisfies Deno.ForeignLibraryInterface;
}

/** The loaded library's symbols. */
export type Libc = Deno.DynamicLibrary<ReturnType<typeof libcSymbols>>[
  "symbols"
];

let loaded: Libc | undefined;

/**
 * Opens libc once per process.
 *
 * @throws {Deno.errors.NotCapable} without `--allow-ffi`, as it is.
 * @throws {Error} when the library cannot be loaded, with `{ cause }`.
 */
export function openLibc(table: PlatformTable): Libc {
  if (loaded) return loaded;
  const path = libraryOverride() ?? table.library;
  try {
    loaded = Deno.dlopen(path, libcSymbols(table)).symbols;
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) throw error;
    throw new Error(`Cannot load libc from ${path}`, { cause: error });
  }
  return loaded;
}

function libraryOverride(): string | undefined {
  const variable = "ESCOTERIA_LIBC";
  const env = Deno.permissions.querySync({ name: "env", variable });
  return env.state === "granted" ? Deno.env.get(variable) : undefined;
}
