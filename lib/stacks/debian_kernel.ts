/**
 * The kernel the `linux-6.1` stack boots: Debian bookworm's cloud kernel
 * (Linux 6.1), the package `linux-image-cloud-amd64` depends on, at the
 * version apt would install. apt-cache is asked which one that is only
 * when apt's lists changed since it was last asked (as root, after
 * `apt-get update` if it cannot say); the package is fetched once with
 * `apt-get download` and unpacked with `dpkg-deb`, and only its `vmlinuz`
 * and the modules the guest's `/init` loads ({@linkcode MODULE_PATHS}) are
 * kept, under `kernels/` in the cache (the `.deb` is not). A cached kernel
 * that lacks one of those modules (cached before it was added) is
 * unpacked again from a fresh download, and booted as it is if that
 * fails. When apt cannot say, the newest cached kernel is booted.
 *
 * @module
 */

import { isRoot } from "../results/platform_info.ts";
import { GUEST } from "./guest_init.ts";
import { exists, output, stamp } from "./host_tools.ts";
import type { Log } from "./launcher.ts";

/** Debian's package that depends on the current 6.1 cloud kernel. */
const KERNEL_META_PACKAGE = "linux-image-cloud-amd64";

/**
 * Where each module the guest's `/init` loads ({@linkcode GUEST}`.modules`)
 * sits in the kernel package, under `lib/modules/<release>/kernel/`: e.g.
 * `linux-image-6.1.0-57-cloud-amd64` holds
 * `lib/modules/6.1.0-57-cloud-amd64/kernel/drivers/net/veth.ko`. Debian's
 * cloud kernel builds all three as modules (CONFIG_INET_DIAG=m,
 * CONFIG_INET_TCP_DIAG=m, CONFIG_VETH=m); their only dependency is
 * tcp_diag's on inet_diag (the `depends=` of their modinfo), which `/init`
 * loads first.
 */
export const MODULE_PATHS: Record<(typeof GUEST.modules)[number], string> = {
  "inet_diag.ko": "net/ipv4/inet_diag.ko",
  "tcp_diag.ko": "net/ipv4/tcp_diag.ko",
  "veth.ko": "drivers/net/veth.ko",
};

/** A kernel fetched into the cache. */
export interface Kernel {
  /** The Debian package, e.g. `linux-image-6.1.0-56-cloud-amd64`. */
  readonly packageName: string;
  /** Its version, e.g. `6.1.192-2`. */
  readonly version: string;
  /** `uname -r` in the guest, e.g. `6.1.0-56-cloud-amd64`. */
  readonly release: string;
  readonly vmlinuz: string;
  /** The modules kept beside it, by file name (`/init` loads these). */
  readonly modules: readonly string[];
  readonly dir: string;
}

/**
 * The kernel package in `apt-cache depends linux-image-cloud-amd64`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseKernelDepends } from "./debian_kernel.ts";
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

/** `apt-get update`, once per process, and only as root. */
let aptUpdated = false;
async function aptUpdate(log: Log): Promise<boolean> {
  if (aptUpdated || !isRoot()) return false;
  log("apt-get update…");
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

/**
 * The modules `/init` loads that `kernel`'s folder lacks: a kernel cached
 * before a module was added to {@linkcode GUEST}`.modules` lacks it.
 */
export function missingModules(kernel: Kernel): string[] {
  return GUEST.modules.filter((m) =>
    !kernel.modules.includes(m) || !exists(`${kernel.dir}/${m}`)
  );
}

/** The kernel cached in `dir` (by its `kernel.json`), or `null`. */
export function readKernel(dir: string): Kernel | null {
  try {
    const info = JSON.parse(Deno.readTextFileSync(`${dir}/kernel.json`));
    return { ...info, dir, vmlinuz: `${dir}/vmlinuz` } as Kernel;
  } catch {
    return null;
  }
}

/**
 * Downloads and unpacks the kernel package into `dir`, replacing what
 * was there only once the new folder is complete.
 */
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
    log(`downloading ${packageName} ${version}…`);
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
      const path = `lib/modules/${release}/kernel/${MODULE_PATHS[module]}`;
      if (!exists(`${tmp}/x/${path}`)) {
        throw new Error(`${deb.name} holds no ${path}`);
      }
      await Deno.rename(`${tmp}/x/${path}`, `${tmp}/${module}`);
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
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    await Deno.rename(tmp, dir);
    return { ...kernel, dir, vmlinuz: `${dir}/vmlinuz` };
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

/**
 * The kernel to boot: apt's current one (fetched once into
 * `cacheDir/kernels/`), else a cached one. `log` gets progress lines
 * without the stack's name; the launcher adds it.
 */
export async function ensureKernel(
  cacheDir: string,
  log: Log,
): Promise<Kernel> {
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
      `apt-cache cannot resolve ${KERNEL_META_PACKAGE}; ` +
        `using the cached ${cached.packageName} ${cached.version}` +
        lacking(cached),
    );
    return cached;
  }
  const dir = `${kernelsDir}/${wanted.packageName}_${wanted.version}`;
  const kernel = readKernel(dir);
  if (kernel === null || !exists(kernel.vmlinuz)) {
    await Deno.mkdir(kernelsDir, { recursive: true });
    return await fetchKernel(wanted.packageName, wanted.version, dir, log);
  }
  const missing = missingModules(kernel);
  if (missing.length === 0) return kernel;
  log(
    `the cached ${kernel.packageName} ${kernel.version} lacks ` +
      `${missing.join(", ")}; unpacking it again`,
  );
  try {
    return await fetchKernel(wanted.packageName, wanted.version, dir, log);
  } catch (e) {
    log(`cannot unpack it again (${(e as Error).message})${lacking(kernel)}`);
    return kernel;
  }
}

/** `; booting it without veth.ko` when `kernel` lacks modules, else "". */
function lacking(kernel: Kernel): string {
  const missing = missingModules(kernel);
  return missing.length === 0
    ? ""
    : `; booting it without ${missing.join(", ")}`;
}
