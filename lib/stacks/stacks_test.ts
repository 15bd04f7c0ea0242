/**
 * The article on every launched stack, end to end through `run-all
 * --stack NAME`: each must give 6 cases with every headline observation,
 * no trial error, every self-check passed, and its stack named in the
 * platform block. On `linux-6.1` one deadpeer case runs too, between two
 * network namespaces joined by a veth pair (a module the guest's `/init`
 * loads): it must see the rebooted peer's RST, as Linux 6.18 does.
 * gVisor needs root (without it the run must refuse in one line with
 * exit 2); QEMU runs as any user once installed. A stack whose Debian package is missing is
 * skipped as root on a developer's machine (the run would install it) and
 * fails under CI, where `.ci/run` installs them; without root the run must
 * refuse in one line.
 *
 * @module
 */

import assert from "node:assert/strict";
import { article } from "../../experiments/article.ts";
import { readResults, type Results } from "../results/format.ts";
import { platformId } from "../results/platform_info.ts";
import type { StackName } from "../results/stack.ts";
import { SELF_CHECKS } from "../self_check/self_check.ts";
import { RUN_ALL_PERMISSIONS, runScript } from "../testing/subprocess.ts";
import { isRoot } from "../results/platform_info.ts";
import { RUN_ALL_SCRIPT } from "./launcher.ts";
import { which } from "./process.ts";

/** The program each launched stack's package installs. */
const NEEDS: Record<Exclude<StackName, "host">, string> = {
  gvisor: "runsc",
  "linux-6.1": "qemu-system-x86_64",
};

function missing(stack: Exclude<StackName, "host">): boolean {
  if (!isRoot() || which(NEEDS[stack]) !== null) return false;
  const message = `${NEEDS[stack]} is not installed: --stack ${stack} ` +
    `is not run end to end`;
  if (Deno.env.get("CI")) throw new Error(`${message} (CI requires it)`);
  console.warn(`${message}; skipped`);
  return true;
}

/** What runs with the article on each stack (`--only` prefixes). */
const ALSO: Record<Exclude<StackName, "host">, string[]> = {
  gvisor: [],
  "linux-6.1": ["deadpeer/detector=write,fate=rebooted"],
};

async function articleOn(
  stack: Exclude<StackName, "host">,
): Promise<
  { code: number; stdout: string; stderr: string; results?: Results }
> {
  const dir = Deno.makeTempDirSync({ prefix: `escoteria-${stack}-` });
  try {
    const out = `${dir}/r.json`;
    const r = await runScript(
      RUN_ALL_SCRIPT,
      [...RUN_ALL_PERMISSIONS, "--allow-run"],
      [
        "--stack",
        stack,
        ...["article", ...ALSO[stack]].flatMap((p) => ["--only", p]),
        "--out",
        out,
      ],
    );
    let results: Results | undefined;
    try {
      results = readResults(out);
    } catch { /* checked by the caller */ }
    return { ...r, ...(results ? { results } : {}) };
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

/** Checks what every stack's article run must show. */
function assertArticle(
  results: Results | undefined,
  stack: StackName,
): Results {
  assert.ok(results, "no results file");
  assert.equal(results.platform.stack?.name, stack);
  const checks = results.platform.selfCheck ?? [];
  assert.deepEqual(checks.map((c) => c.check), [...SELF_CHECKS]);
  for (const c of checks) assert.ok(c.ok, `self-check ${c.check}: ${c.detail}`);
  const cases = results.cases.filter((c) => c.experiment === "article");
  assert.equal(cases.length, 6);
  for (const c of cases) {
    for (const t of c.trials) {
      assert.ok(!t.error, `${c.id}: ${t.error}`);
    }
    for (const key of article.headline) {
      assert.ok(key in c.observations, `${c.id}: ${key} missing`);
      assert.notEqual(c.observations[key], "", `${c.id}: ${key} empty`);
    }
  }
  return results;
}

for (const stack of ["gvisor", "linux-6.1"] as const) {
  Deno.test({
    name: `run-all --stack ${stack} --only article${
      ALSO[stack].map((p) => ` --only ${p}`).join("")
    }`,
    ignore: missing(stack),
    fn: async () => {
      const r = await articleOn(stack);
      const refused = !isRoot() &&
        (stack === "gvisor" || which(NEEDS[stack]) === null);
      if (refused) {
        assert.equal(r.code, 2);
        assert.match(
          r.stderr,
          new RegExp(`^run-all: cannot run --stack ${stack} here: `),
        );
        assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
        return;
      }
      assert.equal(r.code, 0, r.stderr);
      const results = assertArticle(r.results, stack);
      const p = results.platform;
      assert.equal(p.id, platformId(p.stack!, p.os, p.arch));
      if (stack === "gvisor") {
        assert.equal(p.stack?.kind, "gvisor");
        assert.match(p.id, /^linux-x86_64-gvisor-\d{8}$/);
        assert.equal(p.pollRdhup, false);
        const values = results.cases.flatMap((c) =>
          Object.values(c.observations)
        );
        assert.ok(!values.some((v) => String(v).includes("POLLRDHUP")));
      } else {
        assert.equal(p.stack?.kind, "linux");
        assert.match(p.osRelease, /^6\.1\./);
        assert.equal(p.id, "linux-x86_64-6.1");
        // Capture and sock_diag work in the guest, and so do veth pairs.
        for (const c of results.cases) {
          for (const t of c.trials) assert.ok(Array.isArray(t.wire), c.id);
        }
        const [id] = ALSO[stack];
        const deadpeer = results.cases.find((c) => c.id === id);
        assert.ok(deadpeer, `${id} missing`);
        for (const t of deadpeer.trials) {
          assert.ok(!t.error, `${id}: ${t.error}`);
        }
        assert.equal(deadpeer.observations["watcher.detected"], "ECONNRESET");
      }
    },
  });
}
