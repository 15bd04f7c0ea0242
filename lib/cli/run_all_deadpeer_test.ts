import assert from "node:assert/strict";
import { readResults } from "../results/format.ts";
import { RUN_ALL_PERMISSIONS, runScript } from "../testing/subprocess.ts";

const script = new URL("./run_all.ts", import.meta.url).pathname;

/**
 * The command that runs a program without CAP_SYS_ADMIN (which network
 * namespaces need): nothing for a normal user; for root, setpriv dropping
 * it from the bounding and inheritable sets.
 */
function withoutSysAdmin(): string[] | null {
  if (Deno.build.os !== "linux") return null;
  if (Deno.uid() !== 0) return [];
  try {
    const ok = new Deno.Command("setpriv", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    }).outputSync().success;
    return ok
      ? ["setpriv", "--bounding-set=-sys_admin", "--inh-caps=-sys_admin", "--"]
      : null;
  } catch {
    return null;
  }
}

const prefix = withoutSysAdmin();

Deno.test({
  name:
    "run-all without the privilege for namespaces still completes, and every deadpeer trial says why it did not run",
  ignore: prefix === null,
  fn: async () => {
    const dir = Deno.makeTempDirSync();
    try {
      const out = `${dir}/r.json`;
      const r = await runScript(script, RUN_ALL_PERMISSIONS, [
        "--only",
        "deadpeer",
        "--trials",
        "1",
        "--out",
        out,
      ], prefix!);
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stdout,
        /^error in 12 trials: not run: [^\n]*EPERM[^\n]*\n?( {2})?[^\n]*CAP_SYS_ADMIN/m,
      );
      const results = readResults(out);
      assert.equal(results.cases.length, 12);
      for (const c of results.cases) {
        assert.deepEqual(c.observations, {});
        for (const t of c.trials) {
          assert.match(
            t.error ?? "",
            /^not run: .*need root \(CAP_SYS_ADMIN\)/,
          );
        }
      }
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});
