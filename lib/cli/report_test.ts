import assert from "node:assert/strict";
import { runScript } from "../testing/subprocess.ts";
import { canonical } from "../results/format.ts";
import { RESULTS_DIR } from "./paths.ts";
import { main, renderReports } from "./report.ts";
import { buildMatrixFiles } from "./matrix.ts";
import { EXPERIMENTS } from "../../experiments/mod.ts";
import { platformFiles, readPlatforms } from "../results/platform_files.ts";

const TESTDATA =
  new URL("../documents/report/testdata", import.meta.url).pathname;
const INPUTS = `${TESTDATA}/inputs`;
const EXPECTED = `${TESTDATA}/expected`;
const NAMES = ["REPORT.md", "report.html"] as const;
const cli = new URL("./report.ts", import.meta.url).pathname;

// The expected files are the report's own output, checked by eye when they
// change; regenerate them with
//   deno task report --out-dir lib/documents/report/testdata/expected \
//     lib/documents/report/testdata/inputs/*.json

function report(...args: string[]) {
  return runScript(cli, ["--allow-read", "--allow-write"], args);
}

/** Object keys in reverse order at every depth: same data, other text. */
function reversedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value).sort().reverse().map((k) => [
        k,
        reversedKeys((value as Record<string, unknown>)[k]),
      ]),
    );
  }
  return value;
}

Deno.test("the report of the fixtures equals the golden files, byte for byte", () => {
  const reports = renderReports(readPlatforms(platformFiles(INPUTS)));
  for (const name of NAMES) {
    assert.equal(reports[name], Deno.readTextFileSync(`${EXPECTED}/${name}`));
  }
});

Deno.test("the report does not depend on file order, key order or repetition", () => {
  const results = readPlatforms(platformFiles(INPUTS));
  const first = renderReports(results);
  const shuffled = results.toReversed().map((r) => reversedKeys(r) as typeof r);
  assert.notEqual(
    JSON.stringify(shuffled[0]),
    JSON.stringify(canonical(results[1])),
  );
  assert.deepEqual(renderReports(shuffled), first);
  assert.deepEqual(renderReports(results), first);
});

Deno.test("the committed results/REPORT.md and report.html are up to date (deno task report)", () => {
  const reports = renderReports(readPlatforms(platformFiles(RESULTS_DIR)));
  for (const name of NAMES) {
    assert.ok(
      reports[name] === Deno.readTextFileSync(`${RESULTS_DIR}/${name}`),
      `results/${name} is stale: run deno task report`,
    );
  }
});

Deno.test("report with FILE arguments and no --out-dir refuses, leaving results/ alone", async () => {
  const r = await report(`${INPUTS}/linux-x86_64.json`);
  assert.equal(r.code, 2);
  assert.equal(
    r.stderr,
    "report: FILE arguments need --out-dir DIR: results/ holds the report of results/ only\n",
  );
});

Deno.test("report writes both files into --out-dir, creating it", async () => {
  const parent = Deno.makeTempDirSync();
  const dir = `${parent}/new/reports`;
  const r = await report(
    "--out-dir",
    dir,
    ...platformFiles(INPUTS),
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^4 platform files; wrote /);
  assert.deepEqual(
    [...Deno.readDirSync(dir)].map((e) => e.name).sort(),
    [...NAMES].sort(),
  );
  for (const name of NAMES) {
    assert.equal(
      Deno.readTextFileSync(`${dir}/${name}`),
      Deno.readTextFileSync(`${EXPECTED}/${name}`),
    );
  }
  Deno.removeSync(parent, { recursive: true });
});

