/**
 * Debian packages a stack needs: found by the program each one installs,
 * installed with apt-get when escoteria runs as root, and otherwise named in
 * the one line that says why the stack cannot run here.
 *
 * @module
 */

import { isRoot } from "../results/platform_info.ts";
import { lastLine } from "./host_tools.ts";
import type { Log } from "./launcher.ts";
import { isExecutableFile, runBounded, which } from "./process.ts";

/** A package, and the program whose presence shows it is installed. */
export interface DebianPackage {
  readonly name: string;
  /** A program on PATH, or an absolute path, that the package installs. */
  readonly provides: string;
}

/** apt-get gets this long to fetch and install (it downloads). */
const INSTALL_DEADLINE_MS = 10 * 60_000;

function present(p: DebianPackage): boolean {
  return p.provides.startsWith("/")
    ? isExecutableFile(p.provides)
    : which(p.provides) !== null;
}

/**
 * Makes sure `packages` are installed; resolves to `null` when they are,
 * else the reason they are not (`runsc is not installed (Debian package
 * runsc); run as root to have it installed`).
 */
export async function ensurePackages(
  packages: readonly DebianPackage[],
  log: Log,
): Promise<string | null> {
  const missing = packages.filter((p) => !present(p));
  if (missing.length === 0) return null;
  const names = missing.map((p) => p.name).join(" ");
  const what = `${missing.map((p) => p.provides).join(", ")} ${
    missing.length === 1 ? "is" : "are"
  } not installed (Debian: ${names})`;
  if (!isRoot()) return `${what}; run as root to have escoteria install it`;
  if (which("apt-get") === null) return `${what}, and there is no apt-get`;
  log(`installing ${names} with apt-get…`);
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  for (
    const args of [["update", "-qq"], [
      "install",
      "-y",
      "-qq",
      ...missing
        .map((p) => p.name),
    ]]
  ) {
    const out = await runBounded("apt-get", {
      args,
      deadlineMs: INSTALL_DEADLINE_MS,
      env,
    });
    if (out.code !== 0) {
      return `${what}; apt-get ${args[0]} failed${
        out.killedAfterMs ? " (timed out)" : ""
      }: ${lastLine(out.stderr)}`;
    }
  }
  const still = missing.filter((p) => !present(p));
  return still.length === 0
    ? null
    : `${what}; apt-get installed ${names} but ${
      still.map((p) => p.provides).join(", ")
    } is still missing`;
}
