/**
 * The platform files of a results folder: every `*.json` in it except the
 * schema and the generated matrix, each read and validated. Two files for
 * the same platform are refused, naming both. A platform whose self-check
 * failed is read but never shown ({@linkcode shownPlatforms}).
 *
 * @module
 */

import {
  compareIds,
  type Platform,
  readResults,
  type Results,
  ResultsError,
} from "./format.ts";

/** JSON files in a results folder that are not platform files. */
export const NOT_PLATFORM_FILES: ReadonlySet<string> = new Set([
  "schema.json",
  "matrix.json",
]);

/** Paths of the platform files in `dir`, sorted by name. */
export function platformFiles(dir: string): string[] {
  return [...Deno.readDirSync(dir)]
    .filter((e) =>
      e.isFile && e.name.endsWith(".json") && !NOT_PLATFORM_FILES.has(e.name)
    )
    .map((e) => e.name)
    .sort(compareIds)
    .map((name) => `${dir.replace(/\/$/, "")}/${name}`);
}

/**
 * Reads and validates every file in `paths`.
 *
 * @throws {ResultsError} for a bad file, or two files for one platform.
 */
export function readPlatforms(paths: readonly string[]): Results[] {
  const byId = new Map<string, string>();
  return paths.map((path) => {
    const results = readResults(path);
    const id = results.platform.id;
    const other = byId.get(id);
    if (other !== undefined) {
      throw new ResultsError(
        `${path}: /platform/id: "${id}" is also the platform of ${other}`,
      );
    }
    byId.set(id, path);
    return results;
  });
}

/** A platform file the documents leave out, and why. */
export interface Refused {
  readonly id: string;
  readonly os: Platform["os"];
  readonly reason: string;
}

/**
 * Splits `all` into the platforms the documents show and those they
 * refuse: a run whose self-check failed proved its FFI layer wrong, so
 * none of its observations is shown, only why.
 */
export function shownPlatforms(
  all: readonly Results[],
): { shown: Results[]; refused: Refused[] } {
  const shown: Results[] = [];
  const refused: Refused[] = [];
  for (const results of all) {
    const failed = (results.platform.selfCheck ?? []).filter((e) => !e.ok);
    if (failed.length === 0) {
      shown.push(results);
      continue;
    }
    refused.push({
      id: results.platform.id,
      os: results.platform.os,
      reason: `its self-check failed (${
        failed.map((e) => `${e.check}: ${e.detail}`).join("; ")
      })`,
    });
  }
  return { shown, refused };
}
