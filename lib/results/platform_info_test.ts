import assert from "node:assert/strict";
import { hostPosix } from "../../ffi/posix.ts";
import { ResultsError, validateResults } from "./format.ts";
import {
  decodeSysctlInteger,
  describePlatform,
  LINUX_SYSCTLS,
  readLinuxSysctls,
  readSysctls,
  resolveOsRelease,
} from "./platform_info.ts";

const posix = hostPosix();
const linux = posix.table.os === "linux";

function cat(path: string): string {
  const out = new Deno.Command("cat", { args: [path], stdout: "piped" })
    .outputSync();
  assert.ok(out.success, `cat ${path} failed`);
  return new TextDecoder().decode(out.stdout).trim();
}

Deno.test({
  name:
    "describePlatform() records the Linux sysctls with the values cat reads",
  ignore: !linux,
  fn: () => {
    const platform = describePlatform(posix, "deno task run-all");
    const sysctls = platform.sysctls ?? {};
    const unreadable = platform.sysctlsUnreadable ?? {};
    for (const name of LINUX_SYSCTLS) {
      const path = `/proc/sys/${name.replaceAll(".", "/")}`;
      if (name in unreadable) {
        // Only a sysctl this kernel lacks may be missing, and it says so.
        assert.equal(unreadable[name], "ENOENT: not on this kernel", name);
        assert.ok(!(name in sysctls), name);
        continue;
      }
      const text = cat(path);
      assert.equal(sysctls[name], /^-?\d+$/.test(text) ? Number(text) : text);
    }
    assert.ok(Object.keys(sysctls).length > 0, "no sysctl was read at all");
    assert.equal(platform.sysctlsUnavailable, undefined);
  },
});

Deno.test({
  name:
    "a sysctl that cannot be read is recorded with its reason, not left out",
  ignore: !linux,
  fn: () => {
    const report = readLinuxSysctls(posix, [
      "net.ipv4.tcp_fin_timeout",
      "net.ipv4.escoteria_nonexistent",
      "net.ipv4.route.flush", // mode 0200: EACCES even for root
    ]);
    assert.equal(
      report.sysctls["net.ipv4.tcp_fin_timeout"],
      Number(
        cat("/proc/sys/net/ipv4/tcp_fin_timeout"),
      ),
    );
    assert.equal(
      report.unreadable["net.ipv4.escoteria_nonexistent"],
      "ENOENT: not on this kernel",
    );
    const flush = report.unreadable["net.ipv4.route.flush"];
    assert.ok(
      flush === "EACCES: Permission denied" ||
        flush === "ENOENT: not on this kernel",
      `net.ipv4.route.flush: ${flush}`,
    );
    assert.deepEqual(
      Object.keys(report.sysctls).length +
        Object.keys(report.unreadable).length,
      3,
    );
    assert.equal(report.unavailable, null);
  },
});

Deno.test("readSysctls() names why nothing was read where there is no way", () => {
  const report = readSysctls(posix);
  if (posix.table.os === "openbsd") {
    assert.match(report.unavailable ?? "", /sysctlbyname/);
    assert.deepEqual(report.sysctls, {});
  } else {
    assert.equal(report.unavailable, null);
  }
});

Deno.test("decodeSysctlInteger() reads 1-, 4- and 8-byte integers, nothing else", () => {
  assert.equal(decodeSysctlInteger(new Uint8Array([1])), 1);
  assert.equal(decodeSysctlInteger(new Uint8Array([0x30, 0x75, 0, 0])), 30000);
  assert.equal(
    decodeSysctlInteger(new Uint8Array([0xff, 0xff, 0xff, 0xff])),
    -1,
  );
  assert.equal(
    decodeSysctlInteger(new Uint8Array([0, 0, 0, 0, 1, 0, 0, 0])),
    2 ** 32,
  );
  // A view into a larger buffer decodes its own bytes only.
  const shared = new Uint8Array([9, 9, 7, 0, 0, 0]);
  assert.equal(decodeSysctlInteger(shared.subarray(2)), 7);
  assert.equal(decodeSysctlInteger(new Uint8Array(2)), null);
  assert.equal(decodeSysctlInteger(new TextEncoder().encode("Darwin\0")), null);
});

Deno.test("resolveOsRelease() falls back to uname(2) and says why when both fail", () => {
  const uname = () => ({ ret: 0, errno: null, value: "6.1.0-uname" });
  const failing = () => ({ ret: -1, errno: "EFAULT" as const, value: null });
  assert.equal(resolveOsRelease(() => "6.1.0-deno", failing), "6.1.0-deno");
  assert.equal(resolveOsRelease(() => "", uname), "6.1.0-uname");
  assert.equal(
    resolveOsRelease(() => {
      throw new Deno.errors.NotCapable("sys");
    }, uname),
    "6.1.0-uname",
  );
  assert.equal(
    resolveOsRelease(() => "", failing),
    "unknown (Deno.osRelease() empty; uname: EFAULT)",
  );
  assert.equal(
    resolveOsRelease(() => {
      throw new Deno.errors.NotCapable("sys");
    }, () => ({ ret: 0, errno: null, value: "" })),
    "unknown (Deno.osRelease() threw NotCapable; uname() release empty)",
  );
});

Deno.test("describePlatform() gives the release uname(2) gives", () => {
  const platform = describePlatform(posix, "deno task run-all");
  const uname = new Deno.Command("uname", { args: ["-r"], stdout: "piped" })
    .outputSync();
  assert.equal(
    platform.osRelease,
    new TextDecoder().decode(uname.stdout).trim(),
  );
});

Deno.test("the platform block of this machine, new fields included, validates", () => {
  const platform = describePlatform(posix, "deno task run-all");
  const results = { schemaVersion: 2, platform, cases: [] };
  assert.deepEqual(validateResults(results, "x.json"), results);
  const withReasons = {
    ...results,
    platform: {
      ...platform,
      sysctlsUnreadable: {
        "net.ipv4.tcp_rfc1337": "EACCES: Permission denied",
      },
      sysctlsUnavailable: "no sysctlbyname(3)",
    },
  };
  assert.deepEqual(validateResults(withReasons, "x.json"), withReasons);
  assert.throws(
    () =>
      validateResults({
        ...results,
        platform: { ...platform, sysctlsUnreadable: { "a.b": 13 } },
      }, "x.json"),
    ResultsError,
  );
  assert.throws(
    () =>
      validateResults({
        ...results,
        platform: { ...platform, sysctlsUnavailable: "" },
      }, "x.json"),
    ResultsError,
  );
});
