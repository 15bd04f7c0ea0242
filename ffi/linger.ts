/**
 * Codec for `struct linger { int l_onoff; int l_linger; }`: 8 bytes, host
 * order, the same on every supported OS (`sys/socket.h`).
 *
 * @module
 */

/** Size of `struct linger`. */
export const LINGER_SIZE = 8;

/** A decoded `struct linger`. */
export interface Linger {
  readonly onoff: number;
  readonly seconds: number;
}

/** Encodes `{ l_onoff, l_linger }`. */
export function encodeLinger(linger: Linger): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(LINGER_SIZE);
  const view = new DataView(bytes.buffer);
  view.setInt32(0, linger.onoff, true);
  view.setInt32(4, linger.seconds, true);
  return bytes;
}

/** Decodes `{ l_onoff, l_linger }`. */
export function decodeLinger(bytes: Uint8Array): Linger {
  if (bytes.byteLength < LINGER_SIZE) {
    throw new RangeError(`Cannot decode linger: ${bytes.byteLength} bytes`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, LINGER_SIZE);
  return { onoff: view.getInt32(0, true), seconds: view.getInt32(4, true) };
}

/** `"l_onoff,l_linger"`, as the results record it: `"1,0"`. */
export function formatLinger(linger: Linger): string {
  return `${linger.onoff},${linger.seconds}`;
}
