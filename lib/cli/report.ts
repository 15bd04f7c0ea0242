/**
 * `deno task report [FILE...] [--out-dir DIR]`: reads every platform file in
 * `results/` (or the files given, then with `--out-dir`, so the committed
 * reports stay those of `results/`), validates them all, and writes
 * `REPORT.md` and `report.html` into `results/` (or DIR). Both are rendered
 * in memory before anything is written, and each is written atomically:
 * bad input leaves the old reports whole. The same inputs give byte-identical
 * outputs.
 *
 * @module
 */

import { EXPERIMENTS } from "../../experiments/mod.ts";
import { buildAnswers } from "../documents/answers.ts";
import { compareResults } from "../documents/report/compare.ts";
import { renderHtml } from "../documents/report/html.ts";
import { renderMarkdown } from "../documents/report/markdown.ts";
import type { Experiment } from "../engine/scenario.ts";
import { type Results, writeAtomically } from "../results/format.ts";
import {
  platformFiles,
  readPlatforms,
  shownPlatforms,
} from "../results/platform_files.ts";
import { failureExitCode } from "./ending.ts";
import { parseFlags, UsageError } from "./flags.ts";
import { prepareOutputDir } from "./output.ts";
import { fromInvocation, RESULTS_DIR } from "./paths.ts";

const PROGRAM = "report";

const USAGE = `Usage: deno task report [FILE...] [--out-dir DIR]

Compares the platforms' results side by side and writes REPORT.md and
report.html.

  FILE           platform results files (default: every results/*.json but
                 schema.json and matrix.json); relative paths start where
                 deno task was run
  --out-dir DIR  where to write the reports (default results/, which holds
                 the report of results/ only: with FILE, --out-dir is
                 required); missing directories are created
  --help         show this help`;

/** The report files by name, rendered from `results`. */
export function renderReports(
  results: readonly Results[],
  experiments: readonly Experiment[] = EXPERIMENTS,
): Record<"REPORT.md" | "report.html", string> {
  const comparison = compareResults(results, experiments);
  const answers = buildAnswers(shownPlatforms(results).shown, experiments);
  return {
    "REPORT.md": renderMarkdown(comparison, answers),
    "report.html": renderHtml(comparison, answers),
  };
}

/** Runs the report with `args`; returns the exit code. */
export function main(args: string[]): number {
  try {
    const { values, positionals } = parseFlags(args, {
      "out-dir": { type: "string" },
      help: { type: "boolean", short: "h" },
    }, true);
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    if (positionals.length && values["out-dir"] === undefined) {
      throw new UsageError(
        "FILE arguments need --out-dir DIR: results/ holds the report of " +
          "results/ only",
      );
    }
    const outDir = values["out-dir"] === undefined
      ? RESULTS_DIR
      : fromInvocation(values["out-dir"]);
    prepareOutputDir(outDir, "--out-dir");
    const files = positionals.length
      ? positionals.map(fromInvocation)
      : platformFiles(RESULTS_DIR);
    if (files.length === 0) {
      throw new UsageError(`no platform files in ${RESULTS_DIR}`);
    }
    const reports = renderReports(readPlatforms(files));
    for (const [name, text] of Object.entries(reports)) {
      writeAtomically(`${outDir}/${name}`, text);
    }
    console.log(
      `${files.length} platform files; wrote ${
        Object.keys(reports).map((n) => `${outDir}/${n}`).join(", ")
      }`,
    );
    return 0;
  } catch (e) {
    return failureExitCode(PROGRAM, "report", e);
  }
}

if (import.meta.main) Deno.exit(main(Deno.args));
