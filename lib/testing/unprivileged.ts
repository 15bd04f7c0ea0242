/**
 * Test helper: running code without a privilege. {@linkcode withoutCapability}
 * gives the command prefix that drops one capability (for root: setpriv
 * taking it out of the bounding and inheritable sets; nothing for a normal
 * user, who lacks it anyway); {@linkcode printedAsNobody} runs a small
 * script as the user `nobody` and returns what it printed.
 *
 * @module
 */

import { runScript } from "./subprocess.ts";

/**
 * The command that runs a program without capability `name` (e.g.
 * `net_raw`, `sys_admin`), or `null` off Linux or without setpriv.
 */
export function withoutCapability(name: string): string[] | null {
  if (Deno.build.os !== "linux") return null;
  if (Deno.uid() !== 0) return [];
  try {
    const ok = new Deno.Command("setpriv", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    }).outputSync().success;
    return ok
      ? ["setpriv", `--bounding-set=-${name}`, `--inh-caps=-${name}`, "--"]
      : null;
  } catch {
    return null;
  }
}

/**
 * Runs `source` (a module that needs no npm package) as `nobody` with
 * `permissions`, in a temporary folder with a Deno cache of its own, and
 * returns what it printed, trimmed.
 *
 * @throws {Error} when it exits other than 0.
 */
export async function printedAsNobody(
  source: string,
  permissions: readonly string[],
): Promise<string> {
  const dir = Deno.makeTempDirSync();
  Deno.chmodSync(dir, 0o777);
  const script = `${dir}/probe.ts`;
  Deno.writeTextFileSync(script, source);
  Deno.chmodSync(script, 0o644);
  try {
    const r = await runScript(
      script,
      permissions,
      [],
      ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"],
      { DENO_DIR: `${dir}/cache` },
    );
    if (r.code !== 0) {
      throw new Error(`as nobody: exit ${r.code}: ${r.stderr.trim()}`);
    }
    return r.stdout.trim();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}
