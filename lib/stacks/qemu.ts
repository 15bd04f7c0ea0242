/**
 * The `linux-6.1` stack: Debian bookworm's cloud kernel (Linux 6.1) booted
 * under QEMU with software emulation (TCG), `run-all` inside it, the
 * results brought back over a serial port.
 *
 * The kernel has no 9p, so nothing is shared with the host: the guest gets
 * everything in its initramfs, two uncompressed cpio archives one after
 * the other. The first is big and cached under
 * `.cache/stacks/linux-6.1/`, keyed by a hash of what went into it
 * (busybox, deno and the shared libraries it needs, the kernel's
 * sock_diag modules, a Deno cache filled from `deno.lock`, `/init`); the
 * second is made per run (the checkout, at the same path as on the host,
 * and the run's settings). Paths on the command line mean the same inside
 * as outside: `--out` and `--pcap` are written back to the host after the
 * run, with every file under `results/` the run added or changed.
 *
 * Nothing waits forever: the guest's init must say it started within
 * {@linkcode BOOT_DEADLINE_MS}, the whole run must end within
 * {@linkcode RUN_DEADLINE_MS}, and QEMU is killed on every way out.
 *
 * @module
 */

import { dirname, relative, resolve } from "node:path";
import { createHash } from "node:crypto";
import type { StackHandOver } from "../results/stack.ts";
import { ensurePackages, isRoot } from "./debian.ts";
import {
  GUEST,
  type GuestRun,
  initScript,
  pathFlags,
  runEnv,
} from "./guest_init.ts";
import { type CpioEntry, CpioWriter } from "./initramfs.ts";
import {
  CHECKOUT,
  type Launcher,
  type Log,
  RUN_ALL_PERMISSIONS,
  RUN_ALL_SCRIPT,
} from "./launcher.ts";
import { runBounded, which } from "./process.ts";
import {
  type BroughtFile,
  decodeSerialFiles,
  serialStarted,
} from "./serial_files.ts";

/** The stack's name. */
const NAME = "linux-6.1";

/** Debian's package that depends on the current 6.1 cloud kernel. */
const KERNEL_META_PACKAGE = "linux-image-cloud-amd64";

/** The guest's init must say it started within this long. */
export const BOOT_DEADLINE_MS = 120_000;

/** Boot, run and bring-back together must end within this long. */
export const RUN_DEADLINE_MS = 15 * 60_000;

/** After `done`, QEMU gets this long to power off before it is killed. */
const POWEROFF_GRACE_MS = 15_000;

/** apt-get, dpkg-deb and `deno cache` get this long each. */
const FETCH_DEADLINE_MS = 10 * 60_000;

/**
 * V8's compilers off in the guest: under TCG every page of code V8
 * generates must be translated again, which made deno start 4–5 times
 * slower (module loading for `run-all --list`: ~26 s with them, ~6 s
 * without). The experiments' JavaScript is light; the TCP stack is what
 * they measure, and its code is the kernel's, not V8's.
 */
export const GUEST_V8_FLAGS = "--no-opt,--no-maglev,--no-sparkplug";

/** Bumped when the cached archive's layout changes. */
const BASE_FORMAT = 1;

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

