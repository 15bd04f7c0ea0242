/**
 * Test helper: headless Chromium as the reader of escoteria's generated
 * pages. Finds the browser (`ESCOTERIA_CHROMIUM`, else `chromium`,
 * `chromium-browser` or `google-chrome` on PATH), opens one page of HTML at
 * a given viewport in a fresh profile, and closes the browser and every
 * process it started, whatever the check does. Puppeteer drives it over a
 * pipe, so no port is opened, and no host resolves, not even an address:
 * neither the page nor Chromium's own services reach past this machine.
 *
 * A page check whose browser is missing is skipped with a warning on a
 * developer's machine, but fails under CI (`CI` set), where `.ci/run`
 * installs Debian's `chromium`.
 *
 * @module
 */

import process from "node:process";
import { pathToFileURL } from "node:url";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import {
  FALLBACK_PATH,
  isExecutableFile,
  readVariable,
  which,
} from "../stacks/process.ts";

export type { Page };

/** The variable naming the browser to run, ahead of PATH. */
export const CHROMIUM_VARIABLE = "ESCOTERIA_CHROMIUM";

/** The names looked for on PATH, in order. */
export const CHROMIUM_NAMES = [
  "chromium",
  "chromium-browser",
  "google-chrome",
] as const;

/** The browser to run, or why there is none. */
export type ChromiumLookup =
  | { readonly executable: string }
  | { readonly missing: string };

/** Size of the page's window in CSS pixels. */
export interface Viewport {
  readonly width: number;
  readonly height: number;
}

/** Deadlines and the browser for {@linkcode withPage}; all optional. */
export interface PageOptions {
  /** The browser to run; {@linkcode findChromium}'s when absent. */
  readonly executable?: string;
  /** From spawning Chromium to a page ready to load, in ms. */
  readonly launchMs?: number;
  /**
   * Loading the page (its `load` event), and each of the check's own page
   * operations (`waitForSelector`, a DevTools call, …), in ms.
   */
  readonly loadMs?: number;
  /** Closing the browser and every process it started, in ms. */
  readonly closeMs?: number;
}

const LAUNCH_MS = 30_000;
const LOAD_MS = 10_000;
const CLOSE_MS = 10_000;

/**
 * The browser to run: `ESCOTERIA_CHROMIUM` when it is set (read only when
 * the env permission is granted; then it alone counts), else the first of
 * {@linkcode CHROMIUM_NAMES} found executable on PATH.
 */
export function findChromium(): ChromiumLookup {
  const chosen = readVariable(CHROMIUM_VARIABLE);
  if (chosen) {
    return isExecutableFile(chosen)
      ? { executable: chosen }
      : { missing: `${CHROMIUM_VARIABLE}=${chosen} is not an executable` };
  }
  for (const name of CHROMIUM_NAMES) {
    const found = which(name);
    if (found !== null) return { executable: found };
  }
  return {
    missing: `none of ${
      CHROMIUM_NAMES.join(", ")
    } is on PATH and ${CHROMIUM_VARIABLE} is not set`,
  };
}

/**
 * The browser for the page checks named by `purpose`, or `null` when there
 * is none: then warns that they are skipped, or throws under CI.
 */
export function requireChromium(purpose: string): string | null {
  const found = findChromium();
  if ("executable" in found) return found.executable;
  const message =
    `chromium is missing (${found.missing}): ${purpose} cannot run`;
  if (readVariable("CI")) {
    throw new Error(
      `${message} (CI requires it: .ci/run installs Debian's chromium)`,
    );
  }
  console.warn(`${message}; skipped`);
  return null;
}

