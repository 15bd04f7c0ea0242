/**
 * Test helper: runs one of escoteria's commands as `deno run` in a
 * subprocess, with the permissions its task grants, and returns its exit
 * code and output as text. `prefix` runs it behind another program (e.g.
 * `setpriv` to drop a capability).
 *
 * @module
 */

/** What a command printed and how it exited. */
export interface CommandOutput {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export { RUN_ALL_PERMISSIONS } from "../stacks/launcher.ts";

/** Runs `script` with `permissions` and `args`; colour off, `env` added. */
export async function runScript(
  script: string,
  permissions: readonly string[],
  args: readonly string[],
  prefix: readonly string[] = [],
  env: Readonly<Record<string, string>> = {},
): Promise<CommandOutput> {
  const [program, ...rest] = [
    ...prefix,
    Deno.execPath(),
    "run",
    ...permissions,
    script,
    ...args,
  ];
  const out = await new Deno.Command(program!, {
    args: rest,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...env },
  }).output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}
