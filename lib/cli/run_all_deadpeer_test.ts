import assert from "node:assert/strict";
import { readResults } from "../results/format.ts";
import { RUN_ALL_PERMISSIONS, runScript } from "../testing/subprocess.ts";
import { withoutCapability } from "../testing/unprivileged.ts";

const script = new URL("./run_all.ts", import.meta.url).pathname;

/** Without CAP_SYS_ADMIN, which network namespaces need. */
const prefix = withoutCapability("sys_admin");

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
