/**
 * rtnetlink codecs (Linux only): the requests that build a veth pair
 * between two network namespaces and configure each end (`RTM_NEWLINK`,
 * `RTM_NEWADDR`/`RTM_DELADDR`, `RTM_NEWNEIGH`), the `struct rtattr`
 * attributes they carry, nested with 4-byte alignment, and the reader of
 * the kernel's acknowledgement (`NLMSG_ERROR`, with the extended ack's
 * message when the kernel adds one). Integers are host order
 * (little-endian here, see `netlink.ts`); IPv4 addresses are network order.
 *
 * Sources (linux `include/uapi/`, checked against the Debian 12 headers
 * under `/usr/include/linux` by compiling a program that prints each value
 * and `sizeof`/`offsetof`):
 *
 * - `linux/netlink.h`: `NETLINK_ROUTE` 0, `NLM_F_ACK` 0x04,
 *   `NLM_F_EXCL` 0x200, `NLM_F_CREATE` 0x400 (new requests), `NLM_F_CAPPED`
 *   0x100 and `NLM_F_ACK_TLVS` 0x200 (flags of an ack),
 *   `struct nlmsgerr { int error; struct nlmsghdr msg; }`,
 *   `NLMSGERR_ATTR_MSG` 1, `SOL_NETLINK` 270 (`linux/socket.h`),
 *   `NETLINK_CAP_ACK` 10, `NETLINK_EXT_ACK` 11.
 * - `linux/rtnetlink.h`: `RTM_NEWLINK` 16, `RTM_NEWADDR` 20, `RTM_DELADDR`
 *   21, `RTM_NEWNEIGH` 28; `struct rtattr { unsigned short rta_len;
 *   unsigned short rta_type; }` (4 bytes), `RTA_ALIGNTO` 4;
 *   `struct ifinfomsg { unsigned char ifi_family; unsigned char __ifi_pad;
 *   unsigned short ifi_type; int ifi_index; unsigned ifi_flags;
 *   unsigned ifi_change; }` (16 bytes: index at 4, flags at 8, change at
 *   12).
 * - `linux/if_link.h`: `IFLA_ADDRESS` 1, `IFLA_IFNAME` 3, `IFLA_OPERSTATE`
 *   16 (a `u8`), `IFLA_LINKINFO` 18, `IFLA_AF_SPEC` 26, `IFLA_NET_NS_FD` 28 (a `u32` fd); inside
 *   `IFLA_LINKINFO`, `IFLA_INFO_KIND` 1 (a string) and `IFLA_INFO_DATA` 2;
 *   inside `IFLA_AF_SPEC`'s `AF_INET6` (10), `IFLA_INET6_ADDR_GEN_MODE` 8
 *   (a `u8`), `IN6_ADDR_GEN_MODE_NONE` 1.
 * - `linux/veth.h`: `VETH_INFO_PEER` 1, whose payload is a
 *   `struct ifinfomsg` followed by the peer's own `IFLA_*` attributes
 *   (`drivers/net/veth.c`, `veth_newlink`, which gives the peer the
 *   `ifi_index` of that inner header when the request's own `ifi_index`
 *   is not 0).
 * - `linux/if_addr.h`: `struct ifaddrmsg { __u8 ifa_family; __u8
 *   ifa_prefixlen; __u8 ifa_flags; __u8 ifa_scope; __u32 ifa_index; }`
 *   (8 bytes), `IFA_ADDRESS` 1, `IFA_LOCAL` 2; `RT_SCOPE_UNIVERSE` 0
 *   (`linux/rtnetlink.h`).
 * - `linux/neighbour.h`: `struct ndmsg { __u8 ndm_family; __u8 ndm_pad1;
 *   __u16 ndm_pad2; __s32 ndm_ifindex; __u16 ndm_state; __u8 ndm_flags;
 *   __u8 ndm_type; }` (12 bytes), `NDA_DST` 1, `NDA_LLADDR` 2,
 *   `NUD_PERMANENT` 0x80; `RTN_UNICAST` 1 (`linux/rtnetlink.h`).
 * - `linux/if.h`: `IFF_UP` 0x1; `IF_OPER_UP` 6 (RFC 2863 operational
 *   state, `enum` after `IF_OPER_UNKNOWN` 0 … `IF_OPER_DORMANT` 5).
 * - `linux/rtnetlink.h`: `RTM_GETLINK` 18, answered by one `RTM_NEWLINK`.
 * - `linux/net_namespace.h`: `NETNSA_NSID` 1 (an `s32`), `NETNSA_FD` 3
 *   (a `u32`); `RTM_NEWNSID` 88 and `RTM_GETNSID` 90 (`linux/rtnetlink.h`),
 *   whose payload starts with `struct rtgenmsg { unsigned char
 *   rtgen_family; }`, padded to 4 bytes (`NLMSG_ALIGN`). A namespace's id
 *   for another does not keep that other alive: the kernel removes the id
 *   when it destroys the namespace (`net/core/net_namespace.c`,
 *   `cleanup_net`).
 *
 * @module
 */