Deno.test("report rejects bad input with one line naming file and field, exit 2, reports untouched", async (t) => {
  const dir = Deno.makeTempDirSync();
  const good = `${INPUTS}/linux-x86_64.json`;
  const text = Deno.readTextFileSync(good);
  const write = (name: string, content: string) => {
    Deno.writeTextFileSync(`${dir}/${name}`, content);
    return `${dir}/${name}`;
  };
  const withVersion = (v: number) =>
    text.replace('"schemaVersion": 2', `"schemaVersion": ${v}`);
  const cases: [string, string[], RegExp][] = [
    [
      "malformed JSON",
      [good, write("bad.json", text.slice(0, 200))],
      /^report: \/\S+\/bad\.json: malformed JSON: /,
    ],
    [
      "older schema version",
      [write("old.json", withVersion(1))],
      /^report: \/\S+\/old\.json: \/schemaVersion: 1 is older than this escoteria reads \(2\); run the experiments again$/,
    ],
    [
      "a schema version that is not a number",
      [write("odd.json", withVersion('"2"' as unknown as number))],
      /^report: \/\S+\/odd\.json: \/schemaVersion: must be equal to constant$/,
    ],
    [
      "newer schema version",
      [write("new.json", withVersion(3))],
      /^report: \/\S+\/new\.json: \/schemaVersion: 3 is newer than this escoteria reads \(2\)$/,
    ],
    [
      "two files for one platform",
      [good, write("copy.json", text)],
      /^report: \/\S+\/copy\.json: \/platform\/id: "linux-x86_64" is also the platform of \/\S+\/linux-x86_64\.json$/,
    ],
    [
      "not a results file",
      [write("package.json", '{"name": "x"}')],
      /^report: \/\S+\/package\.json: \/schemaVersion: missing; not an escoteria results file$/,
    ],
    [
      "a results file with a bad field",
      [write("field.json", text.replace('"os": "linux"', '"os": "plan9"'))],
      /^report: \/\S+\/field\.json: \/platform\/os: must be equal to one of the allowed values/,
    ],
    [
      "a missing file",
      [`${dir}/nosuch.json`],
      /^report: \/\S+\/nosuch\.json: cannot read: /,
    ],
    ["an unknown flag", ["--bogus"], /^report: unknown flag --bogus$/],
    [
      "an output directory inside a file",
      ["--out-dir", `${dir}/REPORT.md/inside`, good],
      /^report: cannot use --out-dir \/\S+\/REPORT\.md\/inside: not a directory$/,
    ],
    [
      "an output directory that is a file",
      ["--out-dir", `${dir}/REPORT.md`, good],
      /^report: cannot use --out-dir \/\S+\/REPORT\.md: not a directory$/,
    ],
  ];
  for (const [name, args, pattern] of cases) {
    await t.step(name, async () => {
      for (const n of NAMES) write(n, "old");
      const r = await report("--out-dir", dir, ...args);
      assert.equal(r.code, 2);
      const lines = r.stderr.trimEnd().split("\n");
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, pattern);
      assert.equal(r.stdout, "");
      for (const n of NAMES) {
        assert.equal(Deno.readTextFileSync(`${dir}/${n}`), "old");
      }
      assert.deepEqual(
        [...Deno.readDirSync(dir)].filter((e) => e.name.includes(".tmp-")),
        [],
      );
    });
  }
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("report --help prints usage and exits 0", () => {
  const log = console.log;
  let printed = "";
  console.log = (s: string) => printed += s;
  try {
    assert.equal(main(["--help"]), 0);
  } finally {
    console.log = log;
  }
  assert.match(
    printed,
    /^Usage: deno task report \[FILE\.\.\.\] \[--out-dir DIR\]/,
  );
});

Deno.test("a platform whose self-check failed is never shown: the documents say why, and nothing else changes", () => {
  const all = readPlatforms(platformFiles(INPUTS));
  const failing = all.map((r) =>
    r.platform.id === "freebsd-amd64"
      ? {
        ...r,
        platform: {
          ...r.platform,
          selfCheck: [
            { check: "errno", ok: true, detail: "close(-1): -1/EBADF (9)" },
            {
              check: "socket-nonblocking",
              ok: false,
              detail:
                "F_GETFL after socket() is 0x2: O_NONBLOCK (0x4) is not set",
            },
          ],
        },
      }
      : r
  );
  const without = all.filter((r) => r.platform.id !== "freebsd-amd64");
  const why = "freebsd-amd64: its self-check failed (socket-nonblocking: " +
    "F_GETFL after socket() is 0x2: O_NONBLOCK (0x4) is not set)";
  const refused = renderReports(failing);
  const expected = renderReports(without);
  for (const name of NAMES) {
    // Markdown escapes the underscores of O_NONBLOCK and F_GETFL.
    const text = name === "REPORT.md" ? why.replaceAll("_", "\\_") : why;
    assert.ok(refused[name].includes(`Not shown: ${text}.`), name);
    assert.ok(
      refused[name].includes(
        "FreeBSD (its run failed the self-check; not shown)",
      ),
      name,
    );
    const notShown = name === "REPORT.md"
      ? `\n\nNot shown: ${text}.`
      : `\n<p>Not shown: ${text}.</p>`;
    assert.equal(
      refused[name].replace(notShown, "").replace(
        "FreeBSD (its run failed the self-check; not shown)",
        "FreeBSD (no results file)",
      ),
      expected[name],
      name,
    );
  }
  const matrix = buildMatrixFiles(failing, EXPERIMENTS);
  assert.ok(
    matrix["MATRIX.md"].includes(`Not shown: \`${why.replace(":", "`:")}.`),
  );
  assert.ok(!matrix["MATRIX.md"].includes("freebsd-amd64 ("));
  const json = JSON.parse(matrix["matrix.json"]);
  assert.deepEqual(
    json.platforms.map((p: { id: string }) => p.id).includes("freebsd-amd64"),
    false,
  );
  assert.equal(json.refused[0].id, "freebsd-amd64");
});
