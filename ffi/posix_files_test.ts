import assert from "node:assert/strict";
import { hostPosix } from "./posix.ts";

const posix = hostPosix();
const os = posix.table.os;
const linux = os === "linux";

/** Runs a command and returns its stdout without the trailing newline. */
function run(command: string, ...args: string[]): string {
  const out = new Deno.Command(command, { args, stdout: "piped" })
    .outputSync();
  assert.ok(out.success, `${command} ${args.join(" ")} failed`);
  return new TextDecoder().decode(out.stdout).replace(/\n$/, "");
}

/** Open fds of this process, counted by fcntl(F_GETFL) not failing EBADF. */
function openFds(): number {
  let open = 0;
  for (let fd = 0; fd < 1024; fd++) {
    if (posix.fileStatusFlags(fd).errno !== "EBADF") open++;
  }
  return open;
}

Deno.test({
  name: "readTextFile() reads /proc/sys through libc, byte for byte as cat",
  ignore: !linux,
  fn: () => {
    for (
      const name of [
        "net/ipv4/tcp_fin_timeout",
        "net/ipv4/tcp_sack",
        "net/ipv4/tcp_rmem",
        "kernel/osrelease",
      ]
    ) {
      const path = `/proc/sys/${name}`;
      const out = posix.readTextFile(path);
      assert.equal(out.errno, null, `${path}: ${out.errno}`);
      assert.equal(out.value, `${run("cat", path)}\n`, path);
      assert.equal(out.truncated, false);
    }
  },
});

Deno.test("readTextFile() reads a file of several chunks, UTF-8 intact", () => {
  const path = Deno.makeTempFileSync();
  try {
    // "é" is two bytes, so chunk boundaries fall inside characters.
    const text = "é".repeat(5000) + "end\n";
    Deno.writeTextFileSync(path, text);
    const out = posix.readTextFile(path);
    assert.deepEqual(out, {
      ret: new TextEncoder().encode(text).byteLength,
      errno: null,
      value: text,
      call: null,
      truncated: false,
    });
  } finally {
    Deno.removeSync(path);
  }
});

Deno.test("readTextFile() marks a file over the cap as truncated, never silently", () => {
  const path = Deno.makeTempFileSync();
  try {
    Deno.writeTextFileSync(path, "0123456789abcdef");
    assert.deepEqual(posix.readTextFile(path, 10), {
      ret: 10,
      errno: null,
      value: "0123456789",
      call: null,
      truncated: true,
    });
    assert.equal(posix.readTextFile(path, 16).truncated, false);
  } finally {
    Deno.removeSync(path);
  }
});

Deno.test("readTextFile() of a missing file is ENOENT from open, as data", () => {
  assert.deepEqual(posix.readTextFile("/nonexistent/escoteria/file"), {
    ret: -1,
    errno: "ENOENT",
    value: null,
    call: "open",
    truncated: false,
  });
});

Deno.test({
  name:
    "readTextFile() of a write-only /proc/sys entry is EACCES, even as root",
  // net.ipv4.route.flush is mode 0200; proc_sys_permission() refuses a read
  // to root as well.
  ignore: !linux ||
    !new Deno.Command("test", {
      args: ["-e", "/proc/sys/net/ipv4/route/flush"],
    })
      .outputSync().success,
  fn: () => {
    const out = posix.readTextFile("/proc/sys/net/ipv4/route/flush");
    assert.equal(out.errno, "EACCES");
    assert.equal(out.call, "open");
  },
});

Deno.test({
  name: "readTextFile() of a directory fails in read(), EISDIR (21) on Linux",
  ignore: !linux,
  fn: () => {
    const out = posix.readTextFile("/");
    assert.equal(out.call, "read");
    assert.equal(out.errno, "E#21");
    assert.equal(out.value, null);
  },
});

Deno.test("readTextFile() closes its fd on every path", () => {
  const path = Deno.makeTempFileSync();
  try {
    Deno.writeTextFileSync(path, "x".repeat(100));
    const before = openFds();
    for (let i = 0; i < 50; i++) {
      posix.readTextFile(path); // success
      posix.readTextFile(path, 10); // truncated
      posix.readTextFile("/nonexistent/escoteria/file"); // open fails
      posix.readTextFile("/"); // read fails where the OS refuses it
    }
    assert.equal(openFds(), before);
  } finally {
    Deno.removeSync(path);
  }
});

Deno.test("readTextFile() refuses a path with a NUL byte instead of cutting it", () => {
  assert.throws(() => posix.readTextFile("/etc/hostname\0.bak"), TypeError);
});

Deno.test("uname() fills every field as uname(1) prints it", () => {
  const out = posix.uname();
  assert.equal(out.errno, null);
  assert.deepEqual(out.value, {
    sysname: run("uname", "-s"),
    nodename: run("uname", "-n"),
    release: run("uname", "-r"),
    version: run("uname", "-v"),
    machine: run("uname", "-m"),
  });
});

Deno.test("kernelRelease() equals `uname -r`", () => {
  assert.deepEqual(posix.kernelRelease(), {
    ret: 0,
    errno: null,
    value: run("uname", "-r"),
  });
});

Deno.test({
  name: "sysctlByName() is null where libc has none (glibc, OpenBSD)",
  ignore: os !== "linux" && os !== "openbsd",
  fn: () => {
    assert.equal(posix.sysctlByName("kern.ostype"), null);
  },
});

Deno.test({
  name:
    "sysctlByName() reads what sysctl(8) prints, ENOENT for an unknown name",
  ignore: os !== "darwin" && os !== "freebsd",
  fn: () => {
    const ostype = posix.sysctlByName("kern.ostype");
    assert.ok(ostype?.value);
    const text = new TextDecoder().decode(ostype.value).replace(/\0$/, "");
    assert.equal(text, run("sysctl", "-n", "kern.ostype"));
    const msl = posix.sysctlByName("net.inet.tcp.msl");
    assert.equal(msl?.value?.byteLength, 4);
    const value = new DataView(msl.value!.buffer).getInt32(0, true);
    assert.equal(String(value), run("sysctl", "-n", "net.inet.tcp.msl"));
    assert.equal(
      posix.sysctlByName("net.inet.tcp.escoteria_nonexistent")?.errno,
      "ENOENT",
    );
  },
});