/** Rejects with `what` after `ms` unless `work` settles first. */
async function within<T>(
  ms: number,
  what: string,
  work: Promise<T>,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Sends SIGKILL to process group `group`; gone already is fine. */
function killGroup(group: number): void {
  try {
    process.kill(-group, "SIGKILL");
  } catch (e) {
    if ((e as { code?: unknown }).code !== "ESRCH") throw e;
  }
}

/**
 * The profile's preferences, written before Chromium starts: no DNS probe
 * after a failed name lookup (it asks Google's public DNS about
 * `google.com`, past any resolver rule).
 */
const PREFERENCES = { alternate_error_pages: { enabled: false } };

/**
 * The command line: Puppeteer adds its defaults (`--headless=new`,
 * `--no-first-run`, `--disable-background-networking`, `--disable-sync`,
 * …) and `--remote-debugging-pipe`; these make the quiet explicit.
 */
function chromiumArgs(profile: string): string[] {
  return [
    // Chromium refuses to run as root with its sandbox on.
    ...(Deno.uid() === 0 ? ["--no-sandbox"] : []),
    `--user-data-dir=${profile}`,
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-domain-reliability",
    "--disable-sync",
    "--no-pings",
    // No host resolves, a name or an address (127.0.0.1 too), for the
    // page or for Chromium: nothing leaves the machine.
    "--host-resolver-rules=MAP * ~NOTFOUND",
  ];
}

/**
 * Opens `html` in headless Chromium with a window of `viewport`, runs
 * `check` on the loaded page and returns what it returns. The page is
 * written to a file in a fresh directory and loaded from its `file:` URL
 * up to its `load` event, so it is parsed as the page on disk is when
 * someone opens it. The directory also holds the profile and stands in
 * for Chromium's HOME, config, cache and temporary files, and is removed
 * afterwards.
 *
 * Whatever happens, the browser is closed and its process group killed
 * before this returns; an error of `check` wins over one of closing.
 *
 * @throws {Error} when no browser is found (and none is given), or when
 * launching, loading or closing outlasts its deadline.
 */
export async function withPage<T>(
  html: string,
  viewport: Viewport,
  check: (page: Page) => T | Promise<T>,
  options: PageOptions = {},
): Promise<T> {
  const executable = options.executable ?? chosenChromium();
  const launchMs = options.launchMs ?? LAUNCH_MS;
  const loadMs = options.loadMs ?? LOAD_MS;
  const closeMs = options.closeMs ?? CLOSE_MS;
  const dir = await Deno.makeTempDir({ prefix: "escoteria-browser-" });
  // Aborting kills the browser's process group if it is still running.
  const abort = new AbortController();
  let browser: Browser | undefined;
  let closing: Error | null = null;
  let value: T;
  try {
    const file = `${dir}/page.html`;
    await Deno.writeTextFile(file, html);
    for (const sub of ["home", "config", "cache", "tmp", "profile/Default"]) {
      await Deno.mkdir(`${dir}/${sub}`, { recursive: true });
    }
    await Deno.writeTextFile(
      `${dir}/profile/Default/Preferences`,
      JSON.stringify(PREFERENCES),
    );
    const launching = puppeteer.launch({
      executablePath: executable,
      headless: true,
      pipe: true,
      args: chromiumArgs(`${dir}/profile`),
      // Only what Chromium (and Debian's wrapper script) need.
      env: {
        PATH: readVariable("PATH") || FALLBACK_PATH,
        HOME: `${dir}/home`,
        XDG_CONFIG_HOME: `${dir}/config`,
        XDG_CACHE_HOME: `${dir}/cache`,
        TMPDIR: `${dir}/tmp`,
        LANG: "C.UTF-8",
      },
      defaultViewport: { width: viewport.width, height: viewport.height },
      timeout: launchMs,
      // Every DevTools call, Puppeteer's own ones included, has a deadline.
      protocolTimeout: Math.max(launchMs, loadMs),
      signal: abort.signal,
    });
    // Seen through `within` only: its later failure is not unhandled.
    launching.catch(() => {});
    browser = await within(launchMs, "chromium did not start", launching);
    const page = await browser.newPage();
    page.setDefaultTimeout(loadMs);
    await page.goto(pathToFileURL(file).href, {
      waitUntil: "load",
      timeout: loadMs,
    });
    value = await check(page);
  } finally {
    closing = await shut(browser, abort, closeMs);
    const removing = await removeDir(dir, closeMs);
    closing ??= removing;
  }
  // Reached only when the check succeeded: its error is the one to see.
  if (closing) throw closing;
  return value;
}

/** {@linkcode findChromium}'s browser, or an error saying why there is none. */
function chosenChromium(): string {
  const found = findChromium();
  if ("executable" in found) return found.executable;
  throw new Error(`chromium is missing: ${found.missing}`);
}

/**
 * Closes `browser` (if it started), then kills Chromium's process group
 * (it leads one of its own: zygotes, renderers, GPU and network services)
 * so that nothing outlives the page, and waits for the browser to exit.
 * Returns what went wrong instead of throwing, so that a check's error
 * stays the one reported.
 */
async function shut(
  browser: Browser | undefined,
  abort: AbortController,
  closeMs: number,
): Promise<Error | null> {
  const child = browser?.process() ?? null;
  let problem: Error | null = null;
  const note = (e: unknown) => {
    problem ??= e instanceof Error ? e : new Error(String(e));
  };
  if (browser) {
    await within(closeMs, "chromium did not close", browser.close())
      .catch(note);
  }
  // Puppeteer kills the group of a browser that has not exited (a launch
  // that failed or timed out, a close that did not finish).
  abort.abort();
  if (child?.pid !== undefined) {
    try {
      killGroup(child.pid);
    } catch (e) {
      note(e);
    }
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      await within(closeMs, "chromium did not exit", exited).catch(note);
    }
  }
  return problem;
}

/**
 * Removes `dir` and all in it, trying again while a killed browser may
 * still be writing there; returns the last failure at `ms` instead of
 * throwing.
 */
async function removeDir(dir: string, ms: number): Promise<Error | null> {
  const deadline = performance.now() + ms;
  for (;;) {
    try {
      await Deno.remove(dir, { recursive: true });
      return null;
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return null;
      if (performance.now() >= deadline) {
        return e instanceof Error ? e : new Error(String(e));
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