/** A kernel fetched into the cache. */
interface Kernel {
  /** The Debian package, e.g. `linux-image-6.1.0-56-cloud-amd64`. */
  readonly packageName: string;
  /** Its version, e.g. `6.1.192-2`. */
  readonly version: string;
  /** `uname -r` in the guest, e.g. `6.1.0-56-cloud-amd64`. */
  readonly release: string;
  readonly vmlinuz: string;
  /** The modules `/init` loads, by file name. */
  readonly modules: readonly string[];
  readonly dir: string;
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

function sha256(...parts: (string | Uint8Array)[]): string {
  const hash = createHash("sha256");
  for (const p of parts) hash.update(p);
  return hash.digest("hex");
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function lastLine(text: string): string {
  return text.trim().split("\n").at(-1)?.trim() ?? "";
}

/** The QEMU version in `qemu-system-x86_64 --version`'s output. */
export function parseQemuVersion(text: string): string | null {
  return /version (\d+\.\d+(?:\.\d+)?)/.exec(text)?.[1] ?? null;
}

/**
 * The kernel package in `apt-cache depends linux-image-cloud-amd64`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseKernelDepends } from "./qemu.ts";
 * assert.equal(
 *   parseKernelDepends(
 *     "linux-image-cloud-amd64\n  Depends: linux-image-6.1.0-56-cloud-amd64\n",
 *   ),
 *   "linux-image-6.1.0-56-cloud-amd64",
 * );
 * ```
 */
export function parseKernelDepends(text: string): string | null {
  return /Depends: (linux-image-[0-9][^\s<>]*)/.exec(text)?.[1] ?? null;
}

/** The candidate version in `apt-cache policy PACKAGE`'s output. */
export function parseCandidate(text: string): string | null {
  const v = /Candidate: (\S+)/.exec(text)?.[1];
  return v === undefined || v === "(none)" ? null : v;
}

/**
 * The absolute paths of the libraries in `ldd`'s output, loader included.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseLdd } from "./qemu.ts";
 * assert.deepEqual(
 *   parseLdd([
 *     "\tlinux-vdso.so.1 (0x00007ffc6e1f5000)",
 *     "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f0c1c000000)",
 *     "\t/lib64/ld-linux-x86-64.so.2 (0x00007f0c1c400000)",
 *   ].join("\n")),
 *   ["/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"],
 * );
 * ```
 */
export function parseLdd(text: string): string[] {
  const paths: string[] = [];
  for (const line of text.split("\n")) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m) paths.push(m[1]!);
  }
  return paths;
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

/** Runs a program for its output; throws one line when it fails. */
async function output(
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

/** `apt-get update`, once per process, and only as root. */
let aptUpdated = false;
async function aptUpdate(log: Log): Promise<boolean> {
  if (aptUpdated || !isRoot()) return false;
  log(`${NAME}: apt-get update…`);
  await output("apt-get", ["update", "-qq"], {
    env: { DEBIAN_FRONTEND: "noninteractive" },
  });
  aptUpdated = true;
  return true;
}

/** What apt knows changes only when these files do. */
const APT_STATE = ["/var/lib/apt/lists", "/var/cache/apt/pkgcache.bin"];

function aptStamp(): string {
  return APT_STATE.map((p) => {
    try {
      return stamp(p);
    } catch {
      return `${p} -`;
    }
  }).join("\n");
}

/**
 * The kernel package and version apt would install now, or `null`; asked
 * of apt-cache (about 2 s) only when apt's lists changed since last time.
 */
async function resolveKernelPackage(
  choiceFile: string,
  log: Log,
): Promise<{ packageName: string; version: string } | null> {
  try {
    const saved = JSON.parse(Deno.readTextFileSync(choiceFile));
    if (
      saved.apt === aptStamp() && typeof saved.packageName === "string" &&
      typeof saved.version === "string"
    ) {
      return { packageName: saved.packageName, version: saved.version };
    }
  } catch {
    // Not asked yet.
  }
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const packageName = parseKernelDepends(
        await output("apt-cache", ["depends", KERNEL_META_PACKAGE]),
      );
      if (packageName !== null) {
        const version = parseCandidate(
          await output("apt-cache", ["policy", packageName]),
        );
        if (version !== null) {
          Deno.writeTextFileSync(
            choiceFile,
            JSON.stringify({ apt: aptStamp(), packageName, version }) + "\n",
          );
          return { packageName, version };
        }
      }
    } catch {
      // Try again after apt-get update.
    }
    if (!(await aptUpdate(log).catch(() => false))) break;
  }
  return null;
}

/** The kernels in the cache, oldest name first. */
function cachedKernels(kernelsDir: string): Kernel[] {
  const found: Kernel[] = [];
  let names: string[];
  try {
    names = [...Deno.readDirSync(kernelsDir)]
      .filter((e) => e.isDirectory && !e.name.startsWith("."))
      .map((e) => e.name).sort();
  } catch {
    return [];
  }
  for (const name of names) {
    const kernel = readKernel(`${kernelsDir}/${name}`);
    if (kernel !== null) found.push(kernel);
  }
  return found;
}

function readKernel(dir: string): Kernel | null {
  try {
    const info = JSON.parse(Deno.readTextFileSync(`${dir}/kernel.json`));
    return { ...info, dir, vmlinuz: `${dir}/vmlinuz` } as Kernel;
  } catch {
    return null;
  }
}

