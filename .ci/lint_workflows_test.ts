import assert from "node:assert/strict";
import { lintWorkflow, workflowFiles } from "./lint_workflows.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

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
