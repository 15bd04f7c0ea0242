/**
 * Classic pcap files (the libpcap format tcpdump and Wireshark read):
 * a 24-byte global header (magic 0xa1b2c3d4, version 2.4, snaplen 262144,
 * link type 1, LINKTYPE_ETHERNET) then per frame a 16-byte record header
 * (ts_sec, ts_usec, incl_len, orig_len) and the frame's bytes. Every field
 * is written little-endian; readers tell the byte order by the magic.
 * Encoding only: the caller writes the file.
 *
 * Source: the pcap file format, draft-ietf-opsawg-pcap and
 * `pcap/pcap.h` (`struct pcap_file_header`) in libpcap.
 *
 * @module
 */

import type { Frame } from "./segments.ts";

/** Magic number of a microsecond-resolution pcap file. */
export const PCAP_MAGIC = 0xa1b2c3d4;
/** The file format version this writes. */
export const PCAP_VERSION = { major: 2, minor: 4 } as const;
/** Largest frame kept whole; longer frames are cut to this length. */
export const PCAP_SNAPLEN = 262144;
/** `LINKTYPE_ETHERNET` (DLT_EN10MB): frames start with a 14-byte header. */
export const LINKTYPE_ETHERNET = 1;
/** Size of the global header. */
export const PCAP_HEADER_SIZE = 24;
/** Size of each record's header. */
export const PCAP_RECORD_HEADER_SIZE = 16;

/**
 * Encodes frames as a pcap file, in the order given. A frame's `timeUs`
 * (microseconds since the Unix epoch; 0 when absent) becomes the record's
 * ts_sec and ts_usec.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodePcap } from "./pcap.ts";
 * const file = encodePcap([{ bytes: new Uint8Array(60), timeUs: 1_500_000 }]);
 * // file header, one record header, the frame
 * assert.equal(file.byteLength, 24 + 16 + 60);
 * ```
 */
export function encodePcap(frames: readonly Frame[]): Uint8Array<ArrayBuffer> {
  const kept = frames.map((f) => f.bytes.subarray(0, PCAP_SNAPLEN));
  const size = kept.reduce(
    (sum, b) => sum + PCAP_RECORD_HEADER_SIZE + b.byteLength,
    PCAP_HEADER_SIZE,
  );
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, PCAP_MAGIC, true);
  view.setUint16(4, PCAP_VERSION.major, true);
  view.setUint16(6, PCAP_VERSION.minor, true);
  view.setInt32(8, 0, true); // thiszone: timestamps are UTC
  view.setUint32(12, 0, true); // sigfigs: always 0
  view.setUint32(16, PCAP_SNAPLEN, true);
  view.setUint32(20, LINKTYPE_ETHERNET, true);
  let at = PCAP_HEADER_SIZE;
  frames.forEach((frame, i) => {
    const bytes = kept[i]!;
    const us = Math.max(0, Math.round(frame.timeUs ?? 0));
    view.setUint32(at, Math.floor(us / 1e6), true);
    view.setUint32(at + 4, us % 1e6, true);
    view.setUint32(at + 8, bytes.byteLength, true);
    view.setUint32(at + 12, frame.bytes.byteLength, true);
    out.set(bytes, at + PCAP_RECORD_HEADER_SIZE);
    at += PCAP_RECORD_HEADER_SIZE + bytes.byteLength;
  });
  return out;
}
