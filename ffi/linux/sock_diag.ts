/**
 * inet_diag over sock_diag (Linux only): the `SOCK_DIAG_BY_FAMILY` request
 * (`struct inet_diag_req_v2`, 56 bytes) and the per-socket reply
 * (`struct inet_diag_msg`, 72 bytes), the netlink interface `ss` uses to
 * list sockets. Ports and addresses are network order; every other integer
 * is host order (little-endian here, see `netlink.ts`).
 *
 * Layouts, from linux `include/uapi/linux/inet_diag.h`:
 *
 * - `struct inet_diag_sockid` (48 bytes): `__be16 idiag_sport` 0,
 *   `__be16 idiag_dport` 2, `__be32 idiag_src[4]` 4, `__be32 idiag_dst[4]`
 *   20, `__u32 idiag_if` 36, `__u32 idiag_cookie[2]` 40. An IPv4 address
 *   fills the first 4 bytes of its 16.
 * - `struct inet_diag_req_v2`: `__u8 sdiag_family` 0, `__u8 sdiag_protocol`
 *   1, `__u8 idiag_ext` 2, `__u8 pad` 3, `__u32 idiag_states` 4, the sockid
 *   at 8.
 * - `struct inet_diag_msg`: `__u8 idiag_family` 0, `__u8 idiag_state` 1,
 *   `__u8 idiag_timer` 2, `__u8 idiag_retrans` 3, the sockid at 4, then
 *   `__u32 idiag_expires` 52, `idiag_rqueue` 56, `idiag_wqueue` 60,
 *   `idiag_uid` 64, `idiag_inode` 68. Attributes may follow; they are not
 *   read here.
 *
 * `SOCK_DIAG_BY_FAMILY` 20 is from `include/uapi/linux/sock_diag.h`;
 * `INET_DIAG_NOCOOKIE` (~0U) from `inet_diag.h`; state bits `1 << state`
 * (`TCPF_*`) from `include/net/tcp_states.h`. A dump walks the kernel's
 * tables and skips a socket whose local port differs from a non-zero
 * `idiag_sport`, or whose remote port differs from a non-zero `idiag_dport`
 * (`net/ipv4/inet_diag.c`, `inet_diag_dump_icsk`); addresses are not
 * filtered. A request without `NLM_F_DUMP` looks up one socket by the whole
 * 4-tuple in the kernel's hash tables (`inet_diag_find_one_icsk`): the
 * established table, TIME_WAIT included, then the listeners on the local
 * port; the answer is one message, or `NLMSG_ERROR` with ENOENT.
 *
 * @module
 */

import { LINUX } from "../tables/linux.ts";
import { encodeNetlinkMessage, NLM_F_DUMP, NLM_F_REQUEST } from "./netlink.ts";
import {
  formatIpv6,
  parseIpv4,
  parseIpv6,
  type SocketAddress,
} from "../sockaddr.ts";

/** The sock_diag request type that dispatches on `sdiag_family`. */
export const SOCK_DIAG_BY_FAMILY = 20;
/** `sizeof(struct inet_diag_sockid)`. */
export const INET_DIAG_SOCKID_SIZE = 48;
/** `sizeof(struct inet_diag_req_v2)`. */
export const INET_DIAG_REQ_V2_SIZE = 56;
/** `sizeof(struct inet_diag_msg)`. */
export const INET_DIAG_MSG_SIZE = 72;
/** A cookie that matches any socket. */
export const INET_DIAG_NOCOOKIE = 0xffffffff;

/**
 * Every real TCP state, `1 << state` for TCP_ESTABLISHED (1) through
 * TCP_NEW_SYN_RECV (12). Bit 13, TCP_BOUND_INACTIVE on newer kernels, asks
 * for bound sockets that never listened or connected; it is left out.
 */
export const TCP_ALL_STATES = 0x1ffe;

/** One end of a request's socket identity. */
export interface InetDiagEnd {
  readonly address: string;
  /** In a dump, 0 matches any port. */
  readonly port: number;
}

/**
 * A request: either a dump of the sockets whose ports match (addresses are
 * not compared; `0.0.0.0` or `::` will do), or the lookup of the one socket
 * with exactly this 4-tuple.
 */
export interface InetDiagRequest {
  readonly family: SocketAddress["family"];
  /** Bit mask, `1 << state` per Linux TCP state; a lookup ignores it. */
  readonly states: number;
  readonly local: InetDiagEnd;
  readonly remote: InetDiagEnd;
  /** `NLM_F_DUMP` (walks the whole table) or an exact lookup. */
  readonly dump: boolean;
}

