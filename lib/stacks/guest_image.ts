/**
 * The `linux-6.1` guest's initramfs. The kernel has no 9p, so nothing is
 * shared with the host: the guest gets everything in its initramfs, two
 * uncompressed cpio archives one after the other. The first is big and
 * cached in the stack's cache folder (by default
 * `.cache/stacks/linux-6.1/`), keyed by a hash of what went into it
 * (busybox, deno and the shared libraries it needs, the kernel's
 * sock_diag and veth modules, a Deno cache filled from `deno.lock`,
 * `/init`); the second is made per run (the checkout, at the same path as
 * on the host, the `--out` file and the run's settings).
 *
 * A new cached archive or Deno cache replaces the one before it; a run's
 * files left behind by a killed process are swept once they are older
 * than a run can be.
 *
 * @module
 */

import type { Kernel } from "./debian_kernel.ts";
import { GUEST, type GuestRun, initScript, runEnv } from "./guest_init.ts";
import { exists, output, seconds, sha256, stamp } from "./host_tools.ts";
import { type CpioEntry, CpioWriter } from "./initramfs.ts";
import {
  CHECKOUT,
  type Log,
  RUN_ALL_SCRIPT,
  runAllDenoArgs,
} from "./launcher.ts";

/** Bumped when the cached archive's layout changes. */
const BASE_FORMAT = 1;

/**
 * The absolute paths of the libraries in `ldd`'s output, loader included.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseLdd } from "./guest_image.ts";
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

/** `deno`'s arguments that run run-all with `args` in the guest. */
export function guestDenoArgs(
  v8Flags: string,
  args: readonly string[],
): string[] {
  return runAllDenoArgs(args, [
    ...(v8Flags === "" ? [] : [`--v8-flags=${v8Flags}`]),
    "--cached-only",
    "--no-prompt",
    "--config",
    `${CHECKOUT}/deno.json`,
  ]);
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
  log("filling a Deno cache for the guest (deno cache)…");
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
  }).catch((e) => log(`no V8 code cache: ${(e as Error).message}`));
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

/**
 * The cached archive: everything but the checkout and the run, built when
 * no archive with the same inputs is in `cacheDir`. `log` gets progress
 * lines without the stack's name; the launcher adds it.
 */
export async function ensureBase(
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
      kernel: [
        kernel.packageName,
        kernel.version,
        kernel.release,
        kernel.modules,
      ],
      denoDir,
      init,
    }),
    readOr(`${CHECKOUT}/deno.lock`),
    readOr(`${CHECKOUT}/deno.json`),
  ).slice(0, 16);
  const path = `${cacheDir}/base-${key}.cpio`;
  if (exists(path)) return path;
  log("building the guest's initramfs…");
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
    `initramfs ${(size / 2 ** 20).toFixed(0)} MiB built in ${
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
 * Writes a run's initrd at `initrd`: the cached archive `base`, then the
 * run's own archive, written first at `runArchive` (the caller removes
 * both files when the run is over).
 */
export function writeInitrd(
  initrd: string,
  base: string,
  runArchive: string,
  run: GuestRun,
  outFile: string | null,
): void {
  writeRunArchive(runArchive, run, outFile);
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
}

/**
 * Removes what runs left behind when their process was killed (an initrd
 * is as big as the cached archive): `run-*` files older than a run can be.
 */
export function sweepRuns(cacheDir: string, runDeadlineMs: number): void {
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
