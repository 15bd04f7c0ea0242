/**
 * `deno task stacks`: runs every experiment on every TCP stack this machine
 * can run (the host's kernel, Linux 6.1 under QEMU, gVisor's netstack), one
 * results file each in results/, each run rebuilding the matrix and the
 * reports. A stack that cannot run here is skipped with one line saying
 * why; the exit code is non-zero only when a run that started failed.
 *
 * @module
 */

import { STACK_NAMES, type StackName } from "../results/stack.ts";
import { runAllDenoArgs } from "../stacks/launcher.ts";
import { launch, type Launched } from "../stacks/launchers.ts";
import { runBounded } from "../stacks/process.ts";
import { failureExitCode, printError } from "./ending.ts";
import { parseFlags, positiveInteger } from "./flags.ts";
import { invocationDir } from "./paths.ts";

const PROGRAM = "stacks";

const USAGE = `Usage: deno task stacks [--only PREFIX]... [--trials N]

Runs deno task run-all on every TCP stack this machine can run, in turn:
${STACK_NAMES.join(", ")}. Each writes results/<platform id>.json and
rebuilds the matrix and the reports. linux-6.1 and gvisor need root (which
installs their Debian packages when missing); a stack that cannot run here
is skipped with the reason.

  --only PREFIX  as run-all's --only (repeatable)
  --trials N     trials per case (default 3)
  --help         show this help`;

/** How long the host's run may take before it is killed. */
const HOST_DEADLINE_MS = 10 * 60_000;

async function runHost(args: readonly string[], cwd: string): Promise<number> {
  const out = await runBounded(Deno.execPath(), {
    args: runAllDenoArgs(args),
    cwd,
    output: "inherit",
    deadlineMs: HOST_DEADLINE_MS,
  });
  if (out.killedAfterMs !== undefined) {
    printError(PROGRAM, `host: killed after ${out.killedAfterMs / 1000} s`);
  }
  return out.code;
}

/** One line per stack: what happened to it. */
export function describeLaunch(stack: StackName, ran: Launched): string {
  return "skipped" in ran
    ? `${stack}: skipped: ${ran.skipped}`
    : `${stack}: ${ran.code === 0 ? "ran" : `failed (exit ${ran.code})`}`;
}

/** Runs the stacks command with `args`; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  try {
    const { values } = parseFlags(args, {
      only: { type: "string", multiple: true },
      trials: { type: "string" },
      help: { type: "boolean", short: "h" },
    });
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    const runArgs = [
      ...(values.only ?? []).flatMap((p) => ["--only", p]),
      "--trials",
      String(positiveInteger("--trials", values.trials ?? "3")),
    ];
    const cwd = invocationDir();
    const log = (line: string) => printError(PROGRAM, line);
    const outcomes: string[] = [];
    let failed = false;
    for (const stack of STACK_NAMES) {
      console.log(`\n== ${stack} ==`);
      const ran: Launched = stack === "host"
        ? { code: await runHost(runArgs, cwd) }
        : await launch(stack, runArgs, cwd, log);
      if ("skipped" in ran) log(describeLaunch(stack, ran));
      else if (ran.code !== 0) failed = true;
      outcomes.push(describeLaunch(stack, ran));
    }
    console.log(["", ...outcomes].join("\n"));
    return failed ? 1 : 0;
  } catch (e) {
    return failureExitCode(PROGRAM, "stacks", e);
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
