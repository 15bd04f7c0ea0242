import assert from "node:assert/strict";
import { readReplyDatagram, startReply } from "./netlink.ts";
import {
  decodeInetDiagMsg,
  encodeInetDiagRequest,
  encodeSockDiagRequest,
  INET_DIAG_MSG_SIZE,
  INET_DIAG_REQ_V2_SIZE,
  TCP_ALL_STATES,
} from "./sock_diag.ts";

// Bytes written out by hand, independently of the DataView code under test.
const le32 = (
  n: number,
) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
const be16 = (n: number) => [n >>> 8, n & 0xff];
const zeros = (n: number) => new Array<number>(n).fill(0);
const LOOPBACK4 = [127, 0, 0, 1, ...zeros(12)];
const LOOPBACK6 = [...zeros(15), 1];

const client = { address: "127.0.0.1", port: 40000 };
const server = { address: "127.0.0.1", port: 8080 };

Deno.test("TCP_ALL_STATES has the bits of TCP_ESTABLISHED (1) through TCP_NEW_SYN_RECV (12)", () => {
  let mask = 0;
  for (let state = 1; state <= 12; state++) mask |= 1 << state;
  assert.equal(TCP_ALL_STATES, mask);
});

Deno.test("a lookup request is nlmsghdr then inet_diag_req_v2, laid out as the kernel headers say", () => {
  const bytes = encodeSockDiagRequest(
    {
      family: "inet",
      states: TCP_ALL_STATES,
      local: client,
      remote: server,
      dump: false,
    },
    7,
  );
  assert.equal(INET_DIAG_REQ_V2_SIZE, 56);
  assert.deepEqual([...bytes], [
    // struct nlmsghdr
    72,
    0,
    0,
    0, // nlmsg_len: 16 + 56
    20,
    0, // nlmsg_type: SOCK_DIAG_BY_FAMILY
    1,
    0, // nlmsg_flags: NLM_F_REQUEST, no NLM_F_DUMP
    7,
    0,
    0,
    0, // nlmsg_seq
    0,
    0,
    0,
    0, // nlmsg_pid
    // struct inet_diag_req_v2
    2, // sdiag_family: AF_INET
    6, // sdiag_protocol: IPPROTO_TCP
    0, // idiag_ext
    0, // pad
    0xfe,
    0x1f,
    0,
    0, // idiag_states
    // struct inet_diag_sockid
    0x9c,
    0x40, // idiag_sport 40000, network order
    0x1f,
    0x90, // idiag_dport 8080
    ...LOOPBACK4, // idiag_src
    ...LOOPBACK4, // idiag_dst
    0,
    0,
    0,
    0, // idiag_if
    0xff,
    0xff,
    0xff,
    0xff,
    0xff,
    0xff,
    0xff,
    0xff, // INET_DIAG_NOCOOKIE x2
  ]);
});

Deno.test("a dump request sets NLM_F_DUMP and an IPv6 request fills all 16 address bytes", () => {
  const any = { address: "::", port: 0 };
  const bytes = encodeSockDiagRequest(
    {
      family: "inet6",
      states: 1 << 6,
      local: { address: "::1", port: 80 },
      remote: any,
      dump: true,
    },
    1,
  );
  assert.deepEqual([...bytes.subarray(6, 8)], [0x01, 0x03]);
  assert.deepEqual([...bytes.subarray(16, 24)], [10, 6, 0, 0, 64, 0, 0, 0]);
  assert.deepEqual([...bytes.subarray(24, 28)], [0, 80, 0, 0]);
  assert.deepEqual([...bytes.subarray(28, 44)], LOOPBACK6);
  assert.deepEqual([...bytes.subarray(44, 60)], zeros(16));
});

Deno.test("encodeInetDiagRequest() rejects a port outside 0..65535 and a bad address", () => {
  const base = {
    family: "inet" as const,
    states: TCP_ALL_STATES,
    remote: server,
    dump: false,
  };
  assert.throws(
    () =>
      encodeInetDiagRequest({
        ...base,
        local: { address: "127.0.0.1", port: 65536 },
      }),
    /Cannot encode port 65536/,
  );
  assert.throws(
    () =>
      encodeInetDiagRequest({ ...base, local: { address: "::1", port: 1 } }),
    RangeError,
  );
});

/** A struct inet_diag_msg laid out by hand. */
function diagMsg(
  family: number,
  state: number,
  sport: number,
  dport: number,
  src: number[],
  dst: number[],
  uid: number,
  inode: number,
): number[] {
  return [
    family,
    state,
    0,
    0, // idiag_family, idiag_state, idiag_timer, idiag_retrans
    ...be16(sport),
    ...be16(dport),
    ...src,
    ...dst,
    ...zeros(4), // idiag_if
    ...zeros(8), // idiag_cookie
    ...zeros(12), // idiag_expires, idiag_rqueue, idiag_wqueue
    ...le32(uid),
    ...le32(inode),
  ];
}

Deno.test("a crafted dump reply of two messages and NLMSG_DONE decodes to two sockets", () => {
  const first = diagMsg(2, 6, 40000, 8080, LOOPBACK4, LOOPBACK4, 1000, 0);
  // The second message carries a 5-byte attribute, so the next message starts
  // after 3 bytes of padding.
  const second = [
    ...diagMsg(10, 5, 8080, 40000, LOOPBACK6, LOOPBACK6, 0, 0x01020304),
    5,
    0,
    8,
    0,
    1, // struct nlattr { len 5, type 8 } + 1 byte
  ];
  const header = (len: number, type: number, flags: number) => [
    ...le32(len),
    type,
    0,
    flags,
    0,
    ...le32(9),
    ...le32(4242),
  ];
  const datagram = new Uint8Array([
    ...header(16 + first.length, 20, 2),
    ...first,
    ...header(16 + second.length, 20, 2),
    ...second,
    0,
    0,
    0,
    ...header(20, 3, 2),
    ...le32(0),
  ]);
  assert.equal(first.length, INET_DIAG_MSG_SIZE);
  const reply = readReplyDatagram(startReply(), datagram, 9);
  assert.equal(reply.done, true);
  assert.equal(reply.errno, null);
  assert.deepEqual(reply.payloads.map(decodeInetDiagMsg), [
    {
      state: 6,
      local: { family: "inet", address: "127.0.0.1", port: 40000 },
      remote: { family: "inet", address: "127.0.0.1", port: 8080 },
      uid: 1000,
      inode: 0,
    },
    {
      state: 5,
      local: { family: "inet6", address: "::1", port: 8080 },
      remote: { family: "inet6", address: "::1", port: 40000 },
      uid: 0,
      inode: 0x01020304,
    },
  ]);
});

Deno.test("decodeInetDiagMsg() rejects a short payload and an unknown family", () => {
  assert.throws(
    () => decodeInetDiagMsg(new Uint8Array(71)),
    /71 bytes is too short/,
  );
  assert.throws(
    () =>
      decodeInetDiagMsg(
        new Uint8Array(diagMsg(1, 6, 1, 2, zeros(16), zeros(16), 0, 0)),
      ),
    /unknown family 1/,
  );
});
