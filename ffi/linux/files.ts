/**
 * The file and process calls a tracefs instance needs, over Linux's libc:
 * `mkdir`/`rmdir` (an instance is a directory), `mount` (tracefs, when it
 * is not mounted), `open` with flags, `write` (a control file takes one
 * write), `opendir`/`readdir` (the instances left by earlier runs),
 * `kill(pid, 0)` (whether their process lives),
 * `clock_gettime(CLOCK_MONOTONIC)` (the trace clock `mono`) and
 * `ioctl(SIOCGSTAMPNS)` (when the kernel stamped a captured frame, so that
 * frames and traced events can be put in one order). Deno 2.9
 * refuses `/sys` to its own file API without `--allow-all`; libc is not
 * subject to that check. errno is read through {@linkcode Posix.outcomeOf}
 * right after each call, and every fd opened is told to the Posix's fd
 * tracker, so a stopped worker's trace fds are closed like its sockets.
 *
 * Sources (linux `torvalds/linux`, glibc): `include/uapi/asm-generic/fcntl.h`
 * (O_WRONLY 1, O_TRUNC 01000, O_NONBLOCK 04000, O_DIRECTORY 0200000,
 * O_CLOEXEC 02000000), `include/uapi/linux/time.h` (CLOCK_REALTIME 0,
 * CLOCK_MONOTONIC 1), `include/uapi/asm-generic/sockios.h` (SIOCGSTAMPNS_OLD
 * 0x8907: the last received packet's `struct timespec` on 64-bit),
 * glibc `sysdeps/unix/sysv/linux/bits/dirent.h` (`struct dirent` on LP64:
 * `d_ino` u64 at 0, `d_off` i64 at 8, `d_reclen` u16 at 16, `d_type` u8 at
 * 18, `d_name` at 19; musl's layout is the same), `struct timespec` (two
 * 64-bit fields on x86_64 and aarch64).
 *
 * @module
 */

import { cString, type Outcome, type Posix } from "../posix.ts";
import { LINUX } from "../tables/linux.ts";

/** `open(2)` flags, `include/uapi/asm-generic/fcntl.h`. */
export const O_WRONLY = 0o1;
export const O_TRUNC = 0o1000;
export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;
/** `CLOCK_REALTIME`: the clock packet timestamps are on. */
export const CLOCK_REALTIME = 0;
/** `CLOCK_MONOTONIC`, `include/uapi/linux/time.h`: tracefs's `mono` clock. */
export const CLOCK_MONOTONIC = 1;
/** `SIOCGSTAMPNS` (the `_OLD` number, a 64-bit `timespec` on LP64). */
export const SIOCGSTAMPNS = 0x8907;
/** Offset of `d_name` in glibc's (and musl's) LP64 `struct dirent`. */
export const DIRENT_NAME_OFFSET = 19;

function symbols() {
  return {
    // int mkdir(const char *path, mode_t mode)
    mkdir: { parameters: ["buffer", "u32"], result: "i32" },
    // int rmdir(const char *path)
    rmdir: { parameters: ["buffer"], result: "i32" },
    // int mount(const char *source, const char *target,
    //           const char *fstype, unsigned long flags, const void *data)
    mount: {
      parameters: ["buffer", "buffer", "buffer", "u64", "pointer"],
      result: "i32",
    },
    // int open(const char *path, int flags, ...): never with O_CREAT here,
    // so the variadic mode is never read (see ffi/libc.ts)
    open: { parameters: ["buffer", "i32"], result: "i32" },
    // ssize_t read(int fd, void *buf, size_t count)
    read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
    // ssize_t write(int fd, const void *buf, size_t count)
    write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
    // DIR *opendir(const char *path)
    opendir: { parameters: ["buffer"], result: "pointer" },
    // struct dirent *readdir(DIR *dir)
    readdir: { parameters: ["pointer"], result: "pointer" },
    // int closedir(DIR *dir)
    closedir: { parameters: ["pointer"], result: "i32" },
    // int kill(pid_t pid, int sig)
    kill: { parameters: ["i32", "i32"], result: "i32" },
    // int clock_gettime(clockid_t clock, struct timespec *ts)
    clock_gettime: { parameters: ["i32", "buffer"], result: "i32" },
    // int ioctl(int fd, unsigned long request, ...): variadic, called with
    // one pointer, which travels in the third integer register on x86_64
    // and aarch64 Linux as in a non-variadic call
    ioctl: { parameters: ["i32", "u64", "buffer"], result: "i32" },
  } as const satisfies Deno.ForeignLibraryInterface;
}

/** A 64-bit `struct timespec` in microseconds, nanoseconds kept. */
function timespecMicros(ts: Uint8Array<ArrayBuffer>): number {
  const view = new DataView(ts.buffer);
  const seconds = Number(view.getBigInt64(0, true));
  const nanos = Number(view.getBigInt64(8, true));
  return seconds * 1e6 + nanos / 1000;
}

type Calls = Deno.DynamicLibrary<ReturnType<typeof symbols>>["symbols"];

let loaded: Calls | undefined;