import { parseIpv4 } from "../sockaddr.ts";
import {
  encodeNetlinkMessage,
  NLM_F_DUMP,
  NLM_F_REQUEST,
  NLMSG_ERROR,
  NLMSG_HDRLEN,
  nlmsgAlign,
  splitNetlinkMessages,
} from "./netlink.ts";

/** The routing netlink family: links, addresses, routes, neighbours. */
export const NETLINK_ROUTE = 0;

/** Create or change a link (`ifi_index` 0 with `NLM_F_CREATE` creates). */
export const RTM_NEWLINK = 16;
/** Ask for one link (by `ifi_index`); the answer is an `RTM_NEWLINK`. */
export const RTM_GETLINK = 18;
/** Add an address to a link. */
export const RTM_NEWADDR = 20;
/** Remove an address from a link (its connected route goes with it). */
export const RTM_DELADDR = 21;
/** Add a neighbour (ARP) entry. */
export const RTM_NEWNEIGH = 28;
/** Give another namespace an id in this one. */
export const RTM_NEWNSID = 88;
/** Look up (or, with `NLM_F_DUMP`, list) the ids of other namespaces. */
export const RTM_GETNSID = 90;

/** Ask for an acknowledgement (`NLMSG_ERROR` with error 0) on success. */
export const NLM_F_ACK = 0x04;
/** Fail with EEXIST if the object exists already. */
export const NLM_F_EXCL = 0x200;
/** Create the object if it does not exist. */
export const NLM_F_CREATE = 0x400;
/** Ack flag: the echoed request was cut to its header. */
export const NLM_F_CAPPED = 0x100;
/** Ack flag: extended-ack attributes follow the echoed request. */
export const NLM_F_ACK_TLVS = 0x200;
/** `SOL_NETLINK`, the socket option level of netlink sockets. */
export const SOL_NETLINK = 270;
/** Option: echo only the request's header in an error. */
export const NETLINK_CAP_ACK = 10;
/** Option: add the kernel's explanation (extended ack) to an error. */
export const NETLINK_EXT_ACK = 11;
/** Extended-ack attribute: a NUL-terminated message. */
export const NLMSGERR_ATTR_MSG = 1;

/** `sizeof(struct rtattr)`; attributes start on 4-byte boundaries. */
export const RTA_HDRLEN = 4;
/** `sizeof(struct ifinfomsg)`. */
export const IFINFOMSG_SIZE = 16;
/** `sizeof(struct ifaddrmsg)`. */
export const IFADDRMSG_SIZE = 8;
/** `sizeof(struct ndmsg)`. */
export const NDMSG_SIZE = 12;

