/**
 * Test helper: the number of file descriptors this process holds. Deno 2.9
 * refuses to list `/proc/self/fd` without `--allow-all`, so this asks the
 * kernel directly: `fcntl(fd, F_GETFL)` succeeds for every open descriptor
 * and fails with EBADF for every other one; `getsockname()` succeeds only
 * on sockets (ENOTSOCK elsewhere).
 *
 * @module
 */

import { hostPosix } from "../../ffi/posix.ts";

/** Descriptors probed: far above what a test process holds. */
const PROBED = 4096;

/** How many fds are open right now. */
export function openFdCount(): number {
  const posix = hostPosix();
  let open = 0;
  for (let fd = 0; fd < PROBED; fd++) {
    if (posix.fileStatusFlags(fd).errno !== "EBADF") open++;
  }
  return open;
}

/** `AF_UNIX`: 1 on every OS escoteria has a table for. */
const AF_UNIX = 1;

/**
 * How many sockets other than AF_UNIX ones are open right now: the kinds
 * escoteria opens (TCP, packet capture, netlink). Deno's runtime holds
 * descriptors of its own, AF_UNIX socket pairs among them, and each
 * worker's go away some time after the worker ends; those are not counted.
 */
export function openSocketCount(): number {
  const posix = hostPosix();
  let open = 0;
  for (let fd = 0; fd < PROBED; fd++) {
    const name = posix.rawName(fd, "getsockname");
    if (name.value === null || name.value.byteLength < 2) continue;
    const family = posix.table.sockaddrHasLen
      ? name.value[1]
      : name.value[0]! | (name.value[1]! << 8);
    if (family !== AF_UNIX) open++;
  }
  return open;
}
