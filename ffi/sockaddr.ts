/**
 * Codecs for `struct sockaddr_in` (16 bytes) and `struct sockaddr_in6`
 * (28 bytes). Linux starts with a host-order `u16` family; the BSDs and macOS
 * with `u8 sin_len` then `u8 sin_family`. Port and address are in network
 * order everywhere.
 *
 * Sources: linux `include/uapi/linux/in.h`, `in6.h`; xnu, freebsd-src and
 * openbsd `sys/netinet/in.h`, `sys/netinet6/in6.h`.
 *
 * @module
 */

import type { PlatformTable } from "./tables/platform.ts";

/** Size of `struct sockaddr_in`. */
export const SOCKADDR_IN_SIZE = 16;
/** Size of `struct sockaddr_in6`. */
export const SOCKADDR_IN6_SIZE = 28;
/** Big enough for either family (`struct sockaddr_storage` is 128). */
export const SOCKADDR_STORAGE_SIZE = 128;

/** A decoded socket address. */
export interface SocketAddress {
  readonly family: "inet" | "inet6";
  readonly address: string;
  readonly port: number;
}

/**
 * Encodes `address:port` as the OS's `sockaddr_in` or `sockaddr_in6`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeSockaddr } from "./sockaddr.ts";
 * import { LINUX } from "./tables/linux.ts";
 * const bytes = encodeSockaddr(LINUX, {
 *   family: "inet",
 *   address: "127.0.0.1",
 *   port: 80,
 * });
 * // sin_family 2 (host order), sin_port 80 (network order), sin_addr
 * assert.deepEqual([...bytes.subarray(0, 8)], [2, 0, 0, 80, 127, 0, 0, 1]);
 * ```
 */
export function encodeSockaddr(
  table: PlatformTable,
  addr: SocketAddress,
): Uint8Array<ArrayBuffer> {
  const inet6 = addr.family === "inet6";
  const size = inet6 ? SOCKADDR_IN6_SIZE : SOCKADDR_IN_SIZE;
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  const family = inet6 ? table.constants.AF_INET6 : table.constants.AF_INET;
  if (table.sockaddrHasLen) {
    view.setUint8(0, size);
    view.setUint8(1, family);
  } else {
    view.setUint16(0, family, littleEndianHost);
  }
  if (!Number.isInteger(addr.port) || addr.port < 0 || addr.port > 0xffff) {
    throw new RangeError(`Cannot encode port ${addr.port}: not 0..65535`);
  }
  view.setUint16(2, addr.port, false);
  if (inet6) bytes.set(parseIpv6(addr.address), 8);
  else bytes.set(parseIpv4(addr.address), 4);
  return bytes;
}

/**
 * Decodes a `sockaddr_in` or `sockaddr_in6` filled in by the kernel.
 *
 * @throws {RangeError} for another family or a short buffer.
 */
export function decodeSockaddr(
  table: PlatformTable,
  bytes: Uint8Array,
): SocketAddress {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < SOCKADDR_IN_SIZE) {
    throw new RangeError(
      `Cannot decode sockaddr: ${bytes.byteLength} bytes is too short`,
    );
  }
  const family = table.sockaddrHasLen
    ? view.getUint8(1)
    : view.getUint16(0, littleEndianHost);
  const port = view.getUint16(2, false);
  if (family === table.constants.AF_INET) {
    return {
      family: "inet",
      address: Array.from(bytes.subarray(4, 8)).join("."),
      port,
    };
  }
  if (
    family === table.constants.AF_INET6 &&
    bytes.byteLength >= SOCKADDR_IN6_SIZE
  ) {
    return {
      family: "inet6",
      address: formatIpv6(bytes.subarray(8, 24)),
      port,
    };
  }
  throw new RangeError(`Cannot decode sockaddr: unknown family ${family}`);
}

/** `"127.0.0.1:80"` or `"[::1]:80"`. */
export function formatEndpoint(addr: SocketAddress): string {
  return addr.family === "inet6"
    ? `[${addr.address}]:${addr.port}`
    : `${addr.address}:${addr.port}`;
}

// x86_64 and aarch64 hosts are little-endian; the u16 family is host order.
const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Parses dotted-quad IPv4 text into 4 bytes. */
export function parseIpv4(text: string): Uint8Array {
  const parts = text.split(".");
  const octets = parts.map(Number);
  if (
    parts.length !== 4 ||
    octets.some((o, i) => !/^\d{1,3}$/.test(parts[i]!) || o > 255)
  ) {
    throw new RangeError(`Cannot parse IPv4 address ${text}`);
  }
  return new Uint8Array(octets);
}

/** Parses IPv6 text (with at most one `::`) into 16 bytes. */
export function parseIpv6(text: string): Uint8Array {
  const halves = text.split("::");
  const groups = (s: string | undefined) =>
    s
      ? s.split(":").map((g) => {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) {
          throw new RangeError(`Cannot parse IPv6 address ${text}`);
        }
        return parseInt(g, 16);
      })
      : [];
  if (halves.length > 2) {
    throw new RangeError(`Cannot parse IPv6 address ${text}`);
  }
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) {
    throw new RangeError(`Cannot parse IPv6 address ${text}`);
  }
  const all = [...head, ...new Array(missing).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  all.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return bytes;
}

/** Formats 16 bytes as compressed IPv6 text (RFC 5952). */
export function formatIpv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  const head = hex.slice(0, bestStart).join(":");
  const tail = hex.slice(bestStart + bestLength).join(":");
  return `${head}::${tail}`;
}
