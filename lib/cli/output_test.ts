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

Deno.test("prepareOutputDir() creates a missing directory and its parents, accepts an existing one and leaves nothing behind", () => {
  inTempDir((dir) => {
    prepareOutputDir(`${dir}/a/b/pcaps`, "--pcap");
    prepareOutputDir(`${dir}/a/b/pcaps`, "--pcap");
    assert.ok(Deno.statSync(`${dir}/a/b/pcaps`).isDirectory);
    assert.deepEqual([...Deno.readDirSync(`${dir}/a/b/pcaps`)], []);
  });
});

Deno.test("prepareOutputDir() refuses a file, or a path through a file, in one line", () => {
  inTempDir((dir) => {
    Deno.writeTextFileSync(`${dir}/file`, "");
    refuses(
      () => prepareOutputDir(`${dir}/file`, "--out-dir"),
      /^cannot use --out-dir .*\/file: not a directory$/,
    );
    refuses(
      () => prepareOutputDir(`${dir}/file/pcaps`, "--pcap"),
      /^cannot use --pcap .*\/file\/pcaps: not a directory$/,
    );
  });
});

Deno.test("prepareOutputFile() creates the file's missing directories and writes nothing else", () => {
  inTempDir((dir) => {
    prepareOutputFile(`${dir}/out.json`, "--out");
    assert.deepEqual([...Deno.readDirSync(dir)], []);
    prepareOutputFile(`${dir}/missing/deeper/out.json`, "--out");
    assert.deepEqual([...Deno.readDirSync(`${dir}/missing/deeper`)], []);
    Deno.writeTextFileSync(`${dir}/file`, "");
    refuses(
      () => prepareOutputFile(`${dir}/file/out.json`, "--out"),
      /^cannot use --out .*\/file\/out\.json: .*\/file is not a directory$/,
    );
  });
});
