import assert from "node:assert/strict";
import { cpioArchive, CpioWriter, parseCpio } from "./initramfs.ts";
import { which } from "./process.ts";

const text = (s: string) => new TextEncoder().encode(s);

const ENTRIES = [
  { kind: "dir", path: "/bin", mode: 0o700, mtime: 1_700_000_000 },
  {
    kind: "file",
    path: "bin/hello",
    data: text("#!/bin/sh\necho hello\n"),
    mode: 0o755,
    mtime: 1_700_000_001,
  },
  { kind: "symlink", path: "bin/hi", target: "hello" },
  { kind: "file", path: "deep/er/x", data: text("12345") },
] as const;

Deno.test("cpioArchive() writes newc headers that read back as written", async (t) => {
  const archive = cpioArchive(ENTRIES);
  const entries = parseCpio(archive);

  await t.step("entries come in order, missing parents first", () => {
    assert.deepEqual(entries.map((e) => [e.kind, e.path]), [
      ["dir", "bin"],
      ["file", "bin/hello"],
      ["symlink", "bin/hi"],
      ["dir", "deep"],
      ["dir", "deep/er"],
      ["file", "deep/er/x"],
    ]);
  });

  await t.step("modes carry the file type and the permission bits", () => {
    assert.deepEqual(entries.map((e) => e.mode.toString(8)), [
      "40700",
      "100755",
      "120777",
      "40755",
      "40755",
      "100644",
    ]);
  });

  await t.step("files hold their data, links their target", () => {
    assert.equal(
      new TextDecoder().decode(entries[1]!.data),
      "#!/bin/sh\necho hello\n",
    );
    assert.equal(new TextDecoder().decode(entries[2]!.data), "hello");
    assert.equal(new TextDecoder().decode(entries[5]!.data), "12345");
  });

  await t.step("inodes are distinct, owners root, mtimes kept", () => {
    assert.equal(new Set(entries.map((e) => e.ino)).size, entries.length);
    assert.ok(entries.every((e) => e.uid === 0 && e.gid === 0));
    assert.equal(entries[0]!.mtime, 1_700_000_000);
    assert.equal(entries[1]!.mtime, 1_700_000_001);
    assert.deepEqual(entries.map((e) => e.nlink), [2, 1, 1, 2, 2, 1]);
  });

  await t.step("every header starts 4-byte aligned with the magic", () => {
    for (const e of entries) {
      assert.equal(e.offset % 4, 0);
      assert.equal(
        new TextDecoder().decode(archive.subarray(e.offset, e.offset + 6)),
        "070701",
      );
    }
  });

  await t.step("the first header's fields are where newc puts them", () => {
    const head = new TextDecoder().decode(archive.subarray(0, 110));
    // magic, ino, mode, uid, gid, nlink, mtime, filesize, dev and rdev
    // major/minor, namesize ("bin" + NUL), check.
    assert.equal(
      head,
      "070701" + "00000001" + "000041c0" + "00000000" + "00000000" +
        "00000002" + (1_700_000_000).toString(16).padStart(8, "0") +
        "00000000" + "00000000" + "00000000" + "00000000" + "00000000" +
        "00000004" + "00000000",
    );
    assert.equal(new TextDecoder().decode(archive.subarray(110, 114)), "bin\0");
  });

  await t.step("it ends with the trailer, padded to 512 bytes", () => {
    assert.equal(archive.length % 512, 0);
    const tail = new TextDecoder().decode(archive);
    assert.ok(tail.includes("TRAILER!!!\0"));
    assert.equal(tail.lastIndexOf("TRAILER!!!") % 4, 2); // 110 + 4k + 2
  });
});

Deno.test("parseCpio() reads concatenated archives, as the kernel does", () => {
  const first = cpioArchive([{ kind: "file", path: "a", data: text("1") }]);
  const second = cpioArchive(
    [{ kind: "file", path: "b", data: text("22") }],
    1000,
  );
  const both = new Uint8Array(first.length + second.length);
  both.set(first);
  both.set(second, first.length);
  assert.deepEqual(
    parseCpio(both).map((e) => [e.path, e.ino, e.data.length]),
    [["a", 1, 1], ["b", 1000, 2]],
  );
});

Deno.test("CpioWriter refuses what the kernel could not unpack", async (t) => {
  const writer = new CpioWriter({ writeSync: (b) => b.length });
  await t.step("a path twice", () => {
    writer.add({ kind: "dir", path: "x" });
    assert.throws(() => writer.add({ kind: "dir", path: "/x/" }), RangeError);
  });
  await t.step("a path that climbs out with ..", () => {
    assert.throws(
      () => writer.add({ kind: "dir", path: "x/../../etc" }),
      RangeError,
    );
  });
  await t.step("an entry after the trailer", () => {
    writer.finish();
    assert.throws(() => writer.add({ kind: "dir", path: "y" }), TypeError);
  });
});

Deno.test("parseCpio() rejects a truncated archive", () => {
  const archive = cpioArchive([{ kind: "file", path: "a", data: text("abc") }]);
  assert.throws(() => parseCpio(archive.subarray(0, 114)), SyntaxError);
});

Deno.test({
  name: "GNU cpio -t lists the archive (when it is installed)",
  ignore: Deno.build.os !== "linux" || which("cpio") === null,
  async fn() {
    const out = await new Deno.Command("cpio", {
      args: ["-t", "--quiet"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = out.stdin.getWriter();
    await writer.write(cpioArchive(ENTRIES));
    await writer.close();
    const { code, stdout } = await out.output();
    assert.equal(code, 0);
    assert.deepEqual(new TextDecoder().decode(stdout).trim().split("\n"), [
      "bin",
      "bin/hello",
      "bin/hi",
      "deep",
      "deep/er",
      "deep/er/x",
    ]);
  },
});
