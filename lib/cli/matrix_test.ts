import assert from "node:assert/strict";
import { runScript } from "../testing/subprocess.ts";

const script = new URL("./matrix.ts", import.meta.url).pathname;
const committed = new URL("../../results/", import.meta.url).pathname;

function matrix(...args: string[]) {
  return runScript(script, ["--allow-read", "--allow-write"], args);
}

Deno.test("the committed MATRIX.md and matrix.json are what the committed results give", async () => {
  const dir = Deno.makeTempDirSync();
  for (const e of Deno.readDirSync(committed)) {
    if (e.name.endsWith(".json")) {
      Deno.copyFileSync(`${committed}${e.name}`, `${dir}/${e.name}`);
    }
  }
  const r = await matrix("--dir", dir);
  assert.equal(r.code, 0, r.stderr);
  for (const name of ["MATRIX.md", "matrix.json"]) {
    assert.equal(
      Deno.readTextFileSync(`${dir}/${name}`),
      Deno.readTextFileSync(`${committed}${name}`),
      `results/${name} is stale: run deno task matrix`,
    );
  }
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("matrix rejects a bad platform file with one line, exit 2, and writes nothing", async (t) => {
  const cases: [string, RegExp][] = [
    ["{ nope", /^matrix: .*bad\.json: malformed JSON/],
    ['{"schemaVersion": 9}', /bad\.json: \/schemaVersion: 9 is newer/],
    ["[]", /bad\.json: not an escoteria results file/],
  ];
  for (const [text, pattern] of cases) {
    await t.step(pattern.source, async () => {
      const dir = Deno.makeTempDirSync();
      Deno.writeTextFileSync(`${dir}/bad.json`, text);
      const r = await matrix("--dir", dir);
      assert.equal(r.code, 2);
      assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
      assert.match(r.stderr, pattern);
      assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), [
        "bad.json",
      ]);
      Deno.removeSync(dir, { recursive: true });
    });
  }
  await t.step("unknown flag", async () => {
    const r = await matrix("--bogus");
    assert.equal(r.code, 2);
    assert.equal(r.stderr, "matrix: unknown flag --bogus\n");
  });
  await t.step("missing directory", async () => {
    const r = await matrix("--dir", "/nonexistent/escoteria");
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^matrix: cannot read --dir \/nonexistent/);
  });
});
