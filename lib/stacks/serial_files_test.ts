import assert from "node:assert/strict";
import { which } from "./process.ts";
import {
  decodeSerialFiles,
  encodeSerialFiles,
  SERIAL_SENDER,
  serialStarted,
} from "./serial_files.ts";

const text = (s: string) => new TextEncoder().encode(s);

const FILES = [
  {
    name: "results/linux-x86_64-6.1.json",
    data: text('{"a":1}\n'.repeat(500)),
  },
  { name: "results/with space.md", data: text("# x\r\nno newline at the end") },
  { name: "empty", data: new Uint8Array(0) },
  {
    name: "pcap/article/linger=0.1.pcap",
    data: Uint8Array.from({ length: 3000 }, (_, i) => (i * 7919) % 256),
  },
];

Deno.test("decodeSerialFiles() reads back what encodeSerialFiles() wrote", async (t) => {
  const stream = encodeSerialFiles("6.1.0-56-cloud-amd64", FILES, 3);

  await t.step("every file, byte for byte, and the exit code", () => {
    const got = decodeSerialFiles(stream);
    assert.equal(got.problem, null);
    assert.equal(got.started, "6.1.0-56-cloud-amd64");
    assert.equal(got.exitCode, 3);
    assert.deepEqual(got.files, FILES);
  });

  await t.step("also through a tty that turned \\n into \\r\\n", () => {
    const got = decodeSerialFiles(stream.replaceAll("\n", "\r\n"));
    assert.equal(got.problem, null);
    assert.deepEqual(got.files, FILES);
  });

  await t.step("no files, exit code 0", () => {
    const got = decodeSerialFiles(encodeSerialFiles("6.1", [], 0));
    assert.deepEqual(got, {
      started: "6.1",
      files: [],
      exitCode: 0,
      problem: null,
    });
  });
});

Deno.test("decodeSerialFiles() tells a truncated or damaged stream", async (t) => {
  const stream = encodeSerialFiles("6.1", FILES, 0);
  const lines = stream.split("\n");

  await t.step("cut anywhere before the done line", () => {
    for (let n = 1; n < lines.length - 2; n++) {
      const cutStream = lines.slice(0, n).join("\n") + "\n";
      const got = decodeSerialFiles(cutStream);
      assert.notEqual(got.problem, null, `cut after ${n} lines`);
      assert.equal(got.exitCode, null);
    }
  });

  await t.step("cut inside a file: the files before it are whole", () => {
    const at = stream.indexOf("file ", stream.indexOf("end\n"));
    const got = decodeSerialFiles(
      stream.slice(0, stream.indexOf("\n", at) + 10),
    );
    assert.match(got.problem ?? "", /ends inside file results\/with space\.md/);
    assert.deepEqual(got.files.map((f) => f.name), [FILES[0]!.name]);
  });

  await t.step("cut in the middle of the done line", () => {
    const got = decodeSerialFiles(stream.slice(0, -2));
    assert.match(got.problem ?? "", /no done line/);
  });

  await t.step("nothing at all", () => {
    assert.match(decodeSerialFiles("").problem ?? "", /never started/);
  });

  await t.step("a changed byte fails the checksum or the decoding", () => {
    const damaged = stream.replace(
      /\nH4sI([A-Za-z])/,
      (_, c: string) => `\nH4sI${c === "A" ? "B" : "A"}`,
    );
    assert.notEqual(damaged, stream);
    assert.notEqual(decodeSerialFiles(damaged).problem, null);
  });

  await t.step("a size that does not match", () => {
    const wrong = stream.replace("file 4000 ", "file 4001 ");
    assert.match(decodeSerialFiles(wrong).problem ?? "", /not the 4001/);
  });

  await t.step("garbage between files", () => {
    const wrong = stream.replace("end\n", "end\nhello\n");
    assert.match(decodeSerialFiles(wrong).problem ?? "", /not a file or done/);
  });
});

Deno.test("serialStarted() sees the started line once it is whole", () => {
  assert.equal(serialStarted(""), null);
  assert.equal(serialStarted("escoteria-serial 1 started 6.1.0"), null);
  assert.equal(serialStarted("escoteria-serial 1 started 6.1.0\r\n"), "6.1.0");
  assert.equal(serialStarted("something else\n"), null);
});

// The guest's shell is busybox's; GNU's tools take the same options.
const shellTools = ["sh", "stat", "sha256sum", "gzip", "base64", "uname"];
const busybox = which("busybox");

Deno.test({
  name: "SERIAL_SENDER's shell functions write what the decoder reads",
  ignore: Deno.build.os !== "linux" ||
    (busybox === null && shellTools.some((p) => which(p) === null)),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "escoteria-serial-" });
    try {
      for (const [i, f] of FILES.entries()) {
        await Deno.writeFile(`${dir}/${i}`, f.data);
      }
      const script = SERIAL_SENDER + [
        "serial_started",
        ...FILES.map((f, i) => `serial_file '${f.name}' '${dir}/${i}'`),
        "serial_done 42",
      ].join("\n");
      const out = await new Deno.Command(busybox ?? "sh", {
        args: busybox === null ? ["-c", script] : ["sh", "-c", script],
        stdout: "piped",
        stderr: "inherit",
      }).output();
      assert.equal(out.code, 0);
      const got = decodeSerialFiles(new TextDecoder().decode(out.stdout));
      assert.equal(got.problem, null);
      assert.equal(got.exitCode, 42);
      assert.notEqual(got.started, null);
      assert.deepEqual(got.files, FILES);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
