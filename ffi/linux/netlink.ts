/**
 * Netlink message framing (Linux only): the 16-byte `struct nlmsghdr`, the
 * message types and flags a dump uses, `struct nlmsgerr`, and a reader that
 * turns the datagrams of a reply (one message, or a multipart dump up to
 * `NLMSG_DONE`) into payloads or an error. Header fields are host order;
 * escoteria runs on little-endian hosts only (x86_64, aarch64), as
 * `sockaddr.ts` assumes too.
 *
 * Sources: linux `include/uapi/linux/netlink.h` (`struct nlmsghdr`:
 * `__u32 nlmsg_len; __u16 nlmsg_type; __u16 nlmsg_flags; __u32 nlmsg_seq;
 * __u32 nlmsg_pid;`, `NLM_F_*`, `NLMSG_NOOP/ERROR/DONE/OVERRUN` 1..4,
 * `NLMSG_ALIGNTO` 4, `struct nlmsgerr { int error; struct nlmsghdr msg; }`,
 * `NETLINK_SOCK_DIAG` 4), `include/linux/socket.h` (`AF_NETLINK` 16,
 * `MSG_TRUNC` 0x20), `include/linux/net.h` (`SOCK_RAW` 3 in
 * `enum sock_type`); `net/netlink/af_netlink.c` (`netlink_dump_done` puts an
 * `int`, the dump's result, in the payload of `NLMSG_DONE`).
 *
 * @module
 */

/** `AF_NETLINK` (= `PF_NETLINK`). */
export const AF_NETLINK = 16;
/** `SOCK_RAW`: netlink accepts `SOCK_RAW` or `SOCK_DGRAM`. */
export const SOCK_RAW = 3;
/** The sock_diag netlink family (`NETLINK_INET_DIAG` is an alias). */
export const NETLINK_SOCK_DIAG = 4;
/** `recv()` flag: return the datagram's real length even if truncated. */
export const MSG_TRUNC = 0x20;

/** `sizeof(struct nlmsghdr)`, already a multiple of `NLMSG_ALIGNTO`. */
export const NLMSG_HDRLEN = 16;
/** Messages in a datagram start on 4-byte boundaries. */
export const NLMSG_ALIGNTO = 4;

/** It is a request message. */
export const NLM_F_REQUEST = 0x01;
/** Multipart message, terminated by `NLMSG_DONE`. */
export const NLM_F_MULTI = 0x02;
/** The dump was inconsistent because the table changed during it. */
export const NLM_F_DUMP_INTR = 0x10;
/** `NLM_F_ROOT | NLM_F_MATCH` (0x100 | 0x200): dump the whole table. */
export const NLM_F_DUMP = 0x300;

/** Nothing: skip it. */
export const NLMSG_NOOP = 0x1;
/** An error (or an acknowledgement, when `error` is 0). */
export const NLMSG_ERROR = 0x2;
/** End of a multipart dump. */
export const NLMSG_DONE = 0x3;
/** Data lost. */
export const NLMSG_OVERRUN = 0x4;

/** A decoded `struct nlmsghdr`. */
export interface NetlinkHeader {
  /** `nlmsg_len`: header plus payload, without trailing alignment. */
  readonly length: number;
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  readonly pid: number;
}

/** One message of a datagram: its header and the bytes after the header. */
export interface NetlinkMessage {
  readonly header: NetlinkHeader;
  readonly payload: Uint8Array;
}

/** Rounds `length` up to the next multiple of {@linkcode NLMSG_ALIGNTO}. */
export function nlmsgAlign(length: number): number {
  return (length + NLMSG_ALIGNTO - 1) & ~(NLMSG_ALIGNTO - 1);
}

/**
 * Encodes one request: a `struct nlmsghdr` whose `nlmsg_len` covers
 * `payload`, then `payload`, padded to {@linkcode NLMSG_ALIGNTO}. `pid` 0
 * lets the kernel fill in the sender's port id.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeNetlinkMessage, NLM_F_REQUEST } from "./netlink.ts";
 * const bytes = encodeNetlinkMessage(
 *   { type: 20, flags: NLM_F_REQUEST, seq: 1 },
 *   new Uint8Array(4),
 * );
 * // nlmsg_len: the 16-byte header plus the payload, little-endian
 * assert.equal(bytes.byteLength, 20);
 * assert.deepEqual([...bytes.subarray(0, 4)], [20, 0, 0, 0]);
 * ```
 */
