/**
 * Test helper: whether this machine can trace the kernel (Linux, root,
 * tracefs), probed by opening and removing an instance of this process.
 *
 * @module
 */

import { hostPosix } from "../../ffi/posix.ts";
import { instanceName, KernelTracer } from "../kernel/tracer.ts";

/** Why the kernel cannot be traced here, or `null` when it can. */
export function tracerMissing(): string | null {
  if (Deno.build.os !== "linux") return "not Linux";
  const probe = KernelTracer.open(hostPosix(), instanceName(900));
  if ("unavailable" in probe) return probe.unavailable;
  probe.close();
  return null;
}