export const IFLA_ADDRESS = 1;
export const IFLA_IFNAME = 3;
export const IFLA_OPERSTATE = 16;
export const IFLA_LINKINFO = 18;
export const IFLA_AF_SPEC = 26;
export const IFLA_NET_NS_FD = 28;
export const IFLA_INFO_KIND = 1;
export const IFLA_INFO_DATA = 2;
export const VETH_INFO_PEER = 1;
export const IFLA_INET6_ADDR_GEN_MODE = 8;
/** No IPv6 link-local address: no DAD, router or MLD traffic on the link. */
export const IN6_ADDR_GEN_MODE_NONE = 1;

export const IFA_ADDRESS = 1;
export const IFA_LOCAL = 2;
export const NDA_DST = 1;
export const NDA_LLADDR = 2;
/** A neighbour entry that never expires and is never probed. */
export const NUD_PERMANENT = 0x80;
export const RTN_UNICAST = 1;
export const NETNSA_NSID = 1;
export const NETNSA_FD = 3;
/** `NLMSG_ALIGN(sizeof(struct rtgenmsg))`. */
export const RTGENMSG_SIZE = 4;
/** `IFF_UP`: the link is administratively up. */
export const IFF_UP = 0x1;
/** `IF_OPER_UP`: the link is operational (carrier, and the kernel saw it). */
export const IF_OPER_UP = 6;

/** `AF_UNSPEC`, `AF_INET`, `AF_INET6` (`linux/socket.h`). */
export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_INET6 = 10;

/** Length of a MAC address, in bytes. */
const ETH_ALEN = 6;

/** Rounds `length` up to a multiple of `RTA_ALIGNTO` (4). */
export function rtaAlign(length: number): number {
  return (length + 3) & ~3;
}

/**
 * Encodes one `struct rtattr`: `rta_len` (header plus payload, without
 * padding), `rta_type`, the payload, then zeros to a 4-byte boundary.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeRtattr, IFLA_IFNAME, stringPayload } from "./rtnetlink.ts";
 * const bytes = encodeRtattr(IFLA_IFNAME, stringPayload("lo"));
 * // rta_len 7 (4 + "lo\0"), rta_type 3, "lo\0", one byte of padding
 * assert.deepEqual([...bytes], [7, 0, 3, 0, 0x6c, 0x6f, 0, 0]);
 * ```
 *
 * @throws {RangeError} when the attribute would not fit `rta_len` (u16).
 */
export function encodeRtattr(
  type: number,
  payload: Uint8Array,
): Uint8Array<ArrayBuffer> {
  const length = RTA_HDRLEN + payload.byteLength;
  if (length > 0xffff) {
    throw new RangeError(
      `Cannot encode rtattr ${type}: ${length} bytes is longer than rta_len allows`,
    );
  }
  const bytes = new Uint8Array(rtaAlign(length));
  const view = new DataView(bytes.buffer);
  view.setUint16(0, length, true);
  view.setUint16(2, type, true);
  bytes.set(payload, RTA_HDRLEN);
  return bytes;
}

/** An attribute whose payload is other attributes (each already aligned). */
export function encodeNested(
  type: number,
  children: readonly Uint8Array[],
): Uint8Array<ArrayBuffer> {
  return encodeRtattr(type, concat(children));
}

/** A C string payload: the UTF-8 bytes and a NUL. */
export function stringPayload(text: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(`${text}\0`);
}

/** A host-order `u32` payload. */
export function u32Payload(value: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value, true);
  return bytes;
}

/**
 * The six bytes of a MAC address written `02:00:00:00:00:01`.
 *
 * @throws {RangeError} for text that is not six hex pairs.
 */
export function parseMac(text: string): Uint8Array<ArrayBuffer> {
  const parts = text.split(":");
  if (
    parts.length !== ETH_ALEN || !parts.every((p) => /^[0-9a-f]{2}$/i.test(p))
  ) {
    throw new RangeError(`Cannot parse MAC address ${text}: not six hex pairs`);
  }
  return new Uint8Array(parts.map((p) => parseInt(p, 16)));
}

