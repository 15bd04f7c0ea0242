/**
 * Test helper: the number of file descriptors this process holds. Deno 2.9
 * refuses to list `/proc/self/fd` without `--allow-all`, so this asks the
 * kernel directly: `fcntl(fd, F_GETFL)` succeeds for every open descriptor
 * and fails with EBADF for every other one.
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
