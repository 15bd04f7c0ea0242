/**
 * `--pcap DIR`: one classic pcap file per trial, named after its case and
 * trial number, e.g. `article__linger-0_shutdown-wr.1.pcap` for trial 1 of
 * `article/linger=0,shutdown=wr` (`/` becomes `__`, `,` becomes `_` and `=`
 * becomes `-`, so every name is a plain file name).
 *
 * @module
 */

import { encodePcap } from "../wire/pcap.ts";
import type { Frame } from "../wire/segments.ts";

/**
 * The file name of trial `trial` (counted from 1) of case `id`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pcapFileName } from "./pcap_dir.ts";
 * assert.equal(
 *   pcapFileName("article/linger=0,shutdown=wr", 1),
 *   "article__linger-0_shutdown-wr.1.pcap",
 * );
 * ```
 */
export function pcapFileName(id: string, trial: number): string {
  const safe = id.replaceAll("/", "__").replaceAll(",", "_")
    .replaceAll("=", "-");
  return `${safe}.${trial}.pcap`;
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
