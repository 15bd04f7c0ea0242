import assert from "node:assert/strict";
import { runScript } from "../lib/testing/subprocess.ts";
import { lintWorkflow, workflowFiles } from "./lint_workflows.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

/** Runs the command as `deno task lint-workflows` does, with `args`. */
function lintWorkflows(...args: string[]) {
  const script = new URL("./lint_workflows.ts", import.meta.url).pathname;
  return runScript(script, ["--allow-read", "--allow-env"], args);
}

Deno.test("every committed workflow passes actionlint", async () => {
  const files = workflowFiles(ROOT);
  assert.ok(files.some((f) => f.endsWith("/matrix.yml")));
  for (const file of files) {
    const findings = await lintWorkflow(Deno.readTextFileSync(file), file);
    assert.deepEqual(findings, [], file);
  }
});

Deno.test("lintWorkflow() reports the mistakes actionlint knows", async (t) => {
  const job = (steps: string) =>
    `on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n${steps}`;
  const cases: [string, string, [number, string][]][] = [
    [
      "an undefined matrix property",
      job("      - run: echo ${{ matrix.nope }}\n"),
      [[6, "expression"]],
    ],
    [
      "an input the action does not have",
      job(
        "      - uses: actions/checkout@v4\n        with:\n          bogus: 1\n",
      ),
      [[8, "action"]],
    ],
    [
      "an unknown runner label",
      job("      - run: true\n").replace("ubuntu-24.04", "ubuntu-1.0"),
      [[4, "runner-label"]],
    ],
    [
      "a job that needs a job that does not exist",
      job("      - run: true\n").replace(
        "    runs-on",
        "    needs: [b]\n    runs-on",
      ),
      [[3, "job-needs"]],
    ],
  ];
  for (const [name, text, expected] of cases) {
    await t.step(name, async () => {
      const findings = await lintWorkflow(text, "x.yml");
      assert.deepEqual(findings.map((f) => [f.line, f.kind]), expected);
    });
  }
});

Deno.test("lint-workflows --help and -h print the usage and exit 0", async (t) => {
  for (const flag of ["--help", "-h"]) {
    await t.step(flag, async () => {
      const r = await lintWorkflows(flag);
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stdout,
        /^Usage: deno task lint-workflows \[FILE\.\.\.\]\n/,
      );
      assert.ok(r.stdout.endsWith("\n  --help  show this help\n"), r.stdout);
      assert.equal(r.stderr, "");
    });
  }
});

Deno.test("lint-workflows rejects bad input with one line on stderr and exit 2", async (t) => {
  const cases: [string[], string][] = [
    [["--bogus"], "lint-workflows: unknown flag --bogus\n"],
    [["-x"], "lint-workflows: unknown flag -x\n"],
    [
      ["/nonexistent/escoteria.yml"],
      "lint-workflows: /nonexistent/escoteria.yml: cannot read: ",
    ],
  ];
  for (const [args, expected] of cases) {
    await t.step(args.join(" "), async () => {
      const r = await lintWorkflows(...args);
      assert.equal(r.code, 2);
      assert.equal(r.stdout, "");
      assert.equal(r.stderr.split("\n").length, 2, r.stderr);
      assert.ok(r.stderr.startsWith(expected), r.stderr);
    });
  }
});

Deno.test("lint-workflows counts the files it checked and its findings, in words", async () => {
  const r = await lintWorkflows(`${ROOT}/.github/workflows/matrix.yml`);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "1 workflow file, 0 findings\n");
});
