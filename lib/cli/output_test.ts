import assert from "node:assert/strict";
import { UsageError } from "./flags.ts";
import { prepareOutputDir, prepareOutputFile } from "./output.ts";

function inTempDir(fn: (dir: string) => void): void {
  const dir = Deno.makeTempDirSync();
  try {
    fn(dir);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

/** Asserts that `fn` throws a UsageError whose message matches `pattern`. */
function refuses(fn: () => void, pattern: RegExp): void {
  assert.throws(fn, (e) => e instanceof UsageError && pattern.test(e.message));
}

Deno.test("prepareOutputDir() with create makes a missing directory, accepts an existing one and leaves nothing behind", () => {
  inTempDir((dir) => {
    prepareOutputDir(`${dir}/pcaps`, "--pcap", { create: true });
    prepareOutputDir(`${dir}/pcaps`, "--pcap", { create: true });
    assert.ok(Deno.statSync(`${dir}/pcaps`).isDirectory);
    assert.deepEqual([...Deno.readDirSync(`${dir}/pcaps`)], []);
  });
});

Deno.test("prepareOutputDir() refuses a missing parent, a file, or a missing directory it may not create, in one line", () => {
  inTempDir((dir) => {
    Deno.writeTextFileSync(`${dir}/file`, "");
    const create = { create: true };
    refuses(
      () => prepareOutputDir(`${dir}/missing/pcaps`, "--pcap", create),
      /^cannot use --pcap .*\/missing\/pcaps: its parent does not exist$/,
    );
    refuses(
      () => prepareOutputDir(`${dir}/file`, "--pcap", create),
      /^cannot use --pcap .*\/file: not a directory$/,
    );
    refuses(
      () => prepareOutputDir(`${dir}/nosuch`, "--out-dir", { create: false }),
      /^cannot use --out-dir .*\/nosuch: it does not exist$/,
    );
    assert.throws(() => Deno.statSync(`${dir}/nosuch`), Deno.errors.NotFound);
  });
});

Deno.test("prepareOutputFile() accepts a file in an existing directory and refuses one in a missing directory", () => {
  inTempDir((dir) => {
    prepareOutputFile(`${dir}/out.json`, "--out");
    assert.deepEqual([...Deno.readDirSync(dir)], []);
    refuses(
      () => prepareOutputFile(`${dir}/missing/out.json`, "--out"),
      /^cannot use --out .*\/missing\/out\.json: its directory does not exist$/,
    );
  });
});
