import assert from "node:assert/strict";
import {
  decodeAck,
  decodeLink,
  decodeNsid,
  encodeAddress,
  encodeLinkGet,
  encodeLinkMove,
  encodeLinkUp,
  encodeNoIpv6Addresses,
  encodeNsidAssign,
  encodeNsidDump,
  encodePermanentNeighbour,
  encodeRtattr,
  encodeVethCreate,
  findAck,
  IFADDRMSG_SIZE,
  IFINFOMSG_SIZE,
  NDMSG_SIZE,
  NLM_F_ACK_TLVS,
  NLM_F_CAPPED,
  parseMac,
  RTM_DELADDR,
  RTM_NEWADDR,
  splitRtattrs,
} from "./rtnetlink.ts";

// Bytes written out by hand from the uapi layouts (see the module doc),
// independently of the DataView code under test.
const le16 = (n: number) => [n & 0xff, n >>> 8];
const le32 = (
  n: number,
) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
const ascii = (s: string) => [...s].map((ch) => ch.charCodeAt(0));

/** struct nlmsghdr: len, type, flags, seq, pid 0. */
function nlmsghdr(len: number, type: number, flags: number, seq: number) {
  return [
    ...le32(len),
    ...le16(type),
    ...le16(flags),
    ...le32(seq),
    0,
    0,
    0,
    0,
  ];
}

// NLM_F_REQUEST 0x1 | NLM_F_ACK 0x4 | NLM_F_EXCL 0x200 | NLM_F_CREATE 0x400
const CREATE_FLAGS = 0x605;
// NLM_F_REQUEST | NLM_F_ACK
const CHANGE_FLAGS = 0x005;

Deno.test("the structs have the sizes of the uapi headers", () => {
  assert.equal(IFINFOMSG_SIZE, 16);
  assert.equal(IFADDRMSG_SIZE, 8);
  assert.equal(NDMSG_SIZE, 12);
});

Deno.test("encodeRtattr() counts the header in rta_len, not the padding", () => {
  assert.deepEqual([...encodeRtattr(3, new Uint8Array([1, 2, 3, 4, 5]))], [
    9,
    0,
    3,
    0,
    1,
    2,
    3,
    4,
    5,
    0,
    0,
    0,
  ]);
  assert.deepEqual([...encodeRtattr(7, new Uint8Array(0))], [4, 0, 7, 0]);
});

Deno.test("the veth request nests the peer's ifinfomsg and attributes in LINKINFO / INFO_DATA / VETH_INFO_PEER", () => {
  const bytes = encodeVethCreate(
    { name: "esc-w", mac: "02:00:00:00:00:01", index: 101 },
    { name: "esc-p", mac: "02:00:00:00:00:02", index: 102 },
    23,
    1,
  );
  // deno-fmt-ignore
  const expected = [
    ...nlmsghdr(128, 16, CREATE_FLAGS, 1), // RTM_NEWLINK, 16 + 112
    // struct ifinfomsg: family AF_UNSPEC, pad, type, index 101, flags, change
    0, 0, 0, 0, ...le32(101), 0, 0, 0, 0, 0, 0, 0, 0,
    10, 0, 3, 0, ...ascii("esc-w"), 0, 0, 0, // IFLA_IFNAME, 4 + 6, padded
    10, 0, 1, 0, 2, 0, 0, 0, 0, 1, 0, 0, // IFLA_ADDRESS, 4 + 6, padded
    72, 0, 18, 0, // IFLA_LINKINFO: 4 + 12 + 56
    9, 0, 1, 0, ...ascii("veth"), 0, 0, 0, 0, // IFLA_INFO_KIND, 4 + 5
    56, 0, 2, 0, // IFLA_INFO_DATA: 4 + 52
    52, 0, 1, 0, // VETH_INFO_PEER: 4 + 16 + 12 + 12 + 8
    0, 0, 0, 0, ...le32(102), 0, 0, 0, 0, 0, 0, 0, 0, // the peer's ifinfomsg
    10, 0, 3, 0, ...ascii("esc-p"), 0, 0, 0, // IFLA_IFNAME
    10, 0, 1, 0, 2, 0, 0, 0, 0, 2, 0, 0, // IFLA_ADDRESS
    8, 0, 28, 0, ...le32(23), // IFLA_NET_NS_FD: the peer namespace's fd
  ];
  assert.deepEqual([...bytes], expected);
});