/** A decoded `struct rtattr`. */
export interface Rtattr {
  readonly type: number;
  readonly payload: Uint8Array;
}

/**
 * Splits a run of attributes (a message's tail or a nested payload).
 *
 * @throws {RangeError} when an `rta_len` is shorter than the header or runs
 * past the bytes (the checks of the kernel's `RTA_OK`).
 */
export function splitRtattrs(bytes: Uint8Array): Rtattr[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Rtattr[] = [];
  let offset = 0;
  while (offset < bytes.byteLength) {
    const left = bytes.byteLength - offset;
    const length = left >= RTA_HDRLEN ? view.getUint16(offset, true) : 0;
    if (length < RTA_HDRLEN || length > left) {
      throw new RangeError(
        `Cannot decode rtattr at ${offset}: length ${length} with ${left} bytes left`,
      );
    }
    out.push({
      type: view.getUint16(offset + 2, true),
      payload: bytes.subarray(offset + RTA_HDRLEN, offset + length),
    });
    offset += rtaAlign(length);
  }
  return out;
}

/** The fields of a `struct ifinfomsg`; omitted ones are zero. */
export interface Ifinfomsg {
  readonly family?: number;
  /** `ifi_type`, an `ARPHRD_*` (the kernel fills it in replies). */
  readonly type?: number;
  /** 0 names no existing link (create, or look up by `IFLA_IFNAME`). */
  readonly index?: number;
  /** `ifi_flags`: the new values of the bits in `change`. */
  readonly flags?: number;
  /** `ifi_change`: which `IFF_*` bits to change. */
  readonly change?: number;
}

/** Encodes a `struct ifinfomsg` (16 bytes). */
export function encodeIfinfomsg(msg: Ifinfomsg): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(IFINFOMSG_SIZE);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, msg.family ?? AF_UNSPEC);
  view.setUint16(2, msg.type ?? 0, true);
  view.setInt32(4, msg.index ?? 0, true);
  view.setUint32(8, msg.flags ?? 0, true);
  view.setUint32(12, msg.change ?? 0, true);
  return bytes;
}

/** Encodes a `struct ifaddrmsg` (8 bytes) for an IPv4 address. */
export function encodeIfaddrmsg(
  msg: { prefixLength: number; index: number },
): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(IFADDRMSG_SIZE);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, AF_INET);
  view.setUint8(1, msg.prefixLength);
  view.setUint8(2, 0); // ifa_flags
  view.setUint8(3, 0); // ifa_scope: RT_SCOPE_UNIVERSE
  view.setUint32(4, msg.index, true);
  return bytes;
}

/** Encodes a `struct ndmsg` (12 bytes) for an IPv4 neighbour. */
export function encodeNdmsg(
  msg: { index: number; state: number },
): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(NDMSG_SIZE);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, AF_INET);
  view.setInt32(4, msg.index, true);
  view.setUint16(8, msg.state, true);
  view.setUint8(10, 0); // ndm_flags
  view.setUint8(11, RTN_UNICAST);
  return bytes;
}

/** One end of a veth pair as created. */
export interface VethEnd {
  readonly name: string;
  /** MAC address, `02:00:00:00:00:01`. */
  readonly mac: string;
  /** The interface index asked for, 0 to let the kernel choose. */
  readonly index?: number;
}

/**
 * `RTM_NEWLINK` creating a veth pair: `end` in the namespace of the socket
 * the request is sent on, `peer` in the namespace that `peerNamespaceFd`
 * (an open `/proc/.../ns/net`) refers to. Flags: request, ack, create,
 * exclusive (an existing name fails EEXIST rather than being reused). The
 * peer's index is honoured only with the end's index given too (not 0).
 */
