/**
 * The libc calls that move one thread between network namespaces (Linux
 * only): `unshare(CLONE_NEWNET)` gives the calling thread a new, empty
 * namespace; `setns(fd, CLONE_NEWNET)` puts it in the namespace an open
 * `/proc/.../ns/net` file refers to; `readlink` of `/proc/self/fd/N` names
 * the namespace such an fd holds (`net:[4026532…]`, the inode number
 * `lsns` prints). Both calls change the calling thread only, and a socket
 * belongs for good to the namespace its creating thread was in.
 *
 * A separate file from `files.ts` (whose calls serve the tracer): these
 * three are about namespaces, and nothing else needs them. Opening the
 * namespace files goes through {@linkcode LinuxFiles.openRead} (Deno 2.9
 * refuses `/proc` to its own file API), which tells the fd tracker of each
 * fd, so a stopped worker's namespace fds are closed like its sockets;
 * `if_nametoindex` is {@linkcode Posix.ifNameToIndex}, already bound, and
 * answers for the calling thread's namespace (glibc asks through a socket
 * it opens there). errno is read through {@linkcode Posix.outcomeOf} right
 * after each call.
 *
 * Sources: linux `include/uapi/linux/sched.h` (`CLONE_NEWNET`
 * 0x40000000), `man 2 unshare` and `man 2 setns` (both need CAP_SYS_ADMIN
 * in the user namespace that owns the target: EPERM without it),
 * `fs/nsfs.c` (`ns_dname`: an ns fd's link reads `net:[<inode>]`).
 *
 * @module
 */

import { cString, type Outcome, type Posix } from "../posix.ts";
import { LINUX } from "../tables/linux.ts";
import { LinuxFiles } from "./files.ts";

/** `CLONE_NEWNET`: the network namespace, for `unshare()` and `setns()`. */
export const CLONE_NEWNET = 0x40000000;

/** The calling thread's own network namespace file. */
export const THREAD_NET_NAMESPACE = "/proc/thread-self/ns/net";

/** Longest link text read: `net:[` and a 32-bit inode number fit easily. */
const LINK_BUFFER = 256;

function symbols() {
  return {
    // int unshare(int flags)
    unshare: { parameters: ["i32"], result: "i32" },
    // int setns(int fd, int nstype)
    setns: { parameters: ["i32", "i32"], result: "i32" },
    // ssize_t readlink(const char *path, char *buf, size_t bufsiz): no NUL
    // is written; the return value is the length
    readlink: { parameters: ["buffer", "buffer", "usize"], result: "isize" },
  } as const satisfies Deno.ForeignLibraryInterface;
}

type Calls = Deno.DynamicLibrary<ReturnType<typeof symbols>>["symbols"];

let loaded: Calls | undefined;

/** A link's text, or the failure. */
export interface LinkOutcome extends Outcome {
  readonly value: string | null;
}

/** Network namespace calls over `posix`'s libc, errno and fd tracker. */
export class LinuxNamespaces {
  readonly #calls: Calls;
  readonly #files: LinuxFiles;

  /**
   * @throws {Error} on another OS: these are Linux's calls.
   * @throws {Deno.errors.NotCapable} without `--allow-ffi`.
   */
  constructor(readonly posix: Posix) {
    if (posix.table.os !== "linux") {
      throw new Error(`LinuxNamespaces: Linux only, not ${posix.table.os}`);
    }
    loaded ??= Deno.dlopen(LINUX.library, symbols()).symbols;
    this.#calls = loaded;
    this.#files = new LinuxFiles(posix);
  }

  /**
   * Opens the calling thread's current network namespace
   * (`open("/proc/thread-self/ns/net", O_RDONLY|O_CLOEXEC)`): the fd keeps
   * the namespace alive and can be given to {@linkcode setNetwork} or to
   * `IFLA_NET_NS_FD`. The fd tracker is told of it.
   */
  openCurrent(): Outcome {
    return this.#files.openRead(THREAD_NET_NAMESPACE, false);
  }

  /** `unshare(CLONE_NEWNET)`: the calling thread enters a new namespace. */
  unshareNetwork(): Outcome {
    return this.posix.outcomeOf(this.#calls.unshare(CLONE_NEWNET));
  }

  /** `setns(fd, CLONE_NEWNET)`: the calling thread enters `fd`'s namespace. */
  setNetwork(fd: number): Outcome {
    return this.posix.outcomeOf(this.#calls.setns(fd, CLONE_NEWNET));
  }

  /**
   * What the namespace fd `fd` refers to, as `readlink("/proc/self/fd/N")`
   * gives it: `net:[4026532…]`.
   */
  describe(fd: number): LinkOutcome {
    const buf = new Uint8Array(LINK_BUFFER);
    const out = this.posix.outcomeOf(
      this.#calls.readlink(
        cString(`/proc/self/fd/${fd}`),
        buf,
        BigInt(buf.byteLength),
      ),
    );
    return {
      ...out,
      value: out.ret < 0
        ? null
        : new TextDecoder().decode(buf.subarray(0, out.ret)),
    };
  }
}

/**
 * The inode number in a namespace link's text (`net:[4026532001]` →
 * 4026532001), as `lsns -o NS` prints it; `null` for other text.
 */
export function namespaceInode(link: string): number | null {
  const m = /^net:\[(\d+)\]$/.exec(link);
  return m ? Number(m[1]) : null;
}
