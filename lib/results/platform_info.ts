/**
 * Describes the machine a run happens on, for the `platform` block of a
 * results file: OS, kernel release, arch, libc, Deno, privileges and the
 * sysctls that shape TCP teardown. Sysctls are read through libc (Deno
 * refuses `/proc` without `--allow-all`); each one that cannot be read is
 * recorded with the reason, never left out silently.
 *
 * @module
 */

import type { Errno } from "../../ffi/errno.ts";
import type { Posix, ValueOutcome } from "../../ffi/posix.ts";
import type { Platform, SelfCheckRecord } from "./format.ts";
import { currentStack, type Stack, stackIdPart } from "./stack.ts";

/**
 * Linux sysctls that change what teardown looks like, read from
 * `/proc/sys/<name with dots as slashes>`.
 */
export const LINUX_SYSCTLS = [
  "net.ipv4.tcp_fin_timeout",
  "net.ipv4.tcp_orphan_retries",
  "net.ipv4.tcp_rfc1337",
  "net.ipv4.tcp_sack",
  "net.ipv4.tcp_timestamps",
  "net.ipv4.tcp_tw_reuse",
] as const;

/**
 * macOS sysctls read with `sysctlbyname(3)`, each declared in
 * apple-oss-distributions/xnu: `bsd/netinet/tcp_timer.c` (`msl`,
 * `fin_timeout`, both in ms), `bsd/netinet/tcp_input.c` (`blackhole`),
 * `bsd/netinet/tcp_sack.c` (`sack`). xnu has no `rfc1323` sysctl in release
 * kernels (only under `DEVELOPMENT || DEBUG`, and none in current
 * `tcp_subr.c`), so it is not asked for.
 */
export const DARWIN_SYSCTLS = [
  "net.inet.tcp.msl",
  "net.inet.tcp.fin_timeout",
  "net.inet.tcp.blackhole",
  "net.inet.tcp.sack",
] as const;

/**
 * FreeBSD sysctls read with `sysctlbyname(3)`, each declared in freebsd-src:
 * `sys/netinet/tcp_timer.c` (`msl`, `finwait2_timeout` in ms,
 * `fast_finwait2_recycle`), `sys/netinet/tcp_timewait.c` (`nolocaltimewait`:
 * an `int` in older releases, a `bool`, one byte, in newer ones),
 * `sys/netinet/tcp_input.c` (`blackhole`), `sys/netinet/tcp_subr.c`
 * (`rfc1323`), `sys/netinet/tcp_sack.c` (`sack.enable`).
 */
export const FREEBSD_SYSCTLS = [
  "net.inet.tcp.msl",
  "net.inet.tcp.finwait2_timeout",
  "net.inet.tcp.fast_finwait2_recycle",
  "net.inet.tcp.nolocaltimewait",
  "net.inet.tcp.blackhole",
  "net.inet.tcp.rfc1323",
  "net.inet.tcp.sack.enable",
] as const;

/** Why nothing is read on OpenBSD, as the platform block says it. */
export const OPENBSD_SYSCTLS_UNAVAILABLE =
  "OpenBSD's libc has no sysctlbyname(3) and escoteria has no table of " +
  "sysctl(2) MIB numbers for it";

/** The sysctl part of a platform block. */
export interface SysctlReport {
  /** name → value: integers as numbers, anything else as trimmed text. */
  readonly sysctls: Record<string, string | number>;
  /** name → why it could not be read (`ENOENT: not on this kernel`). */
  readonly unreadable: Record<string, string>;
  /** Why no sysctl was even tried on this OS, `null` when they were. */
  readonly unavailable: string | null;
}

/**
 * The platform id: `<os>-<arch>`, then what tells the stack apart where
 * there is a choice of them: the kernel series on Linux
 * (`linux-x86_64-6.18`, `linux-x86_64-6.1`), gVisor and its date
 * (`linux-x86_64-gvisor-20221219`). Other OSes keep `<os>-<arch>`.
 */
export function platformId(
  stack: Stack,
  os: string = Deno.build.os,
  arch: string = Deno.build.arch,
): string {
  const part = stackIdPart(stack);
  return part === null ? `${os}-${arch}` : `${os}-${arch}-${part}`;
}

/** The kernel release of this machine (see {@linkcode resolveOsRelease}). */
export function osRelease(posix: Posix): string {
  return resolveOsRelease(() => Deno.osRelease(), () => posix.kernelRelease());
}

/**
 * The stack this process runs on: the launcher's hand-over, else the
 * host's kernel.
 */
export function thisStack(posix: Posix): Stack {
  return currentStack(posix.table.os, osRelease(posix));
}

/** `ENOENT: not on this kernel`, `EACCES: Permission denied`, …. */
function reason(posix: Posix, errno: Errno, call: string | null): string {
  if (errno === "ENOENT") return "ENOENT: not on this kernel";
  const where = call === null ? "" : ` (${call})`;
  return `${errno}${where}: ${posix.strerror(errno)}`;
}

function parseValue(text: string): string | number {
  const trimmed = text.trim();
  return /^-?\d+$/.test(trimmed) ? Number(trimmed) : trimmed;
}