/** What a read returned: the bytes, or the failure. */
export interface ReadChunk extends Outcome {
  readonly bytes: Uint8Array | null;
}

/** Linux file calls over `posix`'s libc, errno and fd tracker. */
export class LinuxFiles {
  readonly #calls: Calls;

  /**
   * @throws {Error} on another OS: these are Linux's calls and layouts.
   * @throws {Deno.errors.NotCapable} without `--allow-ffi`.
   */
  constructor(readonly posix: Posix) {
    if (posix.table.os !== "linux") {
      throw new Error(`LinuxFiles: Linux only, not ${posix.table.os}`);
    }
    loaded ??= Deno.dlopen(LINUX.library, symbols()).symbols;
    this.#calls = loaded;
  }

  mkdir(path: string, mode = 0o755): Outcome {
    return this.posix.outcomeOf(this.#calls.mkdir(cString(path), mode));
  }

  rmdir(path: string): Outcome {
    return this.posix.outcomeOf(this.#calls.rmdir(cString(path)));
  }

  /** `mount(source, target, type, 0, NULL)`. */
  mount(source: string, target: string, type: string): Outcome {
    return this.posix.outcomeOf(
      this.#calls.mount(
        cString(source),
        cString(target),
        cString(type),
        0n,
        null,
      ),
    );
  }

  /** Opens `path` read-only (close-on-exec), non-blocking if asked. */
  openRead(path: string, nonblocking: boolean): Outcome {
    const flags = O_CLOEXEC | (nonblocking ? O_NONBLOCK : 0);
    return this.posix.outcomeOf(this.#calls.open(cString(path), flags), true);
  }

  /**
   * Writes `text` to the control file `path` in one `write()` (tracefs
   * takes a control file's value per write), truncating it first. The fd
   * is closed on every path.
   */
  writeFile(path: string, text: string): Outcome {
    const opened = this.posix.outcomeOf(
      this.#calls.open(cString(path), O_WRONLY | O_TRUNC | O_CLOEXEC),
      true,
    );
    if (opened.ret < 0) return opened;
    const bytes = new TextEncoder().encode(text);
    const wrote = this.posix.outcomeOf(
      this.#calls.write(opened.ret, bytes, BigInt(bytes.byteLength)),
    );
    this.posix.close(opened.ret);
    return wrote;
  }

  /** One `read()` of up to `buf.byteLength` bytes. */
  read(fd: number, buf: Uint8Array<ArrayBuffer>): ReadChunk {
    const out = this.posix.outcomeOf(
      this.#calls.read(fd, buf, BigInt(buf.byteLength)),
    );
    return { ...out, bytes: out.ret < 0 ? null : buf.subarray(0, out.ret) };
  }

  /** The names in directory `path` (without `.` and `..`), or the failure. */
  listDir(path: string): { names: string[] } | { errno: string } {
    const dir = this.#calls.opendir(cString(path));
    if (dir === null) {
      return { errno: this.posix.outcomeOf(-1).errno ?? "E#0" };
    }
    const names: string[] = [];
    try {
      for (;;) {
        const entry = this.#calls.readdir(dir);
        if (entry === null) break;
        const name = Deno.UnsafePointerView.getCString(
          entry,
          DIRENT_NAME_OFFSET,
        );
        if (name !== "." && name !== "..") names.push(name);
      }
    } finally {
      this.#calls.closedir(dir);
    }
    return { names };
  }

  /**
   * Whether process `pid` exists: `kill(pid, 0)` succeeds, or fails EPERM
   * (it exists, owned by another user); ESRCH says it is gone.
   */
  processExists(pid: number): boolean {
    const out = this.posix.outcomeOf(this.#calls.kill(pid, 0));
    return out.ret === 0 || out.errno !== "ESRCH";
  }

  /** `CLOCK_MONOTONIC` now, in microseconds (to the nanosecond). */
  monotonicMicros(): number {
    return this.#clock(CLOCK_MONOTONIC, "CLOCK_MONOTONIC");
  }

  /** `CLOCK_REALTIME` now, in microseconds since the Unix epoch (to the
   * nanosecond). */
  realtimeMicros(): number {
    return this.#clock(CLOCK_REALTIME, "CLOCK_REALTIME");
  }

  #clock(clock: number, name: string): number {
    const ts = new Uint8Array(16);
    const out = this.posix.outcomeOf(this.#calls.clock_gettime(clock, ts));
    if (out.ret < 0) throw new Error(`clock_gettime(${name}): ${out.errno}`);
    return timespecMicros(ts);
  }

  /**
   * When the kernel stamped the last packet `fd` received, in microseconds
   * since the Unix epoch, to the nanosecond (`SIOCGSTAMPNS`); the first
   * call turns the stamps
   * on and fails ENOENT while no stamped packet has come.
   */
  packetStampMicros(fd: number): number | null {
    const ts = new Uint8Array(16);
    const out = this.posix.outcomeOf(
      this.#calls.ioctl(fd, BigInt(SIOCGSTAMPNS), ts),
    );
    return out.ret < 0 ? null : timespecMicros(ts);
  }
}
