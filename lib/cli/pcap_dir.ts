/**
 * `--pcap DIR`: one classic pcap file per trial, named after its case and
 * trial number, e.g. `article__linger-0_shutdown-wr.1.pcap` for trial 1 of
 * `article/linger=0,shutdown=wr` (`/` becomes `__`, `,` becomes `_` and `=`
 * becomes `-`, so every name is a plain file name).
 *
 * @module
 */

import { UsageError } from "./flags.ts";
import { encodePcap } from "../wire/pcap.ts";
import type { Frame } from "../wire/segments.ts";

/**
 * The file name of trial `trial` (counted from 1) of case `id`.
 *
 * @example
 * ```ts
 * import { pcapFileName } from "./pcap_dir.ts";
 * pcapFileName("article/linger=0,shutdown=wr", 1);
 * // "article__linger-0_shutdown-wr.1.pcap"
 * ```
 */
export function pcapFileName(id: string, trial: number): string {
  const safe = id.replaceAll("/", "__").replaceAll(",", "_")
    .replaceAll("=", "-");
  return `${safe}.${trial}.pcap`;
}

/**
 * Makes sure `dir` is a directory files can be written to, creating it
 * when its parent exists.
 *
 * @throws {UsageError} naming the directory and the reason, in one line.
 */
export function preparePcapDir(dir: string): void {
  try {
    Deno.mkdirSync(dir);
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable) throw e;
    if (!(e instanceof Deno.errors.AlreadyExists)) {
      throw new UsageError(`cannot use --pcap ${dir}: ${reason(e)}`);
    }
  }
  const probe = `${dir}/.escoteria-probe-${Deno.pid}`;
  try {
    Deno.writeFileSync(probe, new Uint8Array(0));
    Deno.removeSync(probe);
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable) throw e;
    throw new UsageError(`cannot use --pcap ${dir}: ${reason(e)}`);
  }
}

function reason(e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return "its parent does not exist";
  if (e instanceof Deno.errors.NotADirectory) return "not a directory";
  return (e as Error).message.split("\n")[0]!;
}

/** Writes one trial's frames to `<dir>/<pcapFileName(id, trial)>`. */
export function writeTrialPcap(
  dir: string,
  id: string,
  trial: number,
  frames: readonly Frame[],
): string {
  const path = `${dir}/${pcapFileName(id, trial)}`;
  Deno.writeFileSync(path, encodePcap(frames));
  return path;
}