/** Downloads and unpacks the kernel package into `dir`. */
async function fetchKernel(
  packageName: string,
  version: string,
  dir: string,
  log: Log,
): Promise<Kernel> {
  const tmp = `${dir}.tmp-${Deno.pid}`;
  await Deno.remove(tmp, { recursive: true }).catch(() => {});
  await Deno.mkdir(`${tmp}/deb`, { recursive: true });
  try {
    log(`${NAME}: downloading ${packageName} ${version}…`);
    const download = ["download", `${packageName}=${version}`];
    try {
      await output("apt-get", download, { cwd: `${tmp}/deb` });
    } catch (e) {
      if (!(await aptUpdate(log).catch(() => false))) throw e;
      await output("apt-get", download, { cwd: `${tmp}/deb` });
    }
    const deb = [...Deno.readDirSync(`${tmp}/deb`)]
      .find((e) => e.name.endsWith(".deb"));
    if (!deb) throw new Error(`apt-get download left no .deb file`);
    await output("dpkg-deb", ["-x", `${tmp}/deb/${deb.name}`, `${tmp}/x`]);
    const vmlinuz = [...Deno.readDirSync(`${tmp}/x/boot`)]
      .find((e) => e.name.startsWith("vmlinuz-"));
    if (!vmlinuz) throw new Error(`${deb.name} holds no boot/vmlinuz-*`);
    const release = vmlinuz.name.slice("vmlinuz-".length);
    await Deno.rename(`${tmp}/x/boot/${vmlinuz.name}`, `${tmp}/vmlinuz`);
    for (const module of GUEST.modules) {
      const from = `${tmp}/x/lib/modules/${release}/kernel/net/ipv4/${module}`;
      if (!exists(from)) throw new Error(`${deb.name} holds no ${module}`);
      await Deno.rename(from, `${tmp}/${module}`);
    }
    await Deno.remove(`${tmp}/x`, { recursive: true });
    await Deno.remove(`${tmp}/deb`, { recursive: true });
    const kernel = {
      packageName,
      version,
      release,
      modules: [...GUEST.modules],
    };
    await Deno.writeTextFile(
      `${tmp}/kernel.json`,
      JSON.stringify(kernel, null, 2) + "\n",
    );
    await Deno.rename(tmp, dir);
    return { ...kernel, dir, vmlinuz: `${dir}/vmlinuz` };
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

/** The kernel to boot: apt's current one (fetched once), else a cached one. */
async function ensureKernel(cacheDir: string, log: Log): Promise<Kernel> {
  const kernelsDir = `${cacheDir}/kernels`;
  const wanted = await resolveKernelPackage(
    `${cacheDir}/kernel-choice.json`,
    log,
  );
  if (wanted === null) {
    const cached = cachedKernels(kernelsDir).at(-1);
    if (cached === undefined) {
      throw new Error(
        `apt-cache cannot say which package ${KERNEL_META_PACKAGE} depends on` +
          (isRoot() ? "" : " (run as root to have apt-get update run)"),
      );
    }
    log(
      `${NAME}: apt-cache cannot resolve ${KERNEL_META_PACKAGE}; ` +
        `using the cached ${cached.packageName} ${cached.version}`,
    );
    return cached;
  }
  const dir = `${kernelsDir}/${wanted.packageName}_${wanted.version}`;
  const kernel = readKernel(dir);
  if (kernel !== null && exists(kernel.vmlinuz)) return kernel;
  await Deno.mkdir(kernelsDir, { recursive: true });
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  return await fetchKernel(wanted.packageName, wanted.version, dir, log);
}

/** A Deno cache for run-all, filled from the checkout's lock file. */
async function ensureDenoDir(
  cacheDir: string,
  v8Flags: string,
  log: Log,
): Promise<string> {
  const key = sha256(
    Deno.version.deno,
    "\0",
    v8Flags,
    "\0",
    readOr(`${CHECKOUT}/deno.lock`),
    "\0",
    readOr(`${CHECKOUT}/deno.json`),
  ).slice(0, 16);
  const dir = `${cacheDir}/deno-dir-${key}`;
  const done = `${dir}/.escoteria-complete`;
  if (exists(done)) return dir;
  log(`${NAME}: filling a Deno cache for the guest (deno cache)…`);
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.mkdir(dir, { recursive: true });
  await output(
    Deno.execPath(),
    [
      "cache",
      "--frozen",
      "--lock=deno.lock",
      RUN_ALL_SCRIPT.slice(CHECKOUT.length + 1),
    ],
    { cwd: CHECKOUT, env: { DENO_DIR: dir, NO_COLOR: "1" } },
  );
  // Fills V8's code cache the way the guest starts run-all (same flags,
  // same paths), which saves the guest compiling the modules that have
  // not changed since. A failure only costs that time.
  await output(Deno.execPath(), guestDenoArgs(v8Flags, ["--help"]), {
    cwd: CHECKOUT,
    env: { DENO_DIR: dir, NO_COLOR: "1" },
  }).catch((e) => log(`${NAME}: no V8 code cache: ${(e as Error).message}`));
  await Deno.writeTextFile(done, "");
  removeOthers(cacheDir, "deno-dir-", `deno-dir-${key}`);
  return dir;
}

function readOr(path: string): Uint8Array {
  try {
    return Deno.readFileSync(path);
  } catch {
    return new Uint8Array(0);
  }
}

/** Removes `dir`'s entries named `prefix…` but `keep`. */
function removeOthers(dir: string, prefix: string, keep: string): void {
  for (const e of Deno.readDirSync(dir)) {
    if (e.name.startsWith(prefix) && e.name !== keep) {
      try {
        Deno.removeSync(`${dir}/${e.name}`, { recursive: true });
      } catch {
        // Someone else's run may be using it; it goes next time.
      }
    }
  }
}

/** Size and mtime: enough to notice a replaced binary. */
function stamp(path: string): string {
  const info = Deno.statSync(path);
  return `${path} ${info.size} ${info.mtime?.getTime() ?? 0}`;
}

/** `deno`'s arguments that run run-all with `args` in the guest. */
function guestDenoArgs(v8Flags: string, args: readonly string[]): string[] {
  return [
    "run",
    ...(v8Flags === "" ? [] : [`--v8-flags=${v8Flags}`]),
    "--cached-only",
    "--no-prompt",
    "--config",
    `${CHECKOUT}/deno.json`,
    ...RUN_ALL_PERMISSIONS,
    RUN_ALL_SCRIPT,
    ...args,
  ];
}

/** Every file and link under `root`, as archive entries at `prefix`. */
function treeEntries(
  root: string,
  prefix: string,
  skip: (relative: string, name: string) => boolean = () => false,
): CpioEntry[] {
  const entries: CpioEntry[] = [];
  const walk = (relative: string) => {
    const dir = relative === "" ? root : `${root}/${relative}`;
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    for (const name of names) {
      const rel = relative === "" ? name : `${relative}/${name}`;
      if (skip(rel, name)) continue;
      const path = `${root}/${rel}`;
      const info = Deno.lstatSync(path);
      const mtime = Math.floor((info.mtime?.getTime() ?? 0) / 1000);
      const at = `${prefix}/${rel}`;
      if (info.isSymlink) {
        entries.push({
          kind: "symlink",
          path: at,
          target: Deno.readLinkSync(path),
          mtime,
        });
      } else if (info.isDirectory) {
        entries.push({
          kind: "dir",
          path: at,
          mode: (info.mode ?? 0o755) & 0o7777,
          mtime,
        });
        walk(rel);
      } else if (info.isFile) {
        entries.push({
          kind: "file",
          path: at,
          data: Deno.readFileSync(path),
          mode: (info.mode ?? 0o644) & 0o7777,
          mtime,
        });
      }
    }
  };
  walk("");
  return entries;
}

/** Writes an archive to `path` atomically. */
function writeArchive(
  path: string,
  fill: (writer: CpioWriter) => void,
  firstInode = 1,
): number {
  const tmp = `${path}.tmp-${Deno.pid}`;
  const file = Deno.openSync(tmp, {
    write: true,
    create: true,
    truncate: true,
  });
  let size: number;
  try {
    const writer = new CpioWriter(file, firstInode);
    fill(writer);
    writer.finish();
    size = writer.size;
  } catch (e) {
    file.close();
    Deno.removeSync(tmp);
    throw e;
  }
  file.close();
  Deno.renameSync(tmp, path);
  return size;
}

/** The cached archive: everything but the checkout and the run. */
async function ensureBase(
  cacheDir: string,
  kernel: Kernel,
  v8Flags: string,
  log: Log,
): Promise<string> {
  const denoDir = await ensureDenoDir(cacheDir, v8Flags, log);
  const deno = Deno.realPathSync(Deno.execPath());
  const libraries = parseLdd(await output("ldd", [deno]));
  if (!libraries.some((l) => l.includes("ld-linux"))) {
    throw new Error(`ldd ${deno} names no dynamic loader`);
  }
  const busybox = "/bin/busybox";
  const applets = (await output(busybox, ["--list-full"]))
    .split("\n").map((l) => l.trim())
    .filter((l) => l !== "" && !l.endsWith("/busybox"));
  const init = initScript();
  const key = sha256(
    JSON.stringify({
      format: BASE_FORMAT,
      deno: [Deno.version.deno, stamp(deno)],
      libraries: libraries.map(stamp),
      busybox: stamp(busybox),
      kernel: [kernel.packageName, kernel.version, kernel.release],
      denoDir,
      init,
    }),
    readOr(`${CHECKOUT}/deno.lock`),
    readOr(`${CHECKOUT}/deno.json`),
  ).slice(0, 16);
  const path = `${cacheDir}/base-${key}.cpio`;
  if (exists(path)) return path;
  log(`${NAME}: building the guest's initramfs…`);
  const started = performance.now();
  const size = writeArchive(path, (w) => {
    for (const dir of ["proc", "sys", "dev", "root", "run", "var/cache"]) {
      w.add({ kind: "dir", path: dir, mode: 0o755 });
    }
    w.add({ kind: "dir", path: "tmp", mode: 0o1777 });
    const text = (s: string) => new TextEncoder().encode(s);
    w.add({
      kind: "file",
      path: "etc/passwd",
      data: text("root:x:0:0:root:/root:/bin/sh\n"),
    });
    w.add({ kind: "file", path: "etc/group", data: text("root:x:0:\n") });
    w.add({
      kind: "file",
      path: "etc/hosts",
      data: text("127.0.0.1 localhost\n::1 localhost\n"),
    });
    w.add({
      kind: "file",
      path: "bin/busybox",
      data: Deno.readFileSync(busybox),
      mode: 0o755,
    });
    for (const applet of applets) {
      if (!w.has(applet)) {
        w.add({ kind: "symlink", path: applet, target: "/bin/busybox" });
      }
    }
    w.add({
      kind: "file",
      path: GUEST.deno,
      data: Deno.readFileSync(deno),
      mode: 0o755,
    });
    for (const library of libraries) {
      w.add({
        kind: "file",
        path: library,
        data: Deno.readFileSync(Deno.realPathSync(library)),
        mode: 0o755,
      });
    }
    for (const module of kernel.modules) {
      w.add({
        kind: "file",
        path: `${GUEST.modulesDir}/${module}`,
        data: Deno.readFileSync(`${kernel.dir}/${module}`),
      });
    }
    for (const entry of treeEntries(denoDir, GUEST.denoDir)) w.add(entry);
    w.add({ kind: "file", path: "init", data: text(init), mode: 0o755 });
  });
  log(
    `${NAME}: initramfs ${(size / 2 ** 20).toFixed(0)} MiB built in ${
      seconds(performance.now() - started)
    }`,
  );
  removeOthers(cacheDir, "base-", `base-${key}.cpio`);
  return path;
}

/** Top-level folders of the checkout the guest does not get. */
const NOT_COPIED = new Set([".git", ".cache", ".scratch", "results/local"]);

/** Writes the run's own archive: the checkout, the `--out` file, run.env. */
function writeRunArchive(
  path: string,
  run: GuestRun,
  outFile: string | null,
): number {
  return writeArchive(path, (w) => {
    const skip = (rel: string, name: string) =>
      NOT_COPIED.has(rel) || name === "node_modules";
    for (const entry of treeEntries(CHECKOUT, CHECKOUT, skip)) w.add(entry);
    if (outFile !== null && exists(outFile) && !w.has(outFile)) {
      w.add({ kind: "file", path: outFile, data: Deno.readFileSync(outFile) });
    }
    w.add({
      kind: "file",
      path: GUEST.runEnv,
      data: new TextEncoder().encode(runEnv(run)),
    });
  }, 1 << 24);
}

/**
 * Removes what runs left behind when their process was killed (an initrd
 * is as big as the cached archive): `run-*` files older than a run can be.
 */
function sweepRuns(cacheDir: string, runDeadlineMs: number): void {
  const before = Date.now() - runDeadlineMs - 5 * 60_000;
  for (const e of Deno.readDirSync(cacheDir)) {
    if (!e.name.startsWith("run-")) continue;
    try {
      const path = `${cacheDir}/${e.name}`;
      if ((Deno.statSync(path).mtime?.getTime() ?? 0) < before) {
        Deno.removeSync(path);
      }
    } catch {
      // Gone already.
    }
  }
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
  const tmp = `${path}.tmp-${Deno.pid}`;
  Deno.writeFileSync(tmp, data);
  Deno.renameSync(tmp, path);
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

/** Writes all of `bytes` to the host's stdout. */
function toStdout(bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) {
    done += Deno.stdout.writeSync(bytes.subarray(done));
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
  const streamed = child.stdout.pipeTo(
    new WritableStream({ write: (chunk) => toStdout(chunk) }),
  ).catch(() => {});
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
      const kernel = await ensureKernel(cacheDir, log);
      const base = await ensureBase(cacheDir, kernel, v8Flags, log);
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
      writeRunArchive(runArchive, run, out);
      Deno.copyFileSync(base, initrd);
      const file = Deno.openSync(initrd, { append: true });
      try {
        const bytes = Deno.readFileSync(runArchive);
        let done = 0;
        while (done < bytes.length) {
          done += file.writeSync(bytes.subarray(done));
        }
      } finally {
        file.close();
      }
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
