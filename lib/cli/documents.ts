/**
 * Regenerates every document of a results folder from its platform files:
 * `matrix.json`, `MATRIX.md`, `REPORT.md` and `report.html`. All four are
 * built in memory first and then each written atomically, so a bad platform
 * file leaves the old documents whole.
 *
 * @module
 */

import type { Experiment } from "../engine/scenario.ts";
import { writeAtomically } from "../results/format.ts";
import { platformFiles, readPlatforms } from "../results/platform_files.ts";
import { buildMatrixFiles } from "./matrix.ts";
import { renderReports } from "./report.ts";

/**
 * Rebuilds the matrix and the reports in `dir`; returns the paths written.
 *
 * @throws {ResultsError} for a bad platform file; nothing is written then.
 */
export function regenerateDocuments(
  dir: string,
  experiments: readonly Experiment[],
): string[] {
  const platforms = readPlatforms(platformFiles(dir));
  const files = {
    ...buildMatrixFiles(platforms, experiments),
    ...renderReports(platforms, experiments),
  };
  return Object.entries(files).map(([name, text]) => {
    writeAtomically(`${dir}/${name}`, text);
    return `${dir}/${name}`;
  });
}