Deno.test("an address request is ifaddrmsg then IFA_LOCAL and IFA_ADDRESS in network order", () => {
  const addr = { index: 101, address: "192.0.2.1", prefixLength: 24 };
  // deno-fmt-ignore
  const body = [
    2, 24, 0, 0, ...le32(101), // AF_INET, /24, ifa_flags, RT_SCOPE_UNIVERSE, index
    8, 0, 2, 0, 192, 0, 2, 1, // IFA_LOCAL
    8, 0, 1, 0, 192, 0, 2, 1, // IFA_ADDRESS
  ];
  assert.deepEqual([...encodeAddress(RTM_NEWADDR, addr, 3)], [
    ...nlmsghdr(40, 20, CREATE_FLAGS, 3),
    ...body,
  ]);
  // Removing: RTM_DELADDR, no create or exclusive flag.
  assert.deepEqual([...encodeAddress(RTM_DELADDR, addr, 4)], [
    ...nlmsghdr(40, 21, CHANGE_FLAGS, 4),
    ...body,
  ]);
});

Deno.test("a permanent neighbour is ndmsg (NUD_PERMANENT, RTN_UNICAST), NDA_DST and NDA_LLADDR", () => {
  const bytes = encodePermanentNeighbour(
    { index: 102, address: "192.0.2.1", mac: "02:00:00:00:00:01" },
    5,
  );
  // deno-fmt-ignore
  assert.deepEqual([...bytes], [
    ...nlmsghdr(48, 28, CREATE_FLAGS, 5), // RTM_NEWNEIGH, 16 + 12 + 8 + 12
    2, 0, 0, 0, ...le32(102), // AF_INET, pads, ndm_ifindex
    0x80, 0, 0, 1, // ndm_state NUD_PERMANENT (u16), ndm_flags, ndm_type
    8, 0, 1, 0, 192, 0, 2, 1, // NDA_DST
    10, 0, 2, 0, 2, 0, 0, 0, 0, 1, 0, 0, // NDA_LLADDR, padded
  ]);
});

Deno.test("link changes say which flag they change, and where a link moves", () => {
  // deno-fmt-ignore
  assert.deepEqual([...encodeLinkUp(101, true, 6)], [
    ...nlmsghdr(32, 16, CHANGE_FLAGS, 6),
    0, 0, 0, 0, ...le32(101), ...le32(1), ...le32(1), // flags IFF_UP, change IFF_UP
  ]);
  assert.deepEqual(
    [...encodeLinkUp(101, false, 6)].slice(24),
    [...le32(0), ...le32(1)],
  );
  // deno-fmt-ignore
  assert.deepEqual([...encodeLinkMove(102, 40, 7)], [
    ...nlmsghdr(40, 16, CHANGE_FLAGS, 7),
    0, 0, 0, 0, ...le32(102), 0, 0, 0, 0, 0, 0, 0, 0,
    8, 0, 28, 0, ...le32(40), // IFLA_NET_NS_FD
  ]);
  // deno-fmt-ignore
  assert.deepEqual([...encodeNoIpv6Addresses(101, 8)], [
    ...nlmsghdr(48, 16, CHANGE_FLAGS, 8),
    0, 0, 0, 0, ...le32(101), 0, 0, 0, 0, 0, 0, 0, 0,
    16, 0, 26, 0, // IFLA_AF_SPEC
    12, 0, 10, 0, // AF_INET6
    5, 0, 8, 0, 1, 0, 0, 0, // IFLA_INET6_ADDR_GEN_MODE = IN6_ADDR_GEN_MODE_NONE
  ]);
  // deno-fmt-ignore
  assert.deepEqual([...encodeLinkGet(101, 9)], [
    ...nlmsghdr(32, 18, 0x1, 9), // RTM_GETLINK, NLM_F_REQUEST only
    0, 0, 0, 0, ...le32(101), 0, 0, 0, 0, 0, 0, 0, 0,
  ]);
});

