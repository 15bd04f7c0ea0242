import assert from "node:assert/strict";
import { errnoName, errnoNumber } from "../errno.ts";
import { ERRNO_NAMES, OSES, type PlatformTable } from "./platform.ts";
import { isSupportedOs, TABLES } from "./mod.ts";

Deno.test("errno numbers match each OS header", async (t) => {
  // Spot values from linux asm-generic/errno*.h and BSD sys/errno.h.
  const expected = {
    linux: {
      EBADF: 9,
      EAGAIN: 11,
      EPIPE: 32,
      EOPNOTSUPP: 95,
      ECONNRESET: 104,
      ENOTCONN: 107,
      EINPROGRESS: 115,
    },
    darwin: {
      EBADF: 9,
      EAGAIN: 35,
      EPIPE: 32,
      EOPNOTSUPP: 102,
      ECONNRESET: 54,
      ENOTCONN: 57,
      EINPROGRESS: 36,
    },
    freebsd: {
      EBADF: 9,
      EAGAIN: 35,
      EPIPE: 32,
      EOPNOTSUPP: 45,
      ECONNRESET: 54,
      ENOTCONN: 57,
      EINPROGRESS: 36,
    },
    openbsd: {
      EBADF: 9,
      EAGAIN: 35,
      EPIPE: 32,
      EOPNOTSUPP: 45,
      ECONNRESET: 54,
      ENOTCONN: 57,
      EINPROGRESS: 36,
    },
  };
  for (const os of OSES) {
    await t.step(os, () => {
      for (const [name, number] of Object.entries(expected[os])) {
        assert.equal(errnoNumber(TABLES[os], name as "EBADF"), number, name);
        assert.equal(errnoName(TABLES[os], number), name);
      }
    });
  }
});

Deno.test("errno name ↔ number round-trips for every name on every OS", () => {
  for (const os of OSES) {
    const table = TABLES[os];
    const numbers = ERRNO_NAMES.map((n) => table.errno[n]);
    assert.equal(
      new Set(numbers).size,
      numbers.length,
      `${os}: two names share a number`,
    );
    for (const name of ERRNO_NAMES) {
      assert.equal(errnoName(table, table.errno[name]), name, `${os} ${name}`);
    }
    assert.equal(errnoName(table, 4242), "E#4242");
  }
});

Deno.test("each table names its OS and the constants its header gives", () => {
  for (const os of OSES) assert.equal(TABLES[os].os, os);
  assert.equal(TABLES.linux.constants.AF_INET6, 10);
  assert.equal(TABLES.darwin.constants.AF_INET6, 30);
  assert.equal(TABLES.freebsd.constants.AF_INET6, 28);
  assert.equal(TABLES.openbsd.constants.AF_INET6, 24);
  assert.equal(TABLES.darwin.constants.SO_LINGER, 0x1080, "SO_LINGER_SEC");
  assert.equal(TABLES.linux.constants.MSG_DONTWAIT, 0x40);
  assert.equal(TABLES.openbsd.constants.MSG_DONTWAIT, 0x80);
  assert.equal(TABLES.linux.nfdsType, "u64");
  assert.equal(TABLES.freebsd.nfdsType, "u32");
  assert.ok(isSupportedOs("linux"));
  assert.ok(!isSupportedOs("windows"));
});

Deno.test("the compiler rejects a table that misses an errno", () => {
  const { EPERM: _, ...partial } = TABLES.linux.errno;
  // @ts-expect-error: EPERM is missing, so this is not a PlatformTable.
  const broken: PlatformTable = { ...TABLES.linux, errno: partial };
  assert.equal(broken.errno.EPERM, undefined);
});

Deno.test("each table gives its header's open flags and struct utsname", () => {
  // sys/fcntl.h (asm-generic/fcntl.h on Linux) and sys/utsname.h of each OS.
  const expected = {
    linux: { O_CLOEXEC: 0x80000, fieldSize: 65, fieldCount: 6, call: "uname" },
    darwin: {
      O_CLOEXEC: 0x01000000,
      fieldSize: 256,
      fieldCount: 5,
      call: "uname",
    },
    freebsd: {
      O_CLOEXEC: 0x00100000,
      fieldSize: 256,
      fieldCount: 5,
      call: "__xuname",
    },
    openbsd: {
      O_CLOEXEC: 0x10000,
      fieldSize: 256,
      fieldCount: 5,
      call: "uname",
    },
  };
  for (const os of OSES) {
    const table = TABLES[os];
    assert.equal(table.constants.O_RDONLY, 0, os);
    assert.equal(table.constants.O_CLOEXEC, expected[os].O_CLOEXEC, os);
    assert.deepEqual(table.utsname, {
      fieldSize: expected[os].fieldSize,
      fieldCount: expected[os].fieldCount,
      call: expected[os].call,
    }, os);
  }
});
