import assert from "node:assert/strict";
import {
  formatResults,
  type Results,
  ResultsError,
  validateResults,
  writeAtomically,
} from "./format.ts";

function sample(): Results {
  return {
    schemaVersion: 2,
    platform: {
      id: "linux-x86_64",
      os: "linux",
      osRelease: "6.1.0",
      arch: "x86_64",
      deno: "2.9.6",
      source: "run",
    },
    cases: [{
      id: "article/linger=0,shutdown=wr",
      experiment: "article",
      params: { shutdown: "wr", linger: "0" },
      observations: { "client.connected.after_wait": 0 },
      stable: true,
      trials: [{
        endpoints: { client: "127.0.0.1:1", server: "127.0.0.1:2" },
        observations: { "client.connected.after_wait": 0 },
        wire: [{ from: "client", flags: "S", len: 0 }, {
          from: "server",
          flags: "R.",
          len: 0,
        }],
      }],
    }],
  };
}

Deno.test("a well-formed results file validates", () => {
  assert.deepEqual(validateResults(sample(), "x.json"), sample());
});

Deno.test("validateResults() names the file and the offending field", async (t) => {
  // deno-lint-ignore no-explicit-any -- the cases mutate raw JSON freely
  const cases: [string, (r: Record<string, any>) => unknown, RegExp][] = [
    ["not an object", () => [], /^x\.json: not an escoteria results file/],
    [
      "no schemaVersion",
      (r) => ({ ...r, schemaVersion: undefined }),
      /^x\.json: \/schemaVersion: missing/,
    ],
    [
      "newer schema",
      (r) => ({ ...r, schemaVersion: 3 }),
      /^x\.json: \/schemaVersion: 3 is newer than this escoteria reads \(2\)$/,
    ],
    [
      "older schema, whose observers ran in another order",
      (r) => ({ ...r, schemaVersion: 1 }),
      /^x\.json: \/schemaVersion: 1 is older than this escoteria reads \(2\); run the experiments again$/,
    ],
    [
      "a schema version that is not a number",
      (r) => ({ ...r, schemaVersion: "2" }),
      /^x\.json: \/schemaVersion: must be equal to constant$/,
    ],
    [
      "bad os",
      (r) => ({ ...r, platform: { ...r.platform, os: "plan9" } }),
      /^x\.json: \/platform\/os: must be equal to one of the allowed values/,
    ],
    [
      "unknown field",
      (r) => ({ ...r, extra: 1 }),
      /^x\.json: \/: must NOT have additional properties \(extra\)$/,
    ],
    ["param not a string", (r) => {
      r.cases[0].params.linger = 0;
      return r;
    }, /^x\.json: \/cases\/0\/params\/linger: must be string$/],
    ["bad flags", (r) => {
      r.cases[0].trials[0].wire[0].flags = "syn";
      return r;
    }, /^x\.json: \/cases\/0\/trials\/0\/wire\/0\/flags: must match pattern/],
    ["id does not match params", (r) => {
      r.cases[0].id = "article/linger=off,shutdown=wr";
      return r;
    }, /^x\.json: \/cases\/0\/id: .* does not match its experiment and params/],
    [
      "duplicate case",
      (r) => ({ ...r, cases: [r.cases[0], r.cases[0]] }),
      /^x\.json: \/cases\/1\/id: .* appears twice$/,
    ],
    ["no trials", (r) => {
      r.cases[0].trials = [];
      return r;
    }, /^x\.json: \/cases\/0\/trials: must NOT have fewer than 1 items$/],
  ];
  for (const [name, mutate, pattern] of cases) {
    await t.step(name, () => {
      const data = JSON.parse(
        JSON.stringify(mutate(sample() as never) ?? null),
      );
      assert.throws(() => validateResults(data, "x.json"), (e: unknown) => {
        assert.ok(e instanceof ResultsError);
        assert.match(e.message, pattern);
        assert.ok(!e.message.includes("\n"));
        return true;
      });
    });
  }
});

Deno.test("formatResults() is canonical: key and case order do not matter", () => {
  const a = sample();
  const b = JSON.parse(JSON.stringify(a));
  b.cases[0].params = { linger: "0", shutdown: "wr" };
  assert.equal(formatResults(a), formatResults(b));
  assert.match(formatResults(a), /"linger": "0",\n\s+"shutdown": "wr"/);
});

Deno.test("writeAtomically() leaves the old file whole when the write fails", () => {
  const dir = Deno.makeTempDirSync();
  const path = `${dir}/r.json`;
  writeAtomically(path, "old");
  Deno.mkdirSync(`${path}.tmp-${Deno.pid}`); // the temporary file cannot be made
  assert.throws(() => writeAtomically(path, "new"));
  assert.equal(Deno.readTextFileSync(path), "old");
  Deno.removeSync(dir, { recursive: true });
});
