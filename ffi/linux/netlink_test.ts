import assert from "node:assert/strict";
import {
  encodeNetlinkMessage,
  NLM_F_DUMP,
  NLM_F_MULTI,
  NLM_F_REQUEST,
  nlmsgAlign,
  readReplyDatagram,
  splitNetlinkMessages,
  startReply,
} from "./netlink.ts";

// Little-endian bytes of a u32 / i32, written out independently of DataView.
const le32 = (
  n: number,
) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
const le16 = (n: number) => [n & 0xff, n >>> 8];

/** A struct nlmsghdr laid out by hand: len, type, flags, seq, pid. */
function header(len: number, type: number, flags: number, seq: number) {
  return [
    ...le32(len),
    ...le16(type),
    ...le16(flags),
    ...le32(seq),
    ...le32(0),
  ];
}

Deno.test("nlmsgAlign() rounds up to a multiple of 4", () => {
  assert.deepEqual([0, 1, 4, 5, 93].map(nlmsgAlign), [0, 4, 4, 8, 96]);
});

Deno.test("encodeNetlinkMessage() writes nlmsghdr in host order and pads the payload to 4 bytes", () => {
  const bytes = encodeNetlinkMessage(
    { type: 20, flags: NLM_F_REQUEST | NLM_F_DUMP, seq: 0x01020304 },
    new Uint8Array([0xaa, 0xbb, 0xcc, 0xdd, 0xee]),
  );
  assert.deepEqual([...bytes], [
    21,
    0,
    0,
    0, // nlmsg_len: 16 + 5, without the padding
    20,
    0, // nlmsg_type
    0x01,
    0x03, // nlmsg_flags: NLM_F_REQUEST | NLM_F_ROOT | NLM_F_MATCH
    4,
    3,
    2,
    1, // nlmsg_seq
    0,
    0,
    0,
    0, // nlmsg_pid: 0, the kernel fills it in
    0xaa,
    0xbb,
    0xcc,
    0xdd,
    0xee,
    0,
    0,
    0,
  ]);
});

Deno.test("splitNetlinkMessages() steps over each message's alignment padding", () => {
  const datagram = new Uint8Array([
    ...header(21, 20, NLM_F_MULTI, 9),
    1,
    2,
    3,
    4,
    5,
    0,
    0,
    0,
    ...header(20, 3, NLM_F_MULTI, 9),
    ...le32(0),
  ]);
  const messages = splitNetlinkMessages(datagram);
  assert.deepEqual(messages.map((m) => m.header), [
    { length: 21, type: 20, flags: NLM_F_MULTI, seq: 9, pid: 0 },
    { length: 20, type: 3, flags: NLM_F_MULTI, seq: 9, pid: 0 },
  ]);
  assert.deepEqual([...messages[0]!.payload], [1, 2, 3, 4, 5]);
});

Deno.test("splitNetlinkMessages() rejects a length that runs past the datagram or is shorter than a header", () => {
  assert.throws(
    () => splitNetlinkMessages(new Uint8Array(header(40, 20, 0, 1))),
    /length 40 with 16 bytes left/,
  );
  assert.throws(
    () => splitNetlinkMessages(new Uint8Array(header(8, 20, 0, 1))),
    RangeError,
  );
  assert.throws(
    () => splitNetlinkMessages(new Uint8Array([...header(16, 3, 0, 1), 0, 0])),
    /shorter than a header/,
  );
});

Deno.test("a multipart reply ends at NLMSG_DONE, across datagrams", () => {
  const progress = startReply();
  readReplyDatagram(
    progress,
    new Uint8Array([...header(20, 20, NLM_F_MULTI, 5), 7, 7, 7, 7]),
    5,
  );
  assert.equal(progress.done, false);
  readReplyDatagram(
    progress,
    new Uint8Array([
      ...header(20, 20, NLM_F_MULTI, 5),
      8,
      8,
      8,
      8,
      ...header(20, 3, NLM_F_MULTI, 5),
      ...le32(0),
      // Anything after the end of the reply is not part of it.
      ...header(20, 20, NLM_F_MULTI, 5),
      9,
      9,
      9,
      9,
    ]),
    5,
  );
  assert.equal(progress.done, true);
  assert.equal(progress.errno, null);
  assert.deepEqual(progress.payloads.map((p) => [...p]), [[7, 7, 7, 7], [
    8,
    8,
    8,
    8,
  ]]);
});

Deno.test("a single message without NLM_F_MULTI is a whole reply", () => {
  const progress = readReplyDatagram(
    startReply(),
    new Uint8Array([...header(20, 20, 0, 2), 1, 2, 3, 4]),
    2,
  );
  assert.equal(progress.done, true);
  assert.deepEqual(progress.payloads.map((p) => [...p]), [[1, 2, 3, 4]]);
});

Deno.test("NLMSG_ERROR carries a negative errno and the request's header", () => {
  const progress = readReplyDatagram(
    startReply(),
    new Uint8Array([
      ...header(36, 2, 0, 3),
      ...le32(-2 >>> 0), // error: -ENOENT
      ...header(72, 20, NLM_F_REQUEST, 3), // the request it answers
    ]),
    3,
  );
  assert.deepEqual(progress, {
    payloads: [],
    done: true,
    errno: 2,
    interrupted: false,
  });
});

Deno.test("a negative NLMSG_DONE result fails the dump, and one without a result ends it", () => {
  const failed = readReplyDatagram(
    startReply(),
    new Uint8Array([...header(20, 3, NLM_F_MULTI, 1), ...le32(-22 >>> 0)]),
    1,
  );
  assert.equal(failed.done, true);
  assert.equal(failed.errno, 22);
  const old = readReplyDatagram(
    startReply(),
    new Uint8Array(header(16, 3, NLM_F_MULTI, 1)),
    1,
  );
  assert.equal(old.done, true);
  assert.equal(old.errno, null);
});

Deno.test("messages of another sequence number and NLMSG_NOOP are skipped; DUMP_INTR is noted", () => {
  const progress = readReplyDatagram(
    startReply(),
    new Uint8Array([
      ...header(20, 3, NLM_F_MULTI, 1),
      ...le32(0), // a stale dump's end
      ...header(16, 1, 0, 2), // NLMSG_NOOP
      ...header(20, 20, NLM_F_MULTI | 0x10, 2),
      6,
      6,
      6,
      6,
    ]),
    2,
  );
  assert.equal(progress.done, false);
  assert.equal(progress.interrupted, true);
  assert.equal(progress.payloads.length, 1);
});

Deno.test("NLMSG_OVERRUN and a short NLMSG_ERROR are errors", () => {
  assert.throws(
    () =>
      readReplyDatagram(startReply(), new Uint8Array(header(16, 4, 0, 1)), 1),
    /NLMSG_OVERRUN/,
  );
  assert.throws(
    () =>
      readReplyDatagram(startReply(), new Uint8Array(header(16, 2, 0, 1)), 1),
    /Cannot decode NLMSG_ERROR: 0 bytes is too short/,
  );
});
