/**
 * Every stack escoteria can launch, by the name `--stack` takes, and the
 * one way commands run `run-all` on one of them: ready it (or say in one
 * line why it cannot run here), then run it, bounded.
 *
 * @module
 */

import type { StackName } from "../results/stack.ts";
import { gvisor } from "./gvisor.ts";
import type { Launcher, Log } from "./launcher.ts";
import { linux61 } from "./qemu.ts";

/** The launchers, by stack name (`host` needs none). */
export const LAUNCHERS: Record<Exclude<StackName, "host">, Launcher> = {
  "linux-6.1": linux61,
  gvisor,
};

/** `args` without `--stack NAME` / `--stack=NAME`. */
export function withoutStackFlag(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--stack") {
      i++;
      continue;
    }
    if (arg.startsWith("--stack=")) continue;
    out.push(arg);
  }
  return out;
}

/** How a launch ended: run (its exit code), or skipped (why). */
export type Launched = { readonly code: number } | { readonly skipped: string };

/** Readies stack `name` and runs run-all there with `args`. */
export async function launch(
  name: Exclude<StackName, "host">,
  args: readonly string[],
  cwd: string,
  log: Log,
): Promise<Launched> {
  const launcher = LAUNCHERS[name];
  const why = await launcher.prepare(log);
  if (why !== null) return { skipped: why };
  return { code: await launcher.runAll(withoutStackFlag(args), cwd, log) };
}
