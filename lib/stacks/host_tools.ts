/**
 * Small helpers the launchers share (`qemu.ts`, `debian_kernel.ts`,
 * `guest_image.ts`, `serial_files.ts`, `debian.ts`): running a host tool
 * (apt-get, dpkg-deb, ldd, `deno cache`, …) for its output under a
 * deadline, its last line of output, telling whether a cached file is there
 * or was replaced, SHA-256 checksums, and durations for progress lines.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { runBounded } from "./process.ts";

/** apt-get, dpkg-deb and `deno cache` get this long each. */
const FETCH_DEADLINE_MS = 10 * 60_000;

/** Whether anything is at `path` (a dangling link counts). */
export function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Size and mtime: enough to notice a replaced binary. */
export function stamp(path: string): string {
  const info = Deno.statSync(path);
  return `${path} ${info.size} ${info.mtime?.getTime() ?? 0}`;
}

/** The SHA-256 of `parts` one after the other, in hex. */
export function sha256(...parts: (string | Uint8Array)[]): string {
  const hash = createHash("sha256");
  for (const p of parts) hash.update(p);
  return hash.digest("hex");
}

/** Milliseconds as `12.3 s`. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** The last line of `text` that is not blank, trimmed (`""` when none). */
export function lastLine(text: string): string {
  return text.trim().split("\n").at(-1)?.trim() ?? "";
}

/** Runs a program for its output; throws one line when it fails. */
export async function output(
  program: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<string> {
  const out = await runBounded(program, {
    args,
    deadlineMs: FETCH_DEADLINE_MS,
    ...options,
  });
  if (out.code !== 0) {
    throw new Error(
      `${program} ${args.join(" ")} failed${
        out.killedAfterMs ? " (timed out)" : ""
      }: ${lastLine(out.stderr) || lastLine(out.stdout)}`,
    );
  }
  return out.stdout;
}