/** One socket as the kernel reported it. */
export interface InetDiagSocket {
  /** Linux TCP state number (`include/net/tcp_states.h`). */
  readonly state: number;
  readonly local: SocketAddress;
  readonly remote: SocketAddress;
  readonly uid: number;
  /** 0 for a socket no file refers to any more (TIME_WAIT, orphans). */
  readonly inode: number;
}

/**
 * Encodes `struct inet_diag_req_v2` for TCP: no extensions, no cookie.
 *
 * @throws {RangeError} for a port outside 0..65535 or an address that does
 * not parse.
 */
export function encodeInetDiagRequest(
  request: InetDiagRequest,
): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(INET_DIAG_REQ_V2_SIZE);
  const view = new DataView(bytes.buffer);
  const c = LINUX.constants;
  const inet6 = request.family === "inet6";
  view.setUint8(0, inet6 ? c.AF_INET6 : c.AF_INET);
  view.setUint8(1, c.IPPROTO_TCP);
  view.setUint32(4, request.states >>> 0, true);
  const ends = [[8, 12, request.local], [10, 28, request.remote]] as const;
  for (const [portAt, addressAt, end] of ends) {
    if (!Number.isInteger(end.port) || end.port < 0 || end.port > 0xffff) {
      throw new RangeError(`Cannot encode port ${end.port}: not 0..65535`);
    }
    view.setUint16(portAt, end.port, false);
    bytes.set((inet6 ? parseIpv6 : parseIpv4)(end.address), addressAt);
  }
  view.setUint32(48, INET_DIAG_NOCOOKIE, true);
  view.setUint32(52, INET_DIAG_NOCOOKIE, true);
  return bytes;
}

/**
 * The whole request: a netlink header (`SOCK_DIAG_BY_FAMILY`,
 * `NLM_F_REQUEST`, plus `NLM_F_DUMP` for a dump) and the inet_diag request.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeSockDiagRequest, TCP_ALL_STATES } from "./sock_diag.ts";
 * const any = { family: "inet", address: "0.0.0.0", port: 0 } as const;
 * const bytes = encodeSockDiagRequest(
 *   { family: "inet", states: TCP_ALL_STATES, local: any, remote: any, dump: true },
 *   1,
 * );
 * // nlmsghdr (16) + inet_diag_req_v2 (56)
 * assert.equal(bytes.byteLength, 72);
 * ```
 */
export function encodeSockDiagRequest(
  request: InetDiagRequest,
  seq: number,
): Uint8Array<ArrayBuffer> {
  const flags = NLM_F_REQUEST | (request.dump ? NLM_F_DUMP : 0);
  return encodeNetlinkMessage(
    { type: SOCK_DIAG_BY_FAMILY, flags, seq },
    encodeInetDiagRequest(request),
  );
}

/**
 * Decodes the `struct inet_diag_msg` at the start of a reply's payload.
 *
 * @throws {RangeError} for a short payload or a family other than
 * AF_INET/AF_INET6.
 */
export function decodeInetDiagMsg(payload: Uint8Array): InetDiagSocket {
  if (payload.byteLength < INET_DIAG_MSG_SIZE) {
    throw new RangeError(
      `Cannot decode inet_diag_msg: ${payload.byteLength} bytes is too short`,
    );
  }
  const view = new DataView(
    payload.buffer,
    payload.byteOffset,
    payload.byteLength,
  );
  const c = LINUX.constants;
  const familyNumber = view.getUint8(0);
  const family = familyNumber === c.AF_INET
    ? "inet"
    : familyNumber === c.AF_INET6
    ? "inet6"
    : null;
  if (family === null) {
    throw new RangeError(
      `Cannot decode inet_diag_msg: unknown family ${familyNumber}`,
    );
  }
  const address = (offset: number) =>
    family === "inet"
      ? Array.from(payload.subarray(offset, offset + 4)).join(".")
      : formatIpv6(payload.subarray(offset, offset + 16));
  return {
    state: view.getUint8(1),
    local: { family, address: address(8), port: view.getUint16(4, false) },
    remote: { family, address: address(24), port: view.getUint16(6, false) },
    uid: view.getUint32(64, true),
    inode: view.getUint32(68, true),
  };
}
