/**
 * Codec for `struct pollfd { int fd; short events; short revents; }`
 * (8 bytes, host order, every OS) and the revents bits as names.
 *
 * @module
 */

import type { PlatformTable } from "./tables/platform.ts";

/** Size of one `struct pollfd`. */
export const POLLFD_SIZE = 8;

/** One decoded `struct pollfd`. */
export interface PollFd {
  readonly fd: number;
  readonly events: number;
  readonly revents: number;
}

/** Encodes an array of `struct pollfd`. */
export function encodePollFds(
  fds: readonly Omit<PollFd, "revents">[],
): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(POLLFD_SIZE * fds.length);
  const view = new DataView(bytes.buffer);
  fds.forEach((p, i) => {
    view.setInt32(i * POLLFD_SIZE, p.fd, true);
    view.setInt16(i * POLLFD_SIZE + 4, p.events, true);
    view.setInt16(i * POLLFD_SIZE + 6, 0, true);
  });
  return bytes;
}

/** Decodes an array of `struct pollfd`. */
export function decodePollFds(bytes: Uint8Array): PollFd[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: PollFd[] = [];
  for (let off = 0; off + POLLFD_SIZE <= bytes.byteLength; off += POLLFD_SIZE) {
    out.push({
      fd: view.getInt32(off, true),
      events: view.getInt16(off + 4, true),
      revents: view.getUint16(off + 6, true),
    });
  }
  return out;
}

const POLL_BITS = [
  "POLLIN",
  "POLLPRI",
  "POLLOUT",
  "POLLERR",
  "POLLHUP",
  "POLLNVAL",
  "POLLRDHUP",
] as const;

/** The revents bits as names joined by `|`, in a fixed order; `""` if none. */
export function pollNames(table: PlatformTable, revents: number): string {
  const names: string[] = [];
  for (const name of POLL_BITS) {
    const bit = table.constants[name];
    if (bit !== null && (revents & bit) !== 0) names.push(name);
  }
  return names.join("|");
}

/** Every poll event this OS can report about a socket's read side. */
export function readEvents(table: PlatformTable): number {
  const c = table.constants;
  return c.POLLIN | c.POLLPRI | (c.POLLRDHUP ?? 0);
}
