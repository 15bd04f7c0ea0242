/**
 * Checks, before any work, that a command can write where it was told to,
 * creating missing directories as `mkdir -p` would: one place for `--out`,
 * `--out-dir` and `--pcap`, each failure one {@linkcode UsageError} line
 * naming the flag, the path and the reason.
 *
 * @module
 */

import { dirname } from "node:path";
import { UsageError } from "./flags.ts";

/** What happened, in the words the error line uses. */
function reason(e: unknown, missing: string): string {
  if (e instanceof Deno.errors.NotFound) return missing;
  if (e instanceof Deno.errors.NotADirectory) return "not a directory";
  return (e as Error).message.split("\n")[0]!;
}

/**
 * Proves that `dir` is a directory files can be written to, by writing and
 * removing an empty file there. Errors name `flag` and `shown` (the path
 * the user gave); `missing` says what a missing `dir` means for it.
 */
function requireWritableDir(
  dir: string,
  flag: string,
  shown: string,
  missing: string,
): void {
  const fail = (why: string) =>
    new UsageError(`cannot use ${flag} ${shown}: ${why}`);
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(dir);
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable) throw e;
    throw fail(reason(e, missing));
  }
  if (!info.isDirectory) {
    throw fail(dir === shown ? "not a directory" : `${dir} is not a directory`);
  }
  const file = `${dir}/.escoteria-probe-${Deno.pid}`;
  try {
    Deno.writeFileSync(file, new Uint8Array(0));
    Deno.removeSync(file);
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable) throw e;
    throw fail(reason(e, missing));
  }
}

/** Creates `dir` and its missing parents; a failure names `flag`. */
function createDir(dir: string, flag: string, shown: string): void {
  try {
    Deno.mkdirSync(dir, { recursive: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable) throw e;
    if (e instanceof Deno.errors.AlreadyExists) return;
    throw new UsageError(
      `cannot use ${flag} ${shown}: ${reason(e, "cannot create it")}`,
    );
  }
}

/**
 * Makes sure `dir` is a directory files can be written to, creating it and
 * its missing parents.
 *
 * @throws {UsageError} `cannot use <flag> <dir>: <reason>`.
 */
export function prepareOutputDir(dir: string, flag: string): void {
  createDir(dir, flag, dir);
  requireWritableDir(dir, flag, dir, "it does not exist");
}

/**
 * Makes sure the file `path` can be written (atomically, beside itself),
 * creating its directory and missing parents.
 *
 * @throws {UsageError} `cannot use <flag> <path>: <reason>`.
 */
export function prepareOutputFile(path: string, flag: string): void {
  createDir(dirname(path), flag, path);
  requireWritableDir(dirname(path), flag, path, "its directory does not exist");
}
