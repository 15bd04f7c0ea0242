/**
 * The `linux-6.1` stack: Debian bookworm's cloud kernel (Linux 6.1) booted
 * under QEMU with software emulation (TCG), `run-all` inside it, the
 * results brought back over a serial port.
 *
 * The kernel has no 9p, so nothing is shared with the host: the kernel
 * (`debian_kernel.ts`) and the guest's initramfs (`guest_image.ts`) are
 * kept in the stack's cache folder (by default `.cache/stacks/linux-6.1/`),
 * and the results come back over the second serial port
 * (`serial_files.ts`). Paths on the command line mean the same inside as
 * outside: `--out` and `--pcap` are written back to the host after the
 * run, with every file under `results/` the run added or changed.
 *
 * Nothing waits forever: the guest's init must say it started within
 * {@linkcode BOOT_DEADLINE_MS}, the whole run must end within
 * {@linkcode RUN_DEADLINE_MS}, and QEMU is killed on every way out.
 *
 * @module
 */

import { dirname, relative, resolve } from "node:path";
import { writeAtomically } from "../results/format.ts";
import type { StackHandOver } from "../results/stack.ts";
import { ensurePackages } from "./debian.ts";
import { ensureKernel, type Kernel } from "./debian_kernel.ts";
import {
  ensureBase,
  guestDenoArgs,
  sweepRuns,
  writeInitrd,
} from "./guest_image.ts";
import { type GuestRun, pathFlags } from "./guest_init.ts";
import { lastLine, output, seconds } from "./host_tools.ts";
import { CHECKOUT, type Launcher, type Log } from "./launcher.ts";
import { which } from "./process.ts";
import {
  type BroughtFile,
  decodeSerialFiles,
  serialStarted,
} from "./serial_files.ts";

/** The stack's name. */
const NAME = "linux-6.1";

/** The guest's init must say it started within this long. */
export const BOOT_DEADLINE_MS = 120_000;

/** Boot, run and bring-back together must end within this long. */
export const RUN_DEADLINE_MS = 15 * 60_000;

/** After `done`, QEMU gets this long to power off before it is killed. */
const POWEROFF_GRACE_MS = 15_000;

/**
 * V8's compilers off in the guest: under TCG every page of code V8
 * generates must be translated again, which made deno start 4–5 times
 * slower (module loading for `run-all --list`: ~26 s with them, ~6 s
 * without). The experiments' JavaScript is light; the TCP stack is what
 * they measure, and its code is the kernel's, not V8's.
 */
export const GUEST_V8_FLAGS = "--no-opt,--no-maglev,--no-sparkplug";

/** How the guest machine is made. */
export interface QemuOptions {
  /** Where the kernel, the Deno cache and the archive are kept. */
  readonly cacheDir?: string;
  /** Virtual CPUs (default 2). */
  readonly cpus?: number;
  /** Guest memory in MiB (default 2048: the initramfs stays in RAM). */
  readonly memoryMb?: number;
  readonly bootDeadlineMs?: number;
  readonly runDeadlineMs?: number;
  /**
   * `--v8-flags` for deno in the guest (default
   * {@linkcode GUEST_V8_FLAGS}; `""` for none).
   */
  readonly v8Flags?: string;
}

/** What {@linkcode Launcher.prepare} found or built. */
interface Prepared {
  readonly qemu: string;
  readonly qemuVersion: string;
  readonly kernel: Kernel;
  /** The cached archive. */
  readonly base: string;
}

const decoder = new TextDecoder();

/** The QEMU version in `qemu-system-x86_64 --version`'s output. */
export function parseQemuVersion(text: string): string | null {
  return /version (\d+\.\d+(?:\.\d+)?)/.exec(text)?.[1] ?? null;
}

/**
 * The hand-over's sentence for how the run ran.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ranSentence } from "./qemu.ts";
 * assert.equal(
 *   ranSentence("7.2.22", 2, {
 *     packageName: "linux-image-6.1.0-56-cloud-amd64",
 *     version: "6.1.192-2",
 *   }),
 *   "in QEMU 7.2.22 with software emulation (TCG), 2 vCPUs, " +
 *     "Debian's linux-image-6.1.0-56-cloud-amd64 6.1.192-2",
 * );
 * ```
 */
