/**
 * Describes the machine a run happens on, for the `platform` block of a
 * results file: OS, kernel release, arch, libc, Deno, privileges and the
 * sysctls that shape TCP teardown.
 *
 * @module
 */

import type { Posix } from "../../ffi/posix.ts";
import type { Platform } from "./format.ts";

/** Linux sysctls that change what teardown looks like. */
const LINUX_SYSCTLS = [
  "net.ipv4.tcp_fin_timeout",
  "net.ipv4.tcp_orphan_retries",
  "net.ipv4.tcp_rfc1337",
  "net.ipv4.tcp_sack",
  "net.ipv4.tcp_timestamps",
  "net.ipv4.tcp_tw_reuse",
] as const;

/** The platform id: `<os>-<arch>`, as in `linux-x86_64`. */
export function platformId(): string {
  return `${Deno.build.os}-${Deno.build.arch}`;
}

function readSysctls(): Record<string, string | number> {
  if (Deno.build.os !== "linux") return {};
  const out: Record<string, string | number> = {};
  for (const name of LINUX_SYSCTLS) {
    try {
      const text = Deno.readTextFileSync(
        `/proc/sys/${name.replaceAll(".", "/")}`,
      )
        .trim();
      out[name] = /^-?\d+$/.test(text) ? Number(text) : text;
    } catch {
      // Not present on this kernel: leave it out.
    }
  }
  return out;
}

function isRoot(): boolean | null {
  try {
    return Deno.uid() === 0;
  } catch {
    return null;
  }
}

/** The `platform` block for this machine. */
export function describePlatform(posix: Posix, command: string): Platform {
  return {
    id: platformId(),
    os: posix.table.os,
    osRelease: Deno.osRelease(),
    arch: Deno.build.arch,
    deno: Deno.version.deno,
    libc: posix.libcVersion(),
    source: "run",
    command,
    root: isRoot(),
    sysctls: readSysctls(),
  };
}
