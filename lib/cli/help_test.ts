import assert from "node:assert/strict";
import { runScript } from "../testing/subprocess.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** The commands `--help` is checked for, by task name. */
const TASKS = [
  "run-all",
  "stacks",
  "matrix",
  "report",
  "bench",
  "lint-workflows",
];

/** The longest line a usage text may have. */
const WIDTH = 100;

/** A task's script and the permissions deno.json gives it. */
interface Entry {
  readonly script: string;
  readonly permissions: string[];
}

/** The tasks in deno.json that run one script with `deno run`. */
function entryPoints(): Map<string, Entry> {
  const config = JSON.parse(Deno.readTextFileSync(`${ROOT}deno.json`)) as {
    tasks: Record<string, string>;
  };
  const entries = new Map<string, Entry>();
  for (const [name, command] of Object.entries(config.tasks)) {
    const words = command.split(/\s+/);
    const script = words.at(-1)!;
    if (words[0] !== "deno" || words[1] !== "run" || !script.endsWith(".ts")) {
      continue;
    }
    entries.set(name, {
      script: `${ROOT}${script}`,
      permissions: words.slice(2, -1),
    });
  }
  return entries;
}

Deno.test("every command that deno.json runs as a script is checked here", () => {
  assert.deepEqual([...entryPoints().keys()].sort(), [...TASKS].sort());
});

Deno.test("every command prints its usage for --help and -h, with its task's permissions, in 100 columns", async (t) => {
  const entries = entryPoints();
  for (const name of TASKS) {
    await t.step(name, async () => {
      const { script, permissions } = entries.get(name)!;
      const help = await runScript(script, permissions, ["--help"]);
      assert.equal(help.code, 0, help.stderr);
      assert.equal(help.stderr, "");
      assert.ok(
        help.stdout.startsWith(`Usage: deno task ${name}`),
        help.stdout,
      );
      const long = help.stdout.trimEnd().split("\n").filter((line) =>
        [...line].length > WIDTH
      );
      assert.deepEqual(long, [], `lines longer than ${WIDTH} columns`);
      const short = await runScript(script, permissions, ["-h"]);
      assert.deepEqual(short, help);
    });
  }
});

Deno.test("every command rejects an unknown flag with one line on stderr and exit 2", async (t) => {
  const entries = entryPoints();
  for (const name of TASKS) {
    await t.step(name, async () => {
      const { script, permissions } = entries.get(name)!;
      const r = await runScript(script, permissions, ["--no-such-flag"]);
      assert.equal(r.code, 2);
      assert.equal(r.stdout, "");
      assert.equal(r.stderr, `${name}: unknown flag --no-such-flag\n`);
    });
  }
});