export function encodeVethCreate(
  end: VethEnd,
  peer: VethEnd,
  peerNamespaceFd: number,
  seq: number,
): Uint8Array<ArrayBuffer> {
  const peerInfo = concat([
    encodeIfinfomsg({ index: peer.index ?? 0 }),
    encodeRtattr(IFLA_IFNAME, stringPayload(peer.name)),
    encodeRtattr(IFLA_ADDRESS, parseMac(peer.mac)),
    encodeRtattr(IFLA_NET_NS_FD, u32Payload(peerNamespaceFd)),
  ]);
  const payload = concat([
    encodeIfinfomsg({ index: end.index ?? 0 }),
    encodeRtattr(IFLA_IFNAME, stringPayload(end.name)),
    encodeRtattr(IFLA_ADDRESS, parseMac(end.mac)),
    encodeNested(IFLA_LINKINFO, [
      encodeRtattr(IFLA_INFO_KIND, stringPayload("veth")),
      encodeNested(IFLA_INFO_DATA, [encodeRtattr(VETH_INFO_PEER, peerInfo)]),
    ]),
  ]);
  return encodeNetlinkMessage(
    { type: RTM_NEWLINK, flags: CREATE, seq },
    payload,
  );
}

/**
 * `RTM_NEWLINK` changing link `index`: up or down (`ifi_change` = `IFF_UP`,
 * so no other flag is touched), nothing else.
 */
export function encodeLinkUp(
  index: number,
  up: boolean,
  seq: number,
): Uint8Array<ArrayBuffer> {
  const payload = encodeIfinfomsg({
    index,
    flags: up ? IFF_UP : 0,
    change: IFF_UP,
  });
  return encodeNetlinkMessage(
    { type: RTM_NEWLINK, flags: CHANGE, seq },
    payload,
  );
}

/**
 * `RTM_NEWLINK` setting link `index`'s IPv6 address generation mode to
 * none: it gets no link-local address, so it sends no IPv6 at all
 * (duplicate address detection, router solicitations, MLD reports).
 */
export function encodeNoIpv6Addresses(
  index: number,
  seq: number,
): Uint8Array<ArrayBuffer> {
  const payload = concat([
    encodeIfinfomsg({ index }),
    encodeNested(IFLA_AF_SPEC, [
      encodeNested(AF_INET6, [
        encodeRtattr(
          IFLA_INET6_ADDR_GEN_MODE,
          new Uint8Array([IN6_ADDR_GEN_MODE_NONE]),
        ),
      ]),
    ]),
  ]);
  return encodeNetlinkMessage(
    { type: RTM_NEWLINK, flags: CHANGE, seq },
    payload,
  );
}

/**
 * `RTM_NEWLINK` moving link `index` into the namespace `namespaceFd` refers
 * to (sent from a socket in the link's current namespace). The link goes
 * down on the way and loses its addresses, routes and neighbours.
 */
export function encodeLinkMove(
  index: number,
  namespaceFd: number,
  seq: number,
): Uint8Array<ArrayBuffer> {
  const payload = concat([
    encodeIfinfomsg({ index }),
    encodeRtattr(IFLA_NET_NS_FD, u32Payload(namespaceFd)),
  ]);
  return encodeNetlinkMessage(
    { type: RTM_NEWLINK, flags: CHANGE, seq },
    payload,
  );
}

/** `RTM_GETLINK` for link `index` (not a dump): one `RTM_NEWLINK` back. */
export function encodeLinkGet(
  index: number,
  seq: number,
): Uint8Array<ArrayBuffer> {
  return encodeNetlinkMessage(
    { type: RTM_GETLINK, flags: NLM_F_REQUEST, seq },
    encodeIfinfomsg({ index }),
  );
}

/** What an `RTM_NEWLINK` message says of a link, as far as read here. */
export interface LinkInfo {
  readonly index: number;
  /** `ifi_flags` (`IFF_UP`, `IFF_RUNNING`, …). */
  readonly flags: number;
  readonly name: string | null;
  /** `IFLA_OPERSTATE` (`IF_OPER_UP` 6, …), `null` when absent. */
  readonly operstate: number | null;
}

