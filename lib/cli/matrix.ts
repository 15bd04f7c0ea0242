/**
 * `deno task matrix [--dir DIR]`: rebuilds `matrix.json` and `MATRIX.md`
 * from the platform files in `results/` (or DIR). `run-all` calls
 * {@linkcode regenerateMatrix} after it writes a platform file there.
 *
 * @module
 */

import { EXPERIMENTS } from "../../experiments/mod.ts";
import { OSES } from "../../ffi/tables/platform.ts";
import { buildMatrix } from "../documents/matrix.ts";
import { renderMatrixMarkdown } from "../documents/matrix_markdown.ts";
import type { Experiment } from "../engine/scenario.ts";
import { canonical, type Results, writeAtomically } from "../results/format.ts";
import {
  platformFiles,
  readPlatforms,
  shownPlatforms,
} from "../results/platform_files.ts";
import { failureExitCode } from "./ending.ts";
import { parseFlags, UsageError } from "./flags.ts";
import { RESULTS_DIR } from "./paths.ts";

const PROGRAM = "matrix";

const USAGE = `Usage: deno task matrix [--dir DIR]

Rebuilds matrix.json and MATRIX.md from the platform files in results/
(or DIR).`;

/**
 * Reads every platform file in `dir`, then writes `matrix.json` and
 * `MATRIX.md` there, each atomically, only after both were built.
 *
 * @throws {ResultsError} for a bad platform file; nothing is written then.
 */
export function regenerateMatrix(
  dir: string,
  experiments: readonly Experiment[],
): { platforms: number } {
  const platforms = readPlatforms(platformFiles(dir));
  for (
    const [name, text] of Object.entries(
      buildMatrixFiles(platforms, experiments),
    )
  ) {
    writeAtomically(`${dir}/${name}`, text);
  }
  return {
    platforms:
      shownPlatforms(platforms).shown.filter((p) => p.platform.source === "run")
        .length,
  };
}

/** The matrix files' contents, by name, built from `platforms`. */
export function buildMatrixFiles(
  platforms: readonly Results[],
  experiments: readonly Experiment[],
): Record<"matrix.json" | "MATRIX.md", string> {
  const matrix = buildMatrix(platforms, experiments, OSES);
  return {
    "matrix.json": JSON.stringify(canonical(matrix), null, 2) + "\n",
    "MATRIX.md": renderMatrixMarkdown(matrix),
  };
}

function main(args: string[], experiments: readonly Experiment[]): number {
  try {
    const { values } = parseFlags(args, {
      dir: { type: "string" },
      help: { type: "boolean", short: "h" },
    });
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    const dir = values.dir ?? RESULTS_DIR;
    let found;
    try {
      found = regenerateMatrix(dir, experiments);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        throw new UsageError(`cannot read --dir ${dir}: no such directory`);
      }
      throw e;
    }
    console.log(`matrix: ${found.platforms} platforms → ${dir}/MATRIX.md`);
    return 0;
  } catch (e) {
    return failureExitCode(PROGRAM, "matrix", e);
  }
}

if (import.meta.main) Deno.exit(main(Deno.args, EXPERIMENTS));
