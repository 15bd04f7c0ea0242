/**
 * The kernel the `linux-6.1` stack boots: Debian bookworm's cloud kernel
 * (Linux 6.1), the package `linux-image-cloud-amd64` depends on, at the
 * version apt would install. apt-cache is asked which one that is only
 * when apt's lists changed since it was last asked (as root, after
 * `apt-get update` if it cannot say); the package is fetched once with
 * `apt-get download` and unpacked with `dpkg-deb`, and only its `vmlinuz`
 * and the sock_diag modules the guest's `/init` loads are kept, under
 * `kernels/` in the cache. When apt cannot say, the newest cached kernel
 * is booted.
 *
 * @module
 */

import { isRoot } from "../results/platform_info.ts";
import { GUEST } from "./guest_init.ts";
import { exists, output, stamp } from "./host_tools.ts";
import type { Log } from "./launcher.ts";

/** Debian's package that depends on the current 6.1 cloud kernel. */
const KERNEL_META_PACKAGE = "linux-image-cloud-amd64";

/** A kernel fetched into the cache. */
export interface Kernel {
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