/**
 * Decodes the payload of an `RTM_NEWLINK` message (after its header).
 *
 * @throws {RangeError} for a payload shorter than `struct ifinfomsg` or
 * malformed attributes.
 */
export function decodeLink(payload: Uint8Array): LinkInfo {
  if (payload.byteLength < IFINFOMSG_SIZE) {
    throw new RangeError(
      `Cannot decode RTM_NEWLINK: ${payload.byteLength} bytes is too short`,
    );
  }
  const view = new DataView(
    payload.buffer,
    payload.byteOffset,
    payload.byteLength,
  );
  let name: string | null = null;
  let operstate: number | null = null;
  for (const attr of splitRtattrs(payload.subarray(IFINFOMSG_SIZE))) {
    if (attr.type === IFLA_IFNAME) {
      const end = attr.payload.indexOf(0);
      name = new TextDecoder().decode(
        end < 0 ? attr.payload : attr.payload.subarray(0, end),
      );
    } else if (attr.type === IFLA_OPERSTATE && attr.payload.byteLength >= 1) {
      operstate = attr.payload[0]!;
    }
  }
  return {
    index: view.getInt32(4, true),
    flags: view.getUint32(8, true),
    name,
    operstate,
  };
}

/** An IPv4 address on a link. */
export interface LinkAddress {
  readonly index: number;
  /** Dotted quad. */
  readonly address: string;
  readonly prefixLength: number;
}

/**
 * `RTM_NEWADDR` (adding, create + exclusive) or `RTM_DELADDR` (removing)
 * an IPv4 address: `IFA_LOCAL` and `IFA_ADDRESS` both the address, as
 * `ip address add` sends them on a link that is not point-to-point.
 */
export function encodeAddress(
  type: typeof RTM_NEWADDR | typeof RTM_DELADDR,
  addr: LinkAddress,
  seq: number,
): Uint8Array<ArrayBuffer> {
  const ip = parseIpv4(addr.address);
  const payload = concat([
    encodeIfaddrmsg(addr),
    encodeRtattr(IFA_LOCAL, ip),
    encodeRtattr(IFA_ADDRESS, ip),
  ]);
  const flags = type === RTM_NEWADDR ? CREATE : CHANGE;
  return encodeNetlinkMessage({ type, flags, seq }, payload);
}

/**
 * `RTM_NEWNEIGH` with `NUD_PERMANENT`: IPv4 `address` is at `mac` on link
 * `index`, for good (no ARP, no expiry). Create + exclusive.
 */
export function encodePermanentNeighbour(
  neighbour: { index: number; address: string; mac: string },
  seq: number,
): Uint8Array<ArrayBuffer> {
  const payload = concat([
    encodeNdmsg({ index: neighbour.index, state: NUD_PERMANENT }),
    encodeRtattr(NDA_DST, parseIpv4(neighbour.address)),
    encodeRtattr(NDA_LLADDR, parseMac(neighbour.mac)),
  ]);
  return encodeNetlinkMessage(
    { type: RTM_NEWNEIGH, flags: CREATE, seq },
    payload,
  );
}

/**
 * `RTM_NEWNSID`: in the sender's namespace, give the namespace that
 * `namespaceFd` refers to the id `nsid` (create + exclusive).
 */
export function encodeNsidAssign(
  namespaceFd: number,
  nsid: number,
  seq: number,
): Uint8Array<ArrayBuffer> {
  const payload = concat([
    new Uint8Array(RTGENMSG_SIZE), // rtgen_family AF_UNSPEC, padding
    encodeRtattr(NETNSA_NSID, u32Payload(nsid)),
    encodeRtattr(NETNSA_FD, u32Payload(namespaceFd)),
  ]);
  return encodeNetlinkMessage(
    { type: RTM_NEWNSID, flags: CREATE, seq },
    payload,
  );
}

