import assert from "node:assert/strict";
import { decodeLinger, encodeLinger, formatLinger } from "./linger.ts";
import { decodePollFds, encodePollFds, pollNames } from "./pollfd.ts";
import { decodeTcpState, encodeTcpState } from "./tcp_state.ts";
import { TABLES } from "./tables/mod.ts";
import { encodeTimeval, TIMEVAL_SIZE } from "./timeval.ts";

Deno.test("struct linger is two host-order ints: {1, 0} is 01000000 00000000", () => {
  assert.deepEqual(
    [...encodeLinger({ onoff: 1, seconds: 0 })],
    [1, 0, 0, 0, 0, 0, 0, 0],
  );
  assert.deepEqual(
    [...encodeLinger({ onoff: 1, seconds: 258 })],
    [1, 0, 0, 0, 2, 1, 0, 0],
  );
  assert.deepEqual(decodeLinger(new Uint8Array([1, 0, 0, 0, 5, 0, 0, 0])), {
    onoff: 1,
    seconds: 5,
  });
  assert.equal(formatLinger({ onoff: 1, seconds: 0 }), "1,0");
  assert.throws(() => decodeLinger(new Uint8Array(4)), RangeError);
});

Deno.test("struct pollfd is int fd, short events, short revents", () => {
  const bytes = encodePollFds([{ fd: 7, events: 0x2001 }, {
    fd: -1,
    events: 4,
  }]);
  assert.deepEqual(
    [...bytes],
    [7, 0, 0, 0, 0x01, 0x20, 0, 0, 0xff, 0xff, 0xff, 0xff, 4, 0, 0, 0],
  );
  bytes[6] = 0x19; // POLLIN|POLLERR|POLLHUP
  assert.deepEqual(decodePollFds(bytes)[0], {
    fd: 7,
    events: 0x2001,
    revents: 0x19,
  });
});

Deno.test("pollNames() names only the bits the OS defines", () => {
  assert.equal(
    pollNames(TABLES.linux, 0x2019),
    "POLLIN|POLLERR|POLLHUP|POLLRDHUP",
  );
  assert.equal(pollNames(TABLES.freebsd, 0x4011), "POLLIN|POLLHUP|POLLRDHUP");
  // 0x2000 is no poll bit on macOS or OpenBSD.
  assert.equal(pollNames(TABLES.darwin, 0x2001), "POLLIN");
  assert.equal(pollNames(TABLES.openbsd, 0), "");
});

Deno.test("the TCP state byte decodes under Linux and BSD numbering", async (t) => {
  const cases = [
    ["linux", 1, "ESTABLISHED"],
    ["linux", 6, "TIME_WAIT"],
    ["linux", 7, "CLOSED"],
    ["linux", 8, "CLOSE_WAIT"],
    ["linux", 10, "LISTEN"],
    ["linux", 11, "CLOSING"],
    ["linux", 0, null],
    ["darwin", 4, "ESTABLISHED"],
    ["darwin", 5, "CLOSE_WAIT"],
    ["freebsd", 9, "FIN_WAIT2"],
    ["freebsd", 10, "TIME_WAIT"],
    ["openbsd", 0, "CLOSED"],
    ["openbsd", 8, "LAST_ACK"],
    ["openbsd", 11, null],
  ] as const;
  for (const [os, byte, name] of cases) {
    await t.step(`${os} ${byte} is ${name}`, () => {
      assert.equal(decodeTcpState(TABLES[os], byte), name);
      if (name !== null) {
        assert.equal(
          decodeTcpState(TABLES[os], encodeTcpState(TABLES[os], name)),
          name,
        );
      }
    });
  }
});

Deno.test("struct timeval is 16 little-endian bytes: {tv_sec, tv_usec}", () => {
  assert.equal(TIMEVAL_SIZE, 16);
  assert.deepEqual(
    [...encodeTimeval(40)],
    [0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x9c, 0, 0, 0, 0, 0, 0],
  );
  assert.deepEqual(
    [...encodeTimeval(2500)],
    [2, 0, 0, 0, 0, 0, 0, 0, 0x20, 0xa1, 0x07, 0, 0, 0, 0, 0],
  );
  assert.throws(() => encodeTimeval(-1), RangeError);
  assert.throws(() => encodeTimeval(0.5), RangeError);
});
