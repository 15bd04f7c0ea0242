/**
 * How the documents name a platform's TCP stack: its short name beside the
 * platform id in column headings (`host`, `linux-6.1`, `gvisor`), and one
 * line for the platform tables: whose TCP code, which version, how it ran,
 * and whether poll() reported POLLRDHUP.
 *
 * @module
 */

import type { Platform } from "../results/format.ts";
import type { StackKind } from "../results/stack.ts";

/** Whose TCP code a stack kind is, as people write it. */
export const STACK_KIND_NAMES: Record<StackKind, string> = {
  linux: "Linux",
  darwin: "macOS",
  freebsd: "FreeBSD",
  openbsd: "OpenBSD",
  gvisor: "gVisor",
};

/** The stack's short name (`host`, `linux-6.1`, `gvisor`), or `null`. */
export function stackName(p: Platform): string | null {
  return p.stack?.name ?? null;
}

/**
 * The stack in one line, `null` for a platform file without one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stackDescription } from "./stack_text.ts";
 * assert.equal(
 *   stackDescription({
 *     id: "linux-x86_64-6.18", os: "linux", osRelease: "6.18.44", arch: "x86_64",
 *     deno: "2.9.6", source: "run", pollRdhup: true,
 *     stack: { name: "host", kind: "linux", version: "6.18.44", ran: "on the host" },
 *   }),
 *   "host: Linux 6.18.44, on the host; POLLRDHUP: yes",
 * );
 * ```
 */
export function stackDescription(p: Platform): string | null {
  if (!p.stack) return null;
  const { name, kind, version, ran } = p.stack;
  const rdhup = p.pollRdhup === undefined
    ? ""
    : `; POLLRDHUP: ${p.pollRdhup ? "yes" : "no"}`;
  return `${name}: ${STACK_KIND_NAMES[kind]} ${version}, ${ran}${rdhup}`;
}
