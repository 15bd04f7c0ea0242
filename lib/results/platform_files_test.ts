import assert from "node:assert/strict";
import { ResultsError } from "./format.ts";
import { platformFiles, readPlatforms } from "./platform_files.ts";

const INPUTS =
  new URL("../documents/report/testdata/inputs", import.meta.url).pathname;

Deno.test("platformFiles() lists JSON files but the schema and the matrix", () => {
  const dir = Deno.makeTempDirSync();
  for (
    const name of [
      "schema.json",
      "matrix.json",
      "b-x.json",
      "a-x.json",
      "REPORT.md",
      "a-x.json.tmp-1",
    ]
  ) Deno.writeTextFileSync(`${dir}/${name}`, "{}");
  Deno.mkdirSync(`${dir}/sub.json`);
  assert.deepEqual(platformFiles(dir), [
    `${dir}/a-x.json`,
    `${dir}/b-x.json`,
  ]);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("readPlatforms() reads every file it is given", () => {
  const loaded = readPlatforms(platformFiles(INPUTS));
  assert.deepEqual(loaded.map((r) => r.platform.id), [
    "freebsd-amd64",
    "linux-x86_64-6.1",
    "linux-x86_64-gvisor-20221219",
    "linux-x86_64",
  ]);
});

Deno.test("readPlatforms() rejects two files for the same platform, naming both", () => {
  const dir = Deno.makeTempDirSync();
  const text = Deno.readTextFileSync(`${INPUTS}/linux-x86_64.json`);
  Deno.writeTextFileSync(`${dir}/a.json`, text);
  Deno.writeTextFileSync(`${dir}/b.json`, text);
  assert.throws(
    () => readPlatforms([`${dir}/a.json`, `${dir}/b.json`]),
    (e: unknown) => {
      assert.ok(e instanceof ResultsError);
      assert.equal(
        e.message,
        `${dir}/b.json: /platform/id: "linux-x86_64" is also the platform of ${dir}/a.json`,
      );
      return true;
    },
  );
  Deno.removeSync(dir, { recursive: true });
});
