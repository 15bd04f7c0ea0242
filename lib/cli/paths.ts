/**
 * Where the commands read and write by default: the project's `results/`
 * folder, and the folder relative paths on the command line start from.
 *
 * @module
 */

import { resolve } from "node:path";

/** The project's results folder, without a trailing slash. */
export const RESULTS_DIR = new URL("../../results", import.meta.url).pathname;

/**
 * Where a run that could not record the evidence a committed file holds
 * writes instead: `results/local/`, ignored by git, never read as one of
 * the project's platform files.
 */
export const LOCAL_DIR = `${RESULTS_DIR}/local`;

/** The default results file of platform `id`: `results/<id>.json`. */
export function platformFile(id: string): string {
  return `${RESULTS_DIR}/${id}.json`;
}

/**
 * Where relative paths on the command line start: the directory `deno task`
 * was started in (it runs tasks from the repository root and says where it
 * was started in INIT_CWD), else the working directory.
 */
export function invocationDir(): string {
  try {
    return Deno.env.get("INIT_CWD") ?? Deno.cwd();
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable) return Deno.cwd();
    throw e;
  }
}

/** `path` resolved against {@linkcode invocationDir}. */
export function fromInvocation(path: string): string {
  return resolve(invocationDir(), path);
}

/** Whether `path` is the project's results folder (through symlinks). */
export function isResultsDir(path: string): boolean {
  try {
    return Deno.realPathSync(path) === Deno.realPathSync(RESULTS_DIR);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}
