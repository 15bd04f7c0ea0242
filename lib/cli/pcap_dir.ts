/**
 * `--pcap DIR`: one classic pcap file per trial, at `DIR/<case id>.<trial>.pcap`.
 * A case id is `<experiment>/<k>=<v>,…`, so each experiment gets its own
 * folder: trial 1 of `article/linger=0,shutdown=wr` is
 * `DIR/article/linger=0,shutdown=wr.1.pcap`. `=` and `,` are plain
 * characters in file names on every OS escoteria runs on.
 *
 * @module
 */

import { encodePcap } from "../wire/pcap.ts";
import type { Frame } from "../wire/segments.ts";

/**
 * The path, relative to the pcap folder, of trial `trial` (counted from 1)
 * of case `id`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pcapFileName } from "./pcap_dir.ts";
 * assert.equal(
 *   pcapFileName("article/linger=0,shutdown=wr", 1),
 *   "article/linger=0,shutdown=wr.1.pcap",
 * );
 * ```
 *
 * @throws {RangeError} for an id that is not `<experiment>/<params>` or
 * that would leave the folder.
 */
export function pcapFileName(id: string, trial: number): string {
  const parts = id.split("/");
  if (
    parts.length !== 2 || parts.some((p) => p === "" || p.startsWith("."))
  ) {
    throw new RangeError(`Cannot name a pcap file after case id "${id}"`);
  }
  return `${id}.${trial}.pcap`;
}

/** Writes one trial's frames to `<dir>/<pcapFileName(id, trial)>`. */
export function writeTrialPcap(
  dir: string,
  id: string,
  trial: number,
  frames: readonly Frame[],
): string {
  const path = `${dir}/${pcapFileName(id, trial)}`;
  Deno.mkdirSync(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  Deno.writeFileSync(path, encodePcap(frames));
  return path;
}
