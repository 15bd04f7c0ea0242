/**
 * Linux AF_PACKET facts for the loopback wire capture: the constants a
 * packet socket needs, the `struct sockaddr_ll` codec and the loopback
 * interface index. Linux only; the other OSes capture through BPF devices,
 * which escoteria does not implement.
 *
 * Sources (linux `torvalds/linux`, checked against the Debian 12 uapi
 * headers under `/usr/include/linux`):
 * `include/linux/socket.h` (AF_PACKET 17, SOL_PACKET 263),
 * `include/linux/net.h` (`enum sock_type`: SOCK_RAW 3),
 * `include/uapi/linux/if_ether.h` (ETH_HLEN 14, ETH_P_ALL 0x0003,
 * ETH_P_IP 0x0800, ETH_P_IPV6 0x86DD),
 * `include/uapi/linux/if_packet.h` (`struct sockaddr_ll`, PACKET_HOST 0 …
 * PACKET_OUTGOING 4),
 * `include/uapi/linux/if_arp.h` (ARPHRD_LOOPBACK 772),
 * `include/uapi/asm-generic/socket.h` (SO_RCVBUFFORCE 33),
 * `include/uapi/linux/if_packet.h` (PACKET_STATISTICS 6,
 * `struct tpacket_stats { unsigned int tp_packets, tp_drops; }`).
 *
 * @module
 */

import type { Posix } from "../posix.ts";

/** `AF_PACKET` (= `PF_PACKET`), `include/linux/socket.h`. */
export const AF_PACKET = 17;
/** `SOL_PACKET`, the option level of packet sockets. */
export const SOL_PACKET = 263;
/** `SOCK_RAW`: frames with their link-layer header. */
export const SOCK_RAW = 3;
/** `SO_RCVBUFFORCE`: SO_RCVBUF past `net.core.rmem_max` (CAP_NET_ADMIN). */
export const SO_RCVBUFFORCE = 33;

/** `PACKET_STATISTICS`: read (and reset) the counts of received and dropped frames. */
export const PACKET_STATISTICS = 6;
/** `sizeof(struct tpacket_stats)`: `tp_packets` at 0, `tp_drops` at 4. */
export const TPACKET_STATS_SIZE = 8;

/** Octets in an Ethernet II header (`ETH_HLEN`). */
export const ETH_HLEN = 14;
/** Every protocol (`ETH_P_ALL`); give it to `socket()` through `htons`. */
export const ETH_P_ALL = 0x0003;
/** IPv4 EtherType (`ETH_P_IP`). */
export const ETH_P_IP = 0x0800;
/** IPv6 EtherType (`ETH_P_IPV6`). */
export const ETH_P_IPV6 = 0x86dd;

/** `sll_pkttype`: addressed to this host (the incoming copy on `lo`). */
export const PACKET_HOST = 0;
/** `sll_pkttype`: link-layer broadcast. */
export const PACKET_BROADCAST = 1;
/** `sll_pkttype`: link-layer multicast. */
export const PACKET_MULTICAST = 2;
/** `sll_pkttype`: addressed to another host (promiscuous mode). */
export const PACKET_OTHERHOST = 3;
/** `sll_pkttype`: sent by this host (the outgoing copy on `lo`). */
export const PACKET_OUTGOING = 4;

/** `sll_hatype` of the loopback device (`ARPHRD_LOOPBACK`). */
export const ARPHRD_LOOPBACK = 772;

/** `sizeof(struct sockaddr_ll)`. */
export const SOCKADDR_LL_SIZE = 20;

/**
 * `struct sockaddr_ll`:
 * `u16 sll_family` (host order) at 0, `__be16 sll_protocol` at 2,
 * `int sll_ifindex` (host order) at 4, `u16 sll_hatype` at 8,
 * `u8 sll_pkttype` at 10, `u8 sll_halen` at 11, `u8 sll_addr[8]` at 12.
 */
export interface SockaddrLl {
  readonly family: number;
  /** EtherType in host order (the codec swaps it to network order). */
  readonly protocol: number;
  readonly ifindex: number;
  readonly hatype: number;
  readonly pkttype: number;
  /** The first `halen` bytes of `sll_addr` (at most 8). */
  readonly addr: Uint8Array;
}

// x86_64 and aarch64 Linux are little-endian; the u16/int fields are host order.
const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * A 16-bit value in network byte order, as C's `htons()` returns it: the
 * number whose host-order bytes are `value`'s big-endian bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ETH_P_ALL, htons } from "./packet.ts";
 * const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
 * assert.equal(htons(ETH_P_ALL), littleEndian ? 0x0300 : 0x0003);
 * ```
 */
export function htons(value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) {
    throw new RangeError(`Cannot convert ${value} to u16: not 0..65535`);
  }
  return littleEndianHost ? ((value & 0xff) << 8) | (value >> 8) : value;
}

/**
 * Encodes a `struct sockaddr_ll`, e.g. for `bind()` to one interface.
 * Omitted fields are zero; `family` defaults to AF_PACKET.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeSockaddrLl, ETH_P_ALL, SOCKADDR_LL_SIZE } from "./packet.ts";
 * const bytes = encodeSockaddrLl({ protocol: ETH_P_ALL, ifindex: 1 });
 * assert.equal(bytes.byteLength, SOCKADDR_LL_SIZE);
 * ```
 */
export function encodeSockaddrLl(
  sll: Partial<SockaddrLl> & { readonly ifindex: number },
): Uint8Array<ArrayBuffer> {
  const addr = sll.addr ?? new Uint8Array(0);
  if (addr.byteLength > 8) {
    throw new RangeError(
      `Cannot encode sockaddr_ll: sll_addr holds 8 bytes, not ${addr.byteLength}`,
    );
  }
  const bytes = new Uint8Array(SOCKADDR_LL_SIZE);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, sll.family ?? AF_PACKET, littleEndianHost);
  view.setUint16(2, sll.protocol ?? 0, false);
  view.setInt32(4, sll.ifindex, littleEndianHost);
  view.setUint16(8, sll.hatype ?? 0, littleEndianHost);
  view.setUint8(10, sll.pkttype ?? 0);
  view.setUint8(11, addr.byteLength);
  bytes.set(addr, 12);
  return bytes;
}

/**
 * Decodes the `struct sockaddr_ll` that `recvfrom()` filled in.
 *
 * @throws {RangeError} for a buffer shorter than 20 bytes.
 */
export function decodeSockaddrLl(bytes: Uint8Array): SockaddrLl {
  if (bytes.byteLength < SOCKADDR_LL_SIZE) {
    throw new RangeError(
      `Cannot decode sockaddr_ll: ${bytes.byteLength} bytes is too short`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const halen = Math.min(view.getUint8(11), 8);
  return {
    family: view.getUint16(0, littleEndianHost),
    protocol: view.getUint16(2, false),
    ifindex: view.getInt32(4, littleEndianHost),
    hatype: view.getUint16(8, littleEndianHost),
    pkttype: view.getUint8(10),
    addr: bytes.slice(12, 12 + halen),
  };
}

/** The loopback interface's name on Linux. */
export const LOOPBACK_NAME = "lo";

/**
 * The loopback interface's index, from `if_nametoindex("lo")` (sysfs and
 * procfs need `--allow-all` under Deno 2.9, libc does not); `null` when
 * there is no `lo`.
 */
export function loopbackIfindex(posix: Posix): number | null {
  return posix.ifNameToIndex(LOOPBACK_NAME);
}
