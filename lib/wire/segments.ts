/**
 * Decodes captured loopback frames into the segments of one connection, as
 * tcpdump would summarise them: who sent it, the flags in tcpdump's notation
 * and the payload length. Pure functions over bytes; the capture itself is
 * `capture.ts`.
 *
 * A frame as Linux's `lo` delivers it to a packet socket: a 14-byte Ethernet
 * header (zero MACs), then IPv4 or IPv6, then TCP. Loopback shows every
 * packet twice, once leaving (PACKET_OUTGOING) and once arriving
 * (PACKET_HOST); like libpcap, escoteria keeps the arriving copy only.
 *
 * Sources: RFC 791 (IPv4 header), RFC 8200 (IPv6 header), RFC 9293 (TCP
 * header, control bits), tcpdump `print-tcp.c` (`tcp_flag_values`: the flag
 * letters F S R P . U E W in that order, "none" when no flag is set),
 * linux `include/uapi/linux/if_packet.h` (PACKET_OUTGOING 4).
 *
 * @module
 */

import {
  ETH_HLEN,
  ETH_P_IP,
  ETH_P_IPV6,
  PACKET_OUTGOING,
} from "../../ffi/linux/packet.ts";
import { formatIpv6, type SocketAddress } from "../../ffi/sockaddr.ts";
import { type Endpoints, senderOf, type Side } from "../net/endpoints.ts";

/** One TCP segment as tcpdump would summarise it. */
export interface Segment {
  /** Which side sent it. */
  from: Side;
  /** Control bits in tcpdump's notation, e.g. `S.`, `FP.`, `R.`. */
  flags: string;
  /** Payload octets. */
  len: number;
}

/** One captured link-layer frame. */
export interface Frame {
  /** The frame from its Ethernet header on. */
  readonly bytes: Uint8Array;
  /**
   * When the kernel stamped it, in microseconds since the Unix epoch,
   * nanoseconds kept as a fraction; absent where the kernel gives no
   * stamps (never the time it was read, which would misplace it).
   */
  readonly timeUs?: number;
  /** `sll_pkttype` as the packet socket reported it. */
  readonly pkttype?: number;
}

/** The summary of one TCP segment found in a frame. */
export interface TcpPacket {
  readonly src: SocketAddress;
  readonly dst: SocketAddress;
  /** Control bits in tcpdump's notation, e.g. `S.`, `FP.`, `R`. */
  readonly flags: string;
  /** Payload octets. */
  readonly len: number;
}

const IPPROTO_TCP = 6;
const IPV4_MIN_HEADER = 20;
const IPV6_HEADER = 40;
const TCP_MIN_HEADER = 20;

/** tcpdump's letters for the TCP control bits, in the order it prints them. */
const FLAG_LETTERS: readonly (readonly [number, string])[] = [
  [0x01, "F"], // FIN
  [0x02, "S"], // SYN
  [0x04, "R"], // RST
  [0x08, "P"], // PSH
  [0x10, "."], // ACK
  [0x20, "U"], // URG
  [0x40, "E"], // ECE
  [0x80, "W"], // CWR
];

/**
 * The TCP flags byte in tcpdump's notation.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatFlags } from "./segments.ts";
 * assert.equal(formatFlags(0x12), "S.");
 * assert.equal(formatFlags(0x19), "FP.");
 * assert.equal(formatFlags(0), "none");
 * ```
 */
export function formatFlags(bits: number): string {
  const text = FLAG_LETTERS.filter(([bit]) => (bits & bit) !== 0)
    .map(([, letter]) => letter).join("");
  return text === "" ? "none" : text;
}

/**
 * Decodes one Ethernet frame carrying TCP over IPv4 or IPv6. Returns `null`
 * for anything else, for a non-first fragment, an IPv6 extension header, or
 * a frame too short to hold the headers; never throws.
 */
export function decodeFrame(bytes: Uint8Array): TcpPacket | null {
  if (bytes.byteLength < ETH_HLEN) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const etherType = view.getUint16(12);
  const ip = ETH_HLEN;
  let family: SocketAddress["family"];
  let src: string;
  let dst: string;
  let tcp: number;
  let ipPayload: number;
  if (etherType === ETH_P_IP) {
    if (bytes.byteLength < ip + IPV4_MIN_HEADER) return null;
    const first = view.getUint8(ip);
    const headerLength = (first & 0x0f) * 4;
    if (first >> 4 !== 4 || headerLength < IPV4_MIN_HEADER) return null;
    if (view.getUint8(ip + 9) !== IPPROTO_TCP) return null;
    if ((view.getUint16(ip + 6) & 0x1fff) !== 0) return null; // fragment
    family = "inet";
    src = bytes.subarray(ip + 12, ip + 16).join(".");
    dst = bytes.subarray(ip + 16, ip + 20).join(".");
    tcp = ip + headerLength;
    ipPayload = view.getUint16(ip + 2) - headerLength;
  } else if (etherType === ETH_P_IPV6) {
    if (bytes.byteLength < ip + IPV6_HEADER) return null;
    if (view.getUint8(ip) >> 4 !== 6) return null;
    if (view.getUint8(ip + 6) !== IPPROTO_TCP) return null;
    family = "inet6";
    src = formatIpv6(bytes.subarray(ip + 8, ip + 24));
    dst = formatIpv6(bytes.subarray(ip + 24, ip + 40));
    tcp = ip + IPV6_HEADER;
    ipPayload = view.getUint16(ip + 4);
  } else {
    return null;
  }
  if (bytes.byteLength < tcp + TCP_MIN_HEADER) return null;
  const dataOffset = (view.getUint8(tcp + 12) >> 4) * 4;
  const len = ipPayload - dataOffset;
  if (dataOffset < TCP_MIN_HEADER || len < 0) return null;
  return {
    src: { family, address: src, port: view.getUint16(tcp) },
    dst: { family, address: dst, port: view.getUint16(tcp + 2) },
    flags: formatFlags(view.getUint8(tcp + 13)),
    len,
  };
}

/**
 * Keeps one copy of each loopback packet: drops the PACKET_OUTGOING copies,
 * keeping the arriving ones (what libpcap does on `lo`, so the order is
 * tcpdump's). Frames without a `pkttype` are kept.
 */
export function dedupeLoopback(frames: readonly Frame[]): Frame[] {
  return frames.filter((f) => f.pkttype !== PACKET_OUTGOING);
}

/** A frame of the connection, with its segment. */
export interface ConnectionFrame {
  readonly frame: Frame;
  readonly segment: Segment;
}

/**
 * The frames between the two `endpoints`, one copy each, in capture order,
 * with the segment each carries. Frames of other connections and non-TCP
 * frames are left out. `loopback` (the default) says the frames come from
 * `lo`, which shows each packet twice; an interface between two hosts
 * (a veth) shows each once, leaving or arriving.
 */
export function connectionFrames(
  frames: readonly Frame[],
  endpoints: Endpoints,
  loopback = true,
): ConnectionFrame[] {
  return (loopback ? dedupeLoopback(frames) : frames).flatMap((frame) => {
    const packet = decodeFrame(frame.bytes);
    if (packet === null) return [];
    const from = senderOf(endpoints, packet.src, packet.dst);
    if (from === null) return [];
    return [{ frame, segment: { from, flags: packet.flags, len: packet.len } }];
  });
}

/** The segments between `endpoints`, in order (see {@linkcode connectionFrames}). */
export function segmentsOf(
  frames: readonly Frame[],
  endpoints: Endpoints,
): Segment[] {
  return connectionFrames(frames, endpoints).map((c) => c.segment);
}
