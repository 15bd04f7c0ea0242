/**
 * The one ending of every command that failed: one line on stderr, never a
 * stack trace, and an exit code that says whose fault it was.
 *
 * @module
 */

import { ResultsError } from "../results/format.ts";
import { SelfCheckFailed } from "../self_check/self_check.ts";
import { UsageError } from "./flags.ts";

/** Exit code for bad input: a flag, an argument, a file pointed at. */
export const EXIT_USAGE = 2;

/**
 * Exit code for a platform that failed its self-check: the FFI layer is
 * wrong here, so nothing this run could observe would be trusted.
 */
export const EXIT_SELF_CHECK = 3;

/** Exit code after Ctrl-C (128 + SIGINT), as shells report it. */
export const EXIT_INTERRUPTED = 130;

/** A run stopped by Ctrl-C, after it cleaned up. */
export class Interrupted extends Error {
  constructor() {
    super("interrupted; no results written");
    this.name = "Interrupted";
  }
}

/** Writes one line to stderr. */
export function printError(program: string, message: string): void {
  console.error(`${program}: ${message}`);
}

/**
 * Ends a command that failed with `e`: one line on stderr, and the exit
 * code to return: 2 for bad input (a {@linkcode UsageError}, or a results
 * file that cannot be used) or a missing permission (the command was run
 * without its task's flags), 3 for a failed self-check, 130 after Ctrl-C,
 * 1 for anything else.
 */
export function failureExitCode(
  program: string,
  task: string,
  e: unknown,
): number {
  if (e instanceof UsageError || e instanceof ResultsError) {
    printError(program, e.message);
    return EXIT_USAGE;
  }
  if (e instanceof SelfCheckFailed) {
    printError(program, `${e.message}; no results written`);
    return EXIT_SELF_CHECK;
  }
  if (e instanceof Interrupted) {
    printError(program, e.message);
    return EXIT_INTERRUPTED;
  }
  if (e instanceof Deno.errors.NotCapable) {
    printError(
      program,
      `missing permission: ${e.message} (run it as deno task ${task})`,
    );
    return EXIT_USAGE;
  }
  printError(program, e instanceof Error ? e.message : String(e));
  return 1;
}