/** `RTM_GETNSID` with `NLM_F_DUMP`: every id the sender's namespace holds. */
export function encodeNsidDump(seq: number): Uint8Array<ArrayBuffer> {
  return encodeNetlinkMessage(
    { type: RTM_GETNSID, flags: NLM_F_REQUEST | NLM_F_DUMP, seq },
    new Uint8Array(RTGENMSG_SIZE),
  );
}

/**
 * The `NETNSA_NSID` of one `RTM_NEWNSID` message of a dump (its payload,
 * after the header), or `null` when it has none.
 *
 * @throws {RangeError} for malformed attributes.
 */
export function decodeNsid(payload: Uint8Array): number | null {
  if (payload.byteLength < RTGENMSG_SIZE) {
    throw new RangeError(
      `Cannot decode RTM_NEWNSID: ${payload.byteLength} bytes is too short`,
    );
  }
  for (const attr of splitRtattrs(payload.subarray(RTGENMSG_SIZE))) {
    if (attr.type !== NETNSA_NSID || attr.payload.byteLength < 4) continue;
    const { buffer, byteOffset } = attr.payload;
    return new DataView(buffer, byteOffset, 4).getInt32(0, true);
  }
  return null;
}

/** What the kernel answered to a request that asked for an ack. */
export interface Ack {
  /** The errno number (positive), 0 for success. */
  readonly errno: number;
  /** The extended ack's message (`NLMSGERR_ATTR_MSG`), when there is one. */
  readonly message: string | null;
}

/**
 * Finds the ack of request `seq` in one received datagram: `null` when the
 * datagram holds none (other messages are skipped).
 *
 * @throws {RangeError} for a malformed datagram or a short error payload.
 */
export function findAck(datagram: Uint8Array, seq: number): Ack | null {
  for (const { header, payload } of splitNetlinkMessages(datagram)) {
    if (header.type !== NLMSG_ERROR || header.seq !== seq) continue;
    return decodeAck(payload, header.flags);
  }
  return null;
}

/**
 * Decodes the payload of an `NLMSG_ERROR`: `int error` (0 or a negative
 * errno), the echoed request (its header only with `NLM_F_CAPPED`, or
 * when `error` is 0), then, with `NLM_F_ACK_TLVS`, attributes of which
 * `NLMSGERR_ATTR_MSG` is read.
 *
 * @throws {RangeError} for a payload shorter than `struct nlmsgerr`.
 */
export function decodeAck(payload: Uint8Array, flags: number): Ack {
  if (payload.byteLength < 4 + NLMSG_HDRLEN) {
    throw new RangeError(
      `Cannot decode NLMSG_ERROR: ${payload.byteLength} bytes is too short`,
    );
  }
  const view = new DataView(
    payload.buffer,
    payload.byteOffset,
    payload.byteLength,
  );
  const error = view.getInt32(0, true);
  let message: string | null = null;
  if ((flags & NLM_F_ACK_TLVS) !== 0) {
    const echoed = view.getUint32(4, true);
    const capped = error === 0 || (flags & NLM_F_CAPPED) !== 0;
    const tlvs = 4 + (capped ? NLMSG_HDRLEN : nlmsgAlign(echoed));
    if (tlvs <= payload.byteLength) {
      for (const attr of splitRtattrs(payload.subarray(tlvs))) {
        if (attr.type !== NLMSGERR_ATTR_MSG) continue;
        const end = attr.payload.indexOf(0);
        message = new TextDecoder().decode(
          end < 0 ? attr.payload : attr.payload.subarray(0, end),
        );
      }
    }
  }
  return { errno: error < 0 ? -error : 0, message };
}

/** Flags of a request that creates: fail if it exists, ack either way. */
const CREATE = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
/** Flags of a request that changes or removes: ack either way. */
const CHANGE = NLM_F_REQUEST | NLM_F_ACK;

function concat(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}
