/**
 * What a launcher of another TCP stack does: make sure this machine can run
 * it (installing Debian packages as root), then run `run-all` inside it with
 * the caller's flags, bounded by a deadline, and bring the results out.
 *
 * @module
 */

import type { StackName } from "../results/stack.ts";

/** Prints one progress line for the person waiting. */
export type Log = (line: string) => void;

/** A stack escoteria starts itself, one per name but `host`. */
export interface Launcher {
  readonly name: Exclude<StackName, "host">;
  /**
   * Readies the stack: installs what is missing when root, builds what it
   * needs. Resolves to `null` when it can run, else one line saying why not
   * (missing package and no root to install it, …).
   */
  prepare(log: Log): Promise<string | null>;
  /**
   * Runs `deno task run-all` with `args` (no `--stack`) inside the stack,
   * from `cwd` (the directory relative paths start from); resolves to its
   * exit code. Output appears as the run prints it.
   */
  runAll(args: readonly string[], cwd: string, log: Log): Promise<number>;
}

/**
 * The permissions a run of run-all on one stack needs: `deno task run-all`
 * grants these and `--allow-run` (for launching other stacks), which a run
 * inside a stack does not need.
 */
export const RUN_ALL_PERMISSIONS = [
  "--allow-ffi",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys",
] as const;

/** The run-all script, as a path in this checkout. */
export const RUN_ALL_SCRIPT =
  new URL("../cli/run_all.ts", import.meta.url).pathname;

/** The checkout's root folder. */
export const CHECKOUT = new URL("../..", import.meta.url).pathname.replace(
  /\/$/,
  "",
);

/**
 * Deno's arguments for running run-all with `args`: `run`, `denoFlags`
 * (`--cached-only`, `--allow-run`, …), the permissions a run needs, the
 * script, then `args`.
 */
export function runAllDenoArgs(
  args: readonly string[],
  denoFlags: readonly string[] = [],
): string[] {
  return ["run", ...denoFlags, ...RUN_ALL_PERMISSIONS, RUN_ALL_SCRIPT, ...args];
}