export function encodeNetlinkMessage(
  header: { type: number; flags: number; seq: number; pid?: number },
  payload: Uint8Array,
): Uint8Array<ArrayBuffer> {
  const length = NLMSG_HDRLEN + payload.byteLength;
  const bytes = new Uint8Array(nlmsgAlign(length));
  const view = new DataView(bytes.buffer);
  view.setUint32(0, length, true);
  view.setUint16(4, header.type, true);
  view.setUint16(6, header.flags, true);
  view.setUint32(8, header.seq, true);
  view.setUint32(12, header.pid ?? 0, true);
  bytes.set(payload, NLMSG_HDRLEN);
  return bytes;
}

/**
 * Splits one received datagram into its messages.
 *
 * @throws {RangeError} when a header's length runs past the datagram or is
 * shorter than a header (the checks of the kernel's `NLMSG_OK`).
 */
export function splitNetlinkMessages(datagram: Uint8Array): NetlinkMessage[] {
  const view = new DataView(
    datagram.buffer,
    datagram.byteOffset,
    datagram.byteLength,
  );
  const out: NetlinkMessage[] = [];
  let offset = 0;
  while (offset < datagram.byteLength) {
    const left = datagram.byteLength - offset;
    if (left < NLMSG_HDRLEN) {
      throw new RangeError(
        `Cannot decode netlink message at ${offset}: ${left} bytes is shorter than a header`,
      );
    }
    const length = view.getUint32(offset, true);
    if (length < NLMSG_HDRLEN || length > left) {
      throw new RangeError(
        `Cannot decode netlink message at ${offset}: length ${length} with ${left} bytes left`,
      );
    }
    out.push({
      header: {
        length,
        type: view.getUint16(offset + 4, true),
        flags: view.getUint16(offset + 6, true),
        seq: view.getUint32(offset + 8, true),
        pid: view.getUint32(offset + 12, true),
      },
      payload: datagram.subarray(offset + NLMSG_HDRLEN, offset + length),
    });
    offset += nlmsgAlign(length);
  }
  return out;
}

/**
 * How far the reply to one request has got. A request is answered by one
 * message without `NLM_F_MULTI` (a lookup), by `NLM_F_MULTI` messages up to
 * `NLMSG_DONE` (a dump), or by `NLMSG_ERROR`.
 */
export interface ReplyProgress {
  /** Payloads of the reply's data messages, in order. */
  readonly payloads: Uint8Array[];
  /** Whether the reply is complete. */
  done: boolean;
  /**
   * The kernel's error as a positive errno number (from `NLMSG_ERROR`, or a
   * negative `NLMSG_DONE` result), `null` while there is none.
   */
  errno: number | null;
  /** Whether any message carried `NLM_F_DUMP_INTR`. */
  interrupted: boolean;
}

/** A reply that has received nothing yet. */
export function startReply(): ReplyProgress {
  return { payloads: [], done: false, errno: null, interrupted: false };
}

/**
 * Adds the messages of one datagram to the reply to request `seq`.
 * Messages of another sequence number (a stale reply) and `NLMSG_NOOP` are
 * skipped; whatever follows the end of the reply is ignored.
 *
 * @throws {RangeError} for a malformed datagram, a short error payload or
 * `NLMSG_OVERRUN`.
 */
export function readReplyDatagram(
  progress: ReplyProgress,
  datagram: Uint8Array,
  seq: number,
): ReplyProgress {
  for (const { header, payload } of splitNetlinkMessages(datagram)) {
    if (progress.done) break;
    if (header.seq !== seq || header.type === NLMSG_NOOP) continue;
    if ((header.flags & NLM_F_DUMP_INTR) !== 0) progress.interrupted = true;
    if (header.type === NLMSG_ERROR) {
      // error 0 acknowledges a request; requests here do not ask for it.
      const error = decodeIntPayload(payload, "NLMSG_ERROR");
      progress.errno = error < 0 ? -error : null;
      progress.done = true;
    } else if (header.type === NLMSG_DONE) {
      // The kernel sends the dump's result as an int; accept it missing.
      const result = payload.byteLength >= 4
        ? decodeIntPayload(payload, "NLMSG_DONE")
        : 0;
      progress.errno = result < 0 ? -result : null;
      progress.done = true;
    } else if (header.type === NLMSG_OVERRUN) {
      throw new RangeError("Cannot read netlink reply: NLMSG_OVERRUN");
    } else {
      progress.payloads.push(payload);
      if ((header.flags & NLM_F_MULTI) === 0) progress.done = true;
    }
  }
  return progress;
}

/** The leading host-order `int` of an `NLMSG_ERROR` or `NLMSG_DONE`. */
function decodeIntPayload(payload: Uint8Array, what: string): number {
  if (payload.byteLength < 4) {
    throw new RangeError(
      `Cannot decode ${what}: ${payload.byteLength} bytes is too short`,
    );
  }
  return new DataView(payload.buffer, payload.byteOffset, 4).getInt32(0, true);
}
