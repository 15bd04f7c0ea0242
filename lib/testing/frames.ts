/**
 * Test helper: crafts loopback frames (Ethernet with zero MACs, IPv4 or
 * IPv6, TCP) byte by byte, for decoder and pcap tests. Checksums are left
 * zero: nothing here verifies them.
 *
 * @module
 */

import { parseIpv4, parseIpv6 } from "../../ffi/sockaddr.ts";

/** What to put in a crafted frame. */
export interface FrameSpec {
  readonly family: "inet" | "inet6";
  readonly src: string;
  readonly dst: string;
  readonly srcPort: number;
  readonly dstPort: number;
  /** The TCP flags byte. */
  readonly flags: number;
  readonly payload?: number;
  /** IP protocol / next header; 6 (TCP) unless given. */
  readonly protocol?: number;
  /** IPv4 options, in 32-bit words. */
  readonly ipOptionWords?: number;
  /** TCP options, in 32-bit words. */
  readonly tcpOptionWords?: number;
  /** Bytes of padding after the IP packet (as short Ethernet frames get). */
  readonly trailer?: number;
}

/** TCP control bits. */
export const TCP = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
} as const;

/** Builds one frame as Linux's `lo` hands it to a packet socket. */
export function craftFrame(spec: FrameSpec): Uint8Array<ArrayBuffer> {
  const v4 = spec.family === "inet";
  const ipHeader = v4 ? 20 + 4 * (spec.ipOptionWords ?? 0) : 40;
  const tcpHeader = 20 + 4 * (spec.tcpOptionWords ?? 0);
  const payload = spec.payload ?? 0;
  const ipLength = ipHeader + tcpHeader + payload;
  const bytes = new Uint8Array(14 + ipLength + (spec.trailer ?? 0));
  const view = new DataView(bytes.buffer);
  view.setUint16(12, v4 ? 0x0800 : 0x86dd);
  const ip = 14;
  if (v4) {
    view.setUint8(ip, 0x40 | (ipHeader / 4));
    view.setUint16(ip + 2, ipLength);
    view.setUint16(ip + 6, 0x4000); // DF, offset 0
    view.setUint8(ip + 8, 64);
    view.setUint8(ip + 9, spec.protocol ?? 6);
    bytes.set(parseIpv4(spec.src), ip + 12);
    bytes.set(parseIpv4(spec.dst), ip + 16);
  } else {
    view.setUint8(ip, 0x60);
    view.setUint16(ip + 4, tcpHeader + payload);
    view.setUint8(ip + 6, spec.protocol ?? 6);
    view.setUint8(ip + 7, 64);
    bytes.set(parseIpv6(spec.src), ip + 8);
    bytes.set(parseIpv6(spec.dst), ip + 24);
  }
  const tcp = ip + ipHeader;
  view.setUint16(tcp, spec.srcPort);
  view.setUint16(tcp + 2, spec.dstPort);
  view.setUint32(tcp + 4, 1000); // seq
  view.setUint32(tcp + 8, (spec.flags & TCP.ACK) ? 2000 : 0); // ack
  view.setUint8(tcp + 12, (tcpHeader / 4) << 4);
  view.setUint8(tcp + 13, spec.flags);
  view.setUint16(tcp + 14, 65535); // window
  // TCP options as NOPs, so a reader never trips over garbage.
  bytes.fill(1, tcp + 20, tcp + tcpHeader);
  bytes.fill(0x61, tcp + tcpHeader, tcp + tcpHeader + payload); // "a"
  return bytes;
}
