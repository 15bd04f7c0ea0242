/**
 * The workflow's merge step: `deno run --allow-read --allow-write
 * .ci/merge_results.ts FROM_DIR TO_DIR` validates every platform file the
 * jobs uploaded into FROM_DIR and writes each to TO_DIR under the name
 * run-all gives it by default, `<platform id>.json`, replacing the
 * committed file of that platform and leaving the others. Nothing is
 * written unless every file is valid; bad input gets one line and exit 2.
 *
 * @module
 */

import { failureExitCode } from "../lib/cli/ending.ts";
import { parseFlags, UsageError } from "../lib/cli/flags.ts";
import { formatResults, writeAtomically } from "../lib/results/format.ts";
import { platformFiles, readPlatforms } from "../lib/results/platform_files.ts";

const PROGRAM = "merge-results";

/** Merges the platform files of `from` into `to`; returns the exit code. */
export function main(args: string[]): number {
  try {
    const { positionals } = parseFlags(args, {}, true);
    if (positionals.length !== 2) {
      throw new UsageError("usage: merge_results.ts FROM_DIR TO_DIR");
    }
    const [from, to] = positionals as [string, string];
    const files = platformFiles(from);
    if (files.length === 0) {
      throw new UsageError(`no platform files in ${from}`);
    }
    const platforms = readPlatforms(files);
    platforms.forEach((results, i) => {
      const target = `${to}/${results.platform.id}.json`;
      writeAtomically(target, formatResults(results));
      console.log(`${files[i]} → ${target}`);
    });
    return 0;
  } catch (e) {
    return failureExitCode(PROGRAM, "merge-results", e);
  }
}

if (import.meta.main) Deno.exit(main(Deno.args));
