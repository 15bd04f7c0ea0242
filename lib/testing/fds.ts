/**
 * Test helper: the number of file descriptors this process holds, from
 * `/proc/self/fd` (Linux) or `/dev/fd` (the BSDs and macOS).
 *
 * @module
 */

/** How many fds are open right now. */
export function openFdCount(): number {
  for (const dir of ["/proc/self/fd", "/dev/fd"]) {
    try {
      return [...Deno.readDirSync(dir)].length;
    } catch {
      // Try the next place.
    }
  }
  throw new Error("Cannot count open fds: neither /proc/self/fd nor /dev/fd");
}
