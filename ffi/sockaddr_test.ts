import assert from "node:assert/strict";
import {
  decodeSockaddr,
  encodeSockaddr,
  formatEndpoint,
  formatIpv6,
  parseIpv4,
  parseIpv6,
} from "./sockaddr.ts";
import { TABLES } from "./tables/mod.ts";

const hex = (b: Uint8Array) =>
  Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");

Deno.test("encodeSockaddr() lays out sockaddr_in as each OS header says", async (t) => {
  // 127.0.0.1:8080 — port 0x1f90 in network order, then 8 zero bytes.
  const expected = {
    linux: "02 00 1f 90 7f 00 00 01 00 00 00 00 00 00 00 00",
    darwin: "10 02 1f 90 7f 00 00 01 00 00 00 00 00 00 00 00",
    freebsd: "10 02 1f 90 7f 00 00 01 00 00 00 00 00 00 00 00",
    openbsd: "10 02 1f 90 7f 00 00 01 00 00 00 00 00 00 00 00",
  };
  for (const [os, bytes] of Object.entries(expected)) {
    await t.step(os, () => {
      const table = TABLES[os as keyof typeof TABLES];
      const sa = encodeSockaddr(table, {
        family: "inet",
        address: "127.0.0.1",
        port: 8080,
      });
      assert.equal(hex(sa), bytes);
    });
  }
});

Deno.test("encodeSockaddr() lays out sockaddr_in6 with each OS's AF_INET6", async (t) => {
  // [::1]:443: family, port 0x01bb, flowinfo 0, address, scope_id 0.
  const tail = "01 bb 00 00 00 00 " + "00 ".repeat(15) + "01 00 00 00 00";
  const expected = {
    linux: "0a 00 " + tail,
    darwin: "1c 1e " + tail,
    freebsd: "1c 1c " + tail,
    openbsd: "1c 18 " + tail,
  };
  for (const [os, bytes] of Object.entries(expected)) {
    await t.step(os, () => {
      const table = TABLES[os as keyof typeof TABLES];
      const sa = encodeSockaddr(table, {
        family: "inet6",
        address: "::1",
        port: 443,
      });
      assert.equal(sa.byteLength, 28);
      assert.equal(hex(sa), bytes);
    });
  }
});

Deno.test("decodeSockaddr() reverses encodeSockaddr() on every OS", () => {
  for (const table of Object.values(TABLES)) {
    for (
      const addr of [
        { family: "inet", address: "127.0.0.1", port: 1 },
        { family: "inet", address: "10.1.2.3", port: 65535 },
        { family: "inet6", address: "::1", port: 80 },
        { family: "inet6", address: "fe80::1:2", port: 8080 },
      ] as const
    ) {
      const padded = new Uint8Array(128);
      padded.set(encodeSockaddr(table, addr));
      assert.deepEqual(decodeSockaddr(table, padded), addr, table.os);
    }
  }
});

Deno.test("decodeSockaddr() rejects an unknown family", () => {
  assert.throws(
    () => decodeSockaddr(TABLES.linux, new Uint8Array(16).fill(0x7f)),
    RangeError,
  );
});

Deno.test("address text parses and formats per RFC 5952", () => {
  assert.deepEqual([...parseIpv4("127.0.0.1")], [127, 0, 0, 1]);
  assert.throws(() => parseIpv4("256.0.0.1"), RangeError);
  assert.throws(() => parseIpv4("1.2.3"), RangeError);
  assert.equal(formatIpv6(parseIpv6("::1")), "::1");
  assert.equal(formatIpv6(parseIpv6("::")), "::");
  assert.equal(
    formatIpv6(parseIpv6("2001:db8:0:0:1:0:0:1")),
    "2001:db8::1:0:0:1",
  );
  assert.throws(() => parseIpv6("1::2::3"), RangeError);
  assert.throws(() => parseIpv6("1:2:3"), RangeError);
  assert.equal(
    formatEndpoint({ family: "inet6", address: "::1", port: 9 }),
    "[::1]:9",
  );
});
