/**
 * Which files a report reads, and reading them: in a results directory the
 * platform files are every `*.json` except `schema.json` and `matrix.json`
 * (the schema and run-all's generated matrix). Each one is validated against
 * the schema; a file that does not validate is an error, never skipped, and
 * two files for the same platform are an error naming both.
 *
 * @module
 */

import {
  compareIds,
  readResults,
  type Results,
  ResultsError,
} from "../results.ts";

/** JSON files in a results directory that are not platform files. */
export const NOT_PLATFORM_FILES: ReadonlySet<string> = new Set([
  "schema.json",
  "matrix.json",
]);

/** The platform files in `dir`, sorted by name. */
export function platformFilesIn(dir: string): string[] {
  return [...Deno.readDirSync(dir)]
    .filter((e) =>
      e.isFile && e.name.endsWith(".json") && !NOT_PLATFORM_FILES.has(e.name)
    )
    .map((e) => e.name)
    .sort(compareIds)
    .map((name) => `${dir.replace(/\/$/, "")}/${name}`);
}

/**
 * Reads and validates every file, then checks that no platform comes twice.
 *
 * @throws {ResultsError} `<file>: <field>: <problem>` for the first bad file.
 */
export function loadPlatforms(paths: readonly string[]): Results[] {
  const seen = new Map<string, string>();
  return paths.map((path) => {
    const results = readResults(path);
    const id = results.platform.id;
    const other = seen.get(id);
    if (other !== undefined) {
      throw new ResultsError(
        `${path}: /platform/id: "${id}" is also the platform of ${other}`,
      );
    }
    seen.set(id, path);
    return results;
  });
}
