/**
 * gVisor's netstack: a TCP implementation in user space, run through
 * Debian's `runsc` as `runsc --network=none --net-raw do
 * -force-overlay=false`. With `--network=none` loopback still goes through
 * netstack and needs no iptables; `--net-raw` lets the wire capture open
 * its AF_PACKET socket; without `-force-overlay=false` the results would be
 * written into an overlay and lost when the sandbox ends. The sandbox sees
 * the host's files, working directory and environment, so run-all inside
 * writes where it would on the host. Facts: `../shared/reference/stacks.md`.
 *
 * @module
 */

import type { StackHandOver } from "../results/stack.ts";
import { STACK_ENV } from "../results/stack.ts";
import { isRoot } from "../results/platform_info.ts";
import { ensurePackages } from "./debian.ts";
import { type Launcher, type Log, runAllDenoArgs } from "./launcher.ts";
import { runBounded } from "./process.ts";

/** runsc's flags before `do`, and `do`'s own. */
export const RUNSC_ARGS = [
  "--network=none",
  "--net-raw",
  "do",
  "-force-overlay=false",
] as const;

/**
 * How long a run inside may take before the sandbox is killed: a full run
 * takes about 35–50 s in gVisor on two cores; ten minutes leaves room for
 * `--trials` well above the default without letting a hang go on forever.
 */
export const GVISOR_DEADLINE_MS = 10 * 60_000;

/** `0.0~20221219.0` from runsc's `runsc version 0.0~20221219.0`. */
export function parseRunscVersion(text: string): string | null {
  return /^runsc version (\S+)/m.exec(text)?.[1] ?? null;
}

/** What the run inside is told about its stack. */
export function gvisorHandOver(version: string): StackHandOver {
  return {
    name: "gvisor",
    kind: "gvisor",
    version,
    ran: `in gVisor's runsc ${version} (runsc ${
      RUNSC_ARGS.join(" ")
    }), whose netstack answers on loopback`,
  };
}

async function runscVersion(): Promise<string | null> {
  const out = await runBounded("runsc", {
    args: ["--version"],
    deadlineMs: 10_000,
  });
  return out.code === 0 ? parseRunscVersion(out.stdout) : null;
}

let version: string | null = null;

/** gVisor, launched with `runsc do`. */
export const gvisor: Launcher = {
  name: "gvisor",
  async prepare(log: Log): Promise<string | null> {
    const missing = await ensurePackages(
      [{ name: "runsc", provides: "runsc" }],
      log,
    );
    if (missing !== null) return missing;
    if (!isRoot()) {
      return "runsc do needs root to create its sandbox; run as root";
    }
    version = await runscVersion();
    return version === null ? "runsc --version did not say its version" : null;
  },
  async runAll(args: readonly string[], cwd: string, log: Log) {
    if (version === null) throw new Error("gvisor: prepare() first");
    const out = await runBounded("runsc", {
      args: [...RUNSC_ARGS, Deno.execPath(), ...runAllDenoArgs(args)],
      cwd,
      // A terminal is handed over (progress line, width); a file or pipe is
      // fed through a pipe: gVisor keeps its own offset in a file it is
      // given and would write over what is already there.
      output: Deno.stdout.isTerminal() ? "inherit" : "stream",
      env: { [STACK_ENV]: JSON.stringify(gvisorHandOver(version)) },
      deadlineMs: GVISOR_DEADLINE_MS,
    });
    if (out.killedAfterMs !== undefined) {
      log(
        `gvisor: killed the sandbox after ${
          out.killedAfterMs / 1000
        } s without an end`,
      );
      return 1;
    }
    return out.code;
  },
};