export function ranSentence(
  qemuVersion: string,
  cpus: number,
  kernel: { readonly packageName: string; readonly version: string },
): string {
  return `in QEMU ${qemuVersion} with software emulation (TCG), ${cpus} ` +
    `vCPU${cpus === 1 ? "" : "s"}, Debian's ${kernel.packageName} ` +
    kernel.version;
}

/** Where each brought-back file goes on the host; `null` for none. */
function hostPath(
  name: string,
  out: string | null,
  pcap: string | null,
): string | null {
  const inside = (base: string, rel: string) => {
    const parts = rel.split("/");
    if (rel === "" || parts.some((p) => p === "" || p === "." || p === "..")) {
      return null;
    }
    return `${base}/${rel}`;
  };
  if (name === "out") return out;
  if (name.startsWith("results/")) {
    return inside(`${CHECKOUT}/results`, name.slice("results/".length));
  }
  if (name.startsWith("pcap/") && pcap !== null) {
    return inside(pcap, name.slice("pcap/".length));
  }
  return null;
}

/** Writes `data` at `path` atomically, unless it holds it already. */
function writeBack(path: string, data: Uint8Array): boolean {
  try {
    const old = Deno.readFileSync(path);
    if (old.length === data.length && old.every((b, i) => b === data[i])) {
      return false;
    }
  } catch {
    // Not there yet.
  }
  Deno.mkdirSync(dirname(path), { recursive: true });
  writeAtomically(path, data);
  return true;
}

/** Writes the files a guest brought back; returns the host paths written. */
function bringBack(
  files: readonly BroughtFile[],
  out: string | null,
  pcap: string | null,
  log: Log,
): string[] {
  const written: string[] = [];
  for (const file of files) {
    const path = hostPath(file.name, out, pcap);
    if (path === null) {
      log(`${NAME}: ignored a file the guest sent as ${file.name}`);
      continue;
    }
    if (writeBack(path, file.data)) written.push(path);
  }
  return written;
}

/** `wrote a, b` (paths relative to `cwd` where shorter), or a count. */
function describeWritten(paths: readonly string[], cwd: string): string {
  if (paths.length === 0) return "no file to bring back";
  if (paths.length > 6) return `wrote ${paths.length} files back`;
  return `wrote ${
    paths.map((p) => {
      const rel = relative(resolve(cwd), p);
      return rel.startsWith("..") || rel.length >= p.length ? p : rel;
    }).join(", ")
  }`;
}

function terminalSize(): { columns: number; rows: number } | null {
  try {
    if (!Deno.stdout.isTerminal()) return null;
    const { columns, rows } = Deno.consoleSize();
    return columns > 0 ? { columns, rows } : null;
  } catch {
    return null;
  }
}

function envFlag(name: string): boolean {
  try {
    return (Deno.env.get(name) ?? "") !== "";
  } catch {
    return false;
  }
}

/** How QEMU ended, as the launcher saw it. */
interface Ended {
  readonly code: number;
  /** Set when escoteria killed it, with why. */
  readonly killed: string | null;
  readonly stderr: string;
  /** Milliseconds from start to the guest's started line. */
  readonly bootMs: number | null;
  /** Milliseconds from start to the run's end (files or done line). */
  readonly ranMs: number | null;
  readonly totalMs: number;
}

/**
 * Runs QEMU until it exits or a deadline passes, streaming the console to
 * stdout and watching `serialPath` for the started and done lines.
 */
