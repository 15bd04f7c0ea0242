import assert from "node:assert/strict";
import {
  AF_PACKET,
  decodeSockaddrLl,
  encodeSockaddrLl,
  ETH_P_ALL,
  ETH_P_IPV6,
  htons,
  loopbackIfindex,
  PACKET_OUTGOING,
  SOCKADDR_LL_SIZE,
} from "./packet.ts";
import { hostPosix } from "../posix.ts";

Deno.test("htons() swaps a u16 into network order on a little-endian host", () => {
  assert.equal(htons(ETH_P_ALL), 0x0300);
  assert.equal(htons(0x86dd), 0xdd86);
  assert.throws(() => htons(0x10000), RangeError);
  assert.throws(() => htons(-1), RangeError);
});

Deno.test("sockaddr_ll encodes with the protocol big-endian and decodes back", () => {
  const bytes = encodeSockaddrLl({
    protocol: ETH_P_IPV6,
    ifindex: 7,
    hatype: 772,
    pkttype: PACKET_OUTGOING,
    addr: new Uint8Array([1, 2, 3, 4, 5, 6]),
  });
  assert.equal(bytes.byteLength, SOCKADDR_LL_SIZE);
  assert.deepEqual([...bytes.subarray(0, 12)], [
    AF_PACKET,
    0,
    0x86,
    0xdd,
    7,
    0,
    0,
    0,
    0x04,
    0x03,
    PACKET_OUTGOING,
    6,
  ]);
  assert.deepEqual(decodeSockaddrLl(bytes), {
    family: AF_PACKET,
    protocol: ETH_P_IPV6,
    ifindex: 7,
    hatype: 772,
    pkttype: PACKET_OUTGOING,
    addr: new Uint8Array([1, 2, 3, 4, 5, 6]),
  });
  assert.throws(() => decodeSockaddrLl(new Uint8Array(19)), RangeError);
  assert.throws(
    () => encodeSockaddrLl({ ifindex: 1, addr: new Uint8Array(9) }),
    RangeError,
  );
});

Deno.test({
  name: "loopbackIfindex() finds lo through libc without touching sysfs",
  ignore: Deno.build.os !== "linux",
  fn: () => {
    const index = loopbackIfindex(hostPosix());
    assert.ok(index !== null && Number.isInteger(index) && index > 0);
    assert.equal(hostPosix().ifNameToIndex("no-such-if0"), null);
  },
});
