import assert from "node:assert/strict";
import { runScript } from "../lib/testing/subprocess.ts";

const script = new URL("./merge_results.ts", import.meta.url).pathname;
const INPUTS = new URL(
  "../lib/documents/report/testdata/inputs",
  import.meta.url,
).pathname;

function merge(...args: string[]) {
  return runScript(script, ["--allow-read", "--allow-write"], args);
}

Deno.test("merge_results names each uploaded file by its platform id, keeping the others", async () => {
  const from = Deno.makeTempDirSync();
  const to = Deno.makeTempDirSync();
  try {
    Deno.copyFileSync(
      `${INPUTS}/linux-x86_64-6.1.json`,
      `${from}/linux-x86_64.json`,
    );
    Deno.copyFileSync(
      `${INPUTS}/freebsd-amd64.json`,
      `${from}/freebsd-x86_64.json`,
    );
    Deno.writeTextFileSync(`${to}/linux-x86_64-6.1.json`, "older\n");
    Deno.writeTextFileSync(`${to}/other.json`, "kept\n");
    const r = await merge(from, to);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      [...Deno.readDirSync(to)].map((e) => e.name).sort(),
      ["freebsd-amd64.json", "linux-x86_64-6.1.json", "other.json"],
    );
    assert.equal(
      JSON.parse(Deno.readTextFileSync(`${to}/linux-x86_64-6.1.json`)).platform
        .id,
      "linux-x86_64-6.1",
    );
    assert.equal(Deno.readTextFileSync(`${to}/other.json`), "kept\n");
    assert.match(r.stdout, /linux-x86_64\.json → .*\/linux-x86_64-6\.1\.json/);
  } finally {
    Deno.removeSync(from, { recursive: true });
    Deno.removeSync(to, { recursive: true });
  }
});

Deno.test("merge_results refuses a bad file with one line and exit 2, writing nothing", async () => {
  const from = Deno.makeTempDirSync();
  const to = Deno.makeTempDirSync();
  try {
    Deno.copyFileSync(`${INPUTS}/linux-x86_64-6.1.json`, `${from}/a.json`);
    Deno.writeTextFileSync(`${from}/b.json`, "{}");
    const r = await merge(from, to);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /^merge-results: .*b\.json: \/schemaVersion: missing/,
    );
    assert.equal(r.stderr.trimEnd().split("\n").length, 1);
    assert.deepEqual([...Deno.readDirSync(to)], []);
    const usage = await merge(from);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /^merge-results: usage: /);
  } finally {
    Deno.removeSync(from, { recursive: true });
    Deno.removeSync(to, { recursive: true });
  }
});