async function runQemu(
  qemu: string,
  args: string[],
  serialPath: string,
  deadlines: { bootMs: number; runMs: number },
): Promise<Ended> {
  const started = performance.now();
  const child = new Deno.Command(qemu, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let killed: string | null = null;
  let bootMs: number | null = null;
  let ranMs: number | null = null;
  let doneAt: number | null = null;
  const kill = (why: string) => {
    if (killed !== null) return;
    killed = why;
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  };
  const streamed = child.stdout.pipeTo(Deno.stdout.writable, {
    preventClose: true,
  }).catch(() => {});
  const stderr = new Response(child.stderr).text().catch(() => "");
  const watch = setInterval(() => {
    const now = performance.now() - started;
    let text = "";
    try {
      text = decoder.decode(Deno.readFileSync(serialPath));
    } catch {
      // QEMU has not created it yet.
    }
    if (bootMs === null && serialStarted(text) !== null) bootMs = now;
    if (ranMs === null && /\n(file|done) /.test(text)) ranMs = now;
    if (doneAt === null && /\ndone \d+\r?\n$/.test(text)) doneAt = now;
    if (bootMs === null && now > deadlines.bootMs) {
      kill(`the guest's init did not start within ${seconds(now)}`);
    } else if (now > deadlines.runMs) {
      kill(`the run did not finish within ${seconds(deadlines.runMs)}`);
    } else if (doneAt !== null && now - doneAt > POWEROFF_GRACE_MS) {
      kill(
        `the guest did not power off ${seconds(POWEROFF_GRACE_MS)} after ` +
          `it was done`,
      );
    }
  }, 250);
  try {
    const status = await child.status;
    await streamed;
    return {
      code: status.code,
      killed,
      stderr: await stderr,
      bootMs,
      ranMs,
      totalMs: performance.now() - started,
    };
  } finally {
    clearInterval(watch);
    try {
      child.kill("SIGKILL");
    } catch {
      // It has exited.
    }
  }
}

/** A launcher for Linux 6.1 under QEMU (TCG). */
export function qemuLauncher(options: QemuOptions = {}): Launcher {
  const cacheDir = options.cacheDir ?? `${CHECKOUT}/.cache/stacks/${NAME}`;
  const cpus = options.cpus ?? 2;
  const memoryMb = options.memoryMb ?? 2048;
  const v8Flags = options.v8Flags ?? GUEST_V8_FLAGS;
  const runDeadlineMs = options.runDeadlineMs ?? RUN_DEADLINE_MS;
  let prepared: Prepared | null = null;

  async function prepare(log: Log): Promise<string | null> {
    const missing = await ensurePackages([
      { name: "qemu-system-x86", provides: "qemu-system-x86_64" },
      { name: "busybox-static", provides: "/bin/busybox" },
    ], log);
    if (missing !== null) return missing;
    for (const tool of ["apt-cache", "apt-get", "dpkg-deb", "ldd"]) {
      if (which(tool) === null) return `${tool} is not installed`;
    }
    if (Deno.build.os !== "linux" || Deno.build.arch !== "x86_64") {
      return `the guest runs this machine's deno binary, which is for ` +
        `${Deno.build.os}-${Deno.build.arch}, not linux-x86_64`;
    }
    try {
      const qemu = which("qemu-system-x86_64")!;
      const qemuVersion = parseQemuVersion(await output(qemu, ["--version"])) ??
        "(unknown version)";
      await Deno.mkdir(cacheDir, { recursive: true });
      sweepRuns(cacheDir, runDeadlineMs);
      const say: Log = (line) => log(`${NAME}: ${line}`);
      const kernel = await ensureKernel(cacheDir, say);
      const base = await ensureBase(cacheDir, kernel, v8Flags, say);
      prepared = { qemu, qemuVersion, kernel, base };
      return null;
    } catch (e) {
      if (e instanceof Deno.errors.NotCapable) throw e;
      return (e as Error).message.split("\n")[0]!;
    }
  }

  async function runAll(
    args: readonly string[],
    cwd: string,
    log: Log,
  ): Promise<number> {
    if (prepared === null) {
      const why = await prepare(log);
      if (why !== null) {
        log(`${NAME}: cannot run: ${why}`);
        return 1;
      }
    }
    const { qemu, qemuVersion, kernel, base } = prepared!;
    const flags = pathFlags(args);
    const out = flags.out === null ? null : resolve(cwd, flags.out);
    const pcap = flags.pcap === null ? null : resolve(cwd, flags.pcap);
    const handOver: StackHandOver = {
      name: NAME,
      kind: "linux",
      ran: ranSentence(qemuVersion, cpus, kernel),
    };
    const size = terminalSize();
    const run: GuestRun = {
      checkout: CHECKOUT,
      cwd: resolve(cwd),
      denoArgs: guestDenoArgs(v8Flags, args),
      stackJson: JSON.stringify(handOver),
      terminal: size !== null,
      columns: size?.columns ?? null,
      rows: size?.rows ?? null,
      noColor: envFlag("NO_COLOR"),
      out,
      pcap,
      deadlineSeconds: Math.ceil(runDeadlineMs / 1000) + 60,
    };
    const tag = `${Deno.pid}-${Date.now()}`;
    const initrd = `${cacheDir}/run-${tag}.initrd`;
    const serial = `${cacheDir}/run-${tag}.serial`;
    const runArchive = `${cacheDir}/run-${tag}.cpio`;
    try {
      const buildStarted = performance.now();
      writeInitrd(initrd, base, runArchive, run, out);
      log(
        `${NAME}: booting Linux ${kernel.release} in QEMU ${qemuVersion} ` +
          `(TCG, ${cpus} vCPUs; initramfs ready in ${
            seconds(performance.now() - buildStarted)
          })…`,
      );
      const ended = await runQemu(
        qemu,
        [
          "-accel",
          "tcg,thread=multi",
          "-cpu",
          "max",
          "-smp",
          String(cpus),
          "-m",
          String(memoryMb),
          "-nodefaults",
          "-no-user-config",
          "-display",
          "none",
          "-monitor",
          "none",
          "-no-reboot",
          "-kernel",
          kernel.vmlinuz,
          "-initrd",
          initrd,
          "-append",
          "console=ttyS0 quiet loglevel=1 panic=1",
          "-chardev",
          "stdio,id=console,signal=off",
          "-serial",
          "chardev:console",
          "-serial",
          `file:${serial}`,
        ],
        serial,
        {
          bootMs: options.bootDeadlineMs ?? BOOT_DEADLINE_MS,
          runMs: runDeadlineMs,
        },
      );
      let text = "";
      try {
        text = decoder.decode(Deno.readFileSync(serial));
      } catch {
        // Nothing came.
      }
      const got = decodeSerialFiles(text);
      const timing = [
        ended.bootMs === null ? "" : `booted in ${seconds(ended.bootMs)}`,
        ended.ranMs === null ? "" : `ran until ${seconds(ended.ranMs)}`,
        `ended after ${seconds(ended.totalMs)}`,
      ].filter((t) => t !== "").join(", ");
      if (ended.killed !== null) {
        log(`${NAME}: killed QEMU: ${ended.killed} (${timing})`);
        return 1;
      }
      if (got.problem !== null || got.exitCode === null) {
        const qemuSaid = lastLine(ended.stderr);
        log(
          `${NAME}: QEMU exited with ${ended.code} and the guest's files are ` +
            `incomplete: ${got.problem}${
              qemuSaid ? ` (QEMU: ${qemuSaid})` : ""
            } (${timing})`,
        );
        return 1;
      }
      const written = bringBack(got.files, out, pcap, log);
      log(
        `${NAME}: run-all exited with ${got.exitCode}; ${timing}; ` +
          describeWritten(written, cwd),
      );
      return got.exitCode;
    } catch (e) {
      if (e instanceof Deno.errors.NotCapable) throw e;
      log(`${NAME}: ${(e as Error).message.split("\n")[0]}`);
      return 1;
    } finally {
      for (const path of [runArchive, initrd, serial]) {
        try {
          Deno.removeSync(path);
        } catch {
          // Not made.
        }
      }
    }
  }

  return { name: NAME, prepare, runAll };
}

/** Linux 6.1 under QEMU, with the cache in the checkout's `.cache/`. */
export const linux61: Launcher = qemuLauncher();
