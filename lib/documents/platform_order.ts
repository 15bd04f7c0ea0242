/**
 * The one order in which every document puts platforms side by side: run
 * platforms with a `stack` first, in {@linkcode STACK_NAMES} order (the
 * host's own kernel, Linux 6.1 under QEMU, gVisor), then the other run
 * platforms (other OSes, files made before stacks), then transcribed ones;
 * by id within each group. The first run platform of an OS is therefore
 * its host kernel where one was run, the baseline the others are compared
 * with.
 *
 * @module
 */

import { compareIds, type Platform } from "../results/format.ts";
import { STACK_NAMES } from "../results/stack.ts";

/** The group a platform belongs to, lowest first. */
function rank(p: Platform): number {
  if (p.source !== "run") return STACK_NAMES.length + 1;
  const i = p.stack ? STACK_NAMES.indexOf(p.stack.name) : -1;
  return i < 0 ? STACK_NAMES.length : i;
}

/**
 * Compares two platforms for {@linkcode inPlatformOrder}; a `sort`
 * comparator.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { comparePlatforms } from "./platform_order.ts";
 * const p = { os: "linux", osRelease: "", arch: "x86_64", deno: null } as const;
 * const host = { ...p, id: "linux-x86_64-6.18", source: "run" } as const;
 * const gvisor = {
 *   ...host,
 *   id: "linux-x86_64-gvisor-20221219",
 *   stack: { name: "gvisor", kind: "gvisor", version: "", ran: "" },
 * } as const;
 * assert.ok(comparePlatforms(gvisor, host) < 0); // a stack before none
 * ```
 */
export function comparePlatforms(a: Platform, b: Platform): number {
  return rank(a) - rank(b) || compareIds(a.id, b.id);
}

/** `list` (platform files, or anything with a platform) in platform order. */
export function inPlatformOrder<T extends { readonly platform: Platform }>(
  list: readonly T[],
): T[] {
  return [...list].sort((a, b) => comparePlatforms(a.platform, b.platform));
}