/** Reads Linux sysctls from `/proc/sys` through libc. */
export function readLinuxSysctls(
  posix: Posix,
  names: readonly string[] = LINUX_SYSCTLS,
): SysctlReport {
  const sysctls: Record<string, string | number> = {};
  const unreadable: Record<string, string> = {};
  for (const name of names) {
    const out = posix.readTextFile(`/proc/sys/${name.replaceAll(".", "/")}`);
    if (out.value === null) {
      unreadable[name] = out.errno === null
        ? "unreadable"
        : reason(posix, out.errno, out.call === "read" ? "read" : null);
    } else if (out.truncated) {
      unreadable[name] = "longer than the reader's size cap";
    } else {
      sysctls[name] = parseValue(out.value);
    }
  }
  return { sysctls, unreadable, unavailable: null };
}

/**
 * An integer sysctl's bytes as a number: 1 byte (a C `bool` or `u8`), 4 (an
 * `int`) or 8 (a `long`), little-endian as on every supported CPU. `null` for
 * any other size, which is not an integer escoteria knows how to read.
 */
export function decodeSysctlInteger(bytes: Uint8Array): number | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (bytes.byteLength) {
    case 1:
      return view.getUint8(0);
    case 4:
      return view.getInt32(0, true);
    case 8:
      return Number(view.getBigInt64(0, true));
    default:
      return null;
  }
}

/** Reads integer sysctls with `sysctlbyname(3)` (macOS, FreeBSD). */
export function readSysctlsByName(
  posix: Posix,
  names: readonly string[],
): SysctlReport {
  const sysctls: Record<string, string | number> = {};
  const unreadable: Record<string, string> = {};
  for (const name of names) {
    const out = posix.sysctlByName(name);
    if (out === null) {
      return {
        sysctls: {},
        unreadable: {},
        unavailable: "libc has no sysctlbyname(3)",
      };
    }
    if (out.value === null) {
      unreadable[name] = out.errno === null
        ? "unreadable"
        : reason(posix, out.errno, null);
      continue;
    }
    const value = decodeSysctlInteger(out.value);
    if (value === null) {
      unreadable[name] = `not an integer (${out.value.byteLength} bytes)`;
    } else {
      sysctls[name] = value;
    }
  }
  return { sysctls, unreadable, unavailable: null };
}

/** The teardown sysctls of the OS `posix` is for, read as that OS allows. */
export function readSysctls(posix: Posix): SysctlReport {
  switch (posix.table.os) {
    case "linux":
      return readLinuxSysctls(posix);
    case "darwin":
      return readSysctlsByName(posix, DARWIN_SYSCTLS);
    case "freebsd":
      return readSysctlsByName(posix, FREEBSD_SYSCTLS);
    case "openbsd":
      return {
        sysctls: {},
        unreadable: {},
        unavailable: OPENBSD_SYSCTLS_UNAVAILABLE,
      };
  }
}

/**
 * The kernel release: `Deno.osRelease()`, or `uname(2)` through libc when
 * Deno gives `""` or throws (as under gVisor). When both fail the value is
 * `unknown (<why>)`, never empty: the schema requires a non-empty string and
 * a reader can still tell it apart from a real release by the `unknown`
 * prefix.
 */
export function resolveOsRelease(
  denoRelease: () => string,
  kernelRelease: () => ValueOutcome<string>,
): string {
  let deno: string;
  try {
    const release = denoRelease().trim();
    if (release !== "") return release;
    deno = "Deno.osRelease() empty";
  } catch (error) {
    deno = `Deno.osRelease() threw ${
      error instanceof Error ? error.name : String(error)
    }`;
  }
  let uname: string;
  try {
    const out = kernelRelease();
    const release = out.value?.trim() ?? "";
    if (release !== "") return release;
    uname = out.errno === null
      ? "uname() release empty"
      : `uname: ${out.errno}`;
  } catch (error) {
    uname = `uname threw ${error instanceof Error ? error.message : error}`;
  }
  return `unknown (${deno}; ${uname})`;
}

/** Whether this process runs as uid 0; `null` where that is unknown. */
export function isRoot(): boolean | null {
  try {
    return Deno.uid() === 0;
  } catch {
    return null;
  }
}

/**
 * The `platform` block for this machine, on `stack`; `pollRdhup` as the
 * engine's probe found it, when it probed; the self-check, when it ran.
 */
export function describePlatform(
  posix: Posix,
  command: string,
  stack: Stack = thisStack(posix),
  pollRdhup?: boolean,
  selfCheck?: readonly SelfCheckRecord[],
): Platform {
  const report = readSysctls(posix);
  const platform: Platform = {
    id: platformId(stack),
    os: posix.table.os,
    osRelease: osRelease(posix),
    arch: Deno.build.arch,
    deno: Deno.version.deno,
    libc: posix.libcVersion(),
    source: "run",
    command,
    root: isRoot(),
    sysctls: report.sysctls,
  };
  if (Object.keys(report.unreadable).length > 0) {
    platform.sysctlsUnreadable = report.unreadable;
  }
  if (report.unavailable !== null) {
    platform.sysctlsUnavailable = report.unavailable;
  }
  platform.stack = stack;
  if (pollRdhup !== undefined) platform.pollRdhup = pollRdhup;
  if (selfCheck !== undefined) {
    platform.selfCheck = selfCheck.map((e) => ({ ...e }));
  }
  return platform;
}