Deno.test("namespace id requests: rtgenmsg padded to 4, then NETNSA_NSID and NETNSA_FD", () => {
  // deno-fmt-ignore
  assert.deepEqual([...encodeNsidAssign(30, 1, 2)], [
    ...nlmsghdr(36, 88, CREATE_FLAGS, 2),
    0, 0, 0, 0, // rtgen_family AF_UNSPEC, padding
    8, 0, 1, 0, ...le32(1), // NETNSA_NSID
    8, 0, 3, 0, ...le32(30), // NETNSA_FD
  ]);
  // NLM_F_REQUEST | NLM_F_DUMP (0x300)
  assert.deepEqual([...encodeNsidDump(3)], [
    ...nlmsghdr(20, 90, 0x301, 3),
    0,
    0,
    0,
    0,
  ]);
  assert.equal(
    decodeNsid(new Uint8Array([0, 0, 0, 0, 8, 0, 1, 0, 7, 0, 0, 0])),
    7,
  );
  assert.equal(decodeNsid(new Uint8Array([0, 0, 0, 0])), null);
});

Deno.test("decodeLink() reads the index, flags, name and operational state of an RTM_NEWLINK", () => {
  // deno-fmt-ignore
  const payload = new Uint8Array([
    0, 0, 1, 0, ...le32(101), ...le32(0x11043), 0, 0, 0, 0, // ARPHRD_ETHER
    10, 0, 3, 0, ...ascii("esc-w"), 0, 0, 0,
    5, 0, 16, 0, 6, 0, 0, 0, // IFLA_OPERSTATE IF_OPER_UP
  ]);
  assert.deepEqual(decodeLink(payload), {
    index: 101,
    flags: 0x11043,
    name: "esc-w",
    operstate: 6,
  });
  assert.throws(() => decodeLink(new Uint8Array(15)), RangeError);
});

Deno.test("acks: error 0 is success; an error carries errno and the extended ack's message", () => {
  // An ack: error 0, the request's header echoed (NLM_F_CAPPED).
  const ok = new Uint8Array([
    ...nlmsghdr(36, 2, NLM_F_CAPPED, 7),
    ...le32(0),
    ...nlmsghdr(128, 16, CREATE_FLAGS, 7),
  ]);
  assert.deepEqual(findAck(ok, 7), { errno: 0, message: null });
  assert.equal(findAck(ok, 8), null, "another request's ack");
  // EOPNOTSUPP (95) with "Unknown device type" after the capped header.
  const message = [...ascii("Unknown device type"), 0]; // 20 bytes
  const error = new Uint8Array([
    ...nlmsghdr(60, 2, NLM_F_CAPPED | NLM_F_ACK_TLVS, 1),
    ...le32(-95 >>> 0),
    ...nlmsghdr(128, 16, CREATE_FLAGS, 1),
    24,
    0,
    1,
    0, // NLMSGERR_ATTR_MSG, 4 + 20
    ...message,
  ]);
  assert.deepEqual(findAck(error, 1), {
    errno: 95,
    message: "Unknown device type",
  });
  // Not capped: the whole request (here 20 bytes) sits before the TLVs.
  const uncapped = [
    ...le32(-1 >>> 0),
    ...nlmsghdr(20, 16, CREATE_FLAGS, 1),
    9,
    9,
    9,
    9,
    8,
    0,
    1,
    0,
    ...ascii("abc"),
    0,
  ];
  assert.deepEqual(decodeAck(new Uint8Array(uncapped), NLM_F_ACK_TLVS), {
    errno: 1,
    message: "abc",
  });
  assert.throws(() => decodeAck(new Uint8Array(19), 0), RangeError);
});

Deno.test("splitRtattrs() steps over padding and refuses a length past the end", () => {
  const attrs = splitRtattrs(
    new Uint8Array([5, 0, 1, 0, 9, 0, 0, 0, 4, 0, 2, 0]),
  );
  assert.deepEqual(
    attrs.map((a) => [a.type, [...a.payload]]),
    [[1, [9]], [2, []]],
  );
  assert.throws(() => splitRtattrs(new Uint8Array([9, 0, 1, 0])), RangeError);
  assert.throws(() => splitRtattrs(new Uint8Array([2, 0, 1, 0])), RangeError);
});

Deno.test("parseMac() reads six hex pairs and refuses anything else", () => {
  assert.deepEqual([...parseMac("02:00:00:00:0a:FF")], [2, 0, 0, 0, 10, 255]);
  for (
    const bad of ["02:00:00:00:00", "02:00:00:00:00:1", "zz:00:00:00:00:00"]
  ) {
    assert.throws(() => parseMac(bad), RangeError, bad);
  }
});
