// Ctrl-C during run-all: the workers stop, their fds are closed, every
// trace instance is removed, and nothing is written. Needs the tracer
// (root on Linux): its instances say when the run is under way.
import assert from "node:assert/strict";
import { tracerMissing } from "../testing/tracer.ts";
import { hostPosix } from "../../ffi/posix.ts";
import { instancesOf } from "../kernel/tracer.ts";
import { RUN_ALL_PERMISSIONS } from "../testing/subprocess.ts";

const posix = hostPosix();
const script = new URL("./run_all.ts", import.meta.url).pathname;

for (const jobs of ["12", "1"]) {
  Deno.test({
    name:
      `Ctrl-C stops run-all --jobs ${jobs} with one line and exit 130, writes nothing and leaves no trace instance`,
    ignore: tracerMissing() !== null,
    fn: async () => {
      const dir = Deno.makeTempDirSync();
      const out = `${dir}/r.json`;
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          ...RUN_ALL_PERMISSIONS,
          script,
          "--jobs",
          jobs,
          "--trials",
          "5",
          "--out",
          out,
        ],
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).spawn();
      try {
        // Under way once its instances exist (its SIGINT handler is set).
        const deadline = Date.now() + 20_000;
        while (instancesOf(posix, child.pid).length === 0) {
          assert.ok(Date.now() < deadline, "run-all never started tracing");
          await new Promise((r) => setTimeout(r, 10));
        }
        await new Promise((r) => setTimeout(r, 100));
        child.kill("SIGINT");
        const done = await child.output();
        const stderr = new TextDecoder().decode(done.stderr);
        assert.equal(done.code, 130, stderr);
        assert.equal(stderr, "run-all: interrupted; no results written\n");
        assert.deepEqual(instancesOf(posix, child.pid), []);
        assert.deepEqual([...Deno.readDirSync(dir)], []);
      } finally {
        try {
          child.kill("SIGKILL");
        } catch { /* it has ended */ }
        Deno.removeSync(dir, { recursive: true });
      }
    },
  });
}
