/**
 * Codec for `struct timeval`, as `SO_RCVTIMEO` takes it: 16 bytes on every
 * 64-bit target escoteria runs on. `tv_sec` is a 64-bit `time_t` at offset 0
 * everywhere; `tv_usec` is a `long` at offset 8 on Linux, FreeBSD and
 * OpenBSD, and a 32-bit `__darwin_suseconds_t` at offset 8 followed by 4
 * bytes of padding on macOS (xnu `bsd/sys/_types/_timeval.h`; the kernel
 * copies in a 16-byte `struct user64_timeval`). Written little-endian with
 * the padding zeroed, one encoding serves all four.
 *
 * @module
 */

/** `sizeof(struct timeval)` on every supported 64-bit target. */
export const TIMEVAL_SIZE = 16;

/**
 * Encodes a whole number of milliseconds as `{ tv_sec, tv_usec }`.
 *
 * @throws {RangeError} for a negative or fractional `ms`.
 */
export function encodeTimeval(ms: number): Uint8Array<ArrayBuffer> {
  if (!Number.isInteger(ms) || ms < 0) {
    throw new RangeError(`Cannot encode timeval of ${ms} ms`);
  }
  const buf = new Uint8Array(TIMEVAL_SIZE);
  const view = new DataView(buf.buffer);
  view.setBigInt64(0, BigInt(Math.floor(ms / 1000)), true);
  view.setBigInt64(8, BigInt((ms % 1000) * 1000), true);
  return buf;
}
