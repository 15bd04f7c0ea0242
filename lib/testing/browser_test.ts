// Smoke tests of the headless-browser helper: it finds the browser as
// documented, a page is laid out at the viewport asked for (so a check of
// sideways scrolling can fail), the page reaches no host, and no browser
// process outlives withPage(), as `ps` sees it, whether the check throws
// or the browser never starts.
import assert from "node:assert/strict";
import {
  CHROMIUM_VARIABLE,
  findChromium,
  requireChromium,
  type Viewport,
  withPage,
} from "./browser.ts";
import { requireTool } from "./tools.ts";

const chromium = requireChromium("the headless-browser smoke tests");
const ps = requireTool(
  "ps",
  ["--version"],
  "the check that no browser process is left running",
);

const PHONE: Viewport = { width: 400, height: 800 };

const NARROW = `<!doctype html>
<meta charset="utf-8">
<title>narrow</title>
<p>Fits in any window.</p>`;

const WIDE = `<!doctype html>
<meta charset="utf-8">
<title>wide</title>
<div style="width: 1000px; height: 10px; background: black"></div>`;

// The page's globals that measure() reads; it runs in the browser.
declare const document: { documentElement: { scrollWidth: number } };
declare const innerWidth: number;
declare const innerHeight: number;

/** What the page reports of its window and its widest extent. */
function measure() {
  return {
    innerWidth,
    innerHeight,
    scrollWidth: document.documentElement.scrollWidth,
  };
}

/** A process as `ps` lists it. */
interface Running {
  readonly pid: number;
  readonly pgid: number;
  readonly args: string;
}

/** The processes running now, zombies aside, as `ps` lists them. */
function running(): Running[] {
  const out = new Deno.Command("ps", {
    args: ["-e", "-o", "pid=,pgid=,stat=,args="],
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).split("\n").flatMap((line) => {
    const m = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line);
    if (!m || m[3]!.startsWith("Z")) return [];
    return [{ pid: Number(m[1]), pgid: Number(m[2]), args: m[4]! }];
  });
}

/**
 * Asserts that no running process is `ours`. The kernel may take a moment
 * to finish a killed process, so it looks again for up to a second.
 */
async function assertNoneLeft(ours: (p: Running) => boolean): Promise<void> {
  const deadline = performance.now() + 1000;
  for (;;) {
    const left = running().filter(ours);
    if (left.length === 0) return;
    if (performance.now() >= deadline) {
      assert.fail(
        `still running after withPage():\n${
          left.map((p) => `${p.pid} ${p.args.slice(0, 160)}`).join("\n")
        }`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Runs `fn` with environment variables set (or unset), then restores them. */
function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T): T {
  const saved = Object.keys(vars).map((name) => [name, Deno.env.get(name)]);
  const put = (name: string, value: string | undefined) =>
    value === undefined ? Deno.env.delete(name) : Deno.env.set(name, value);
  try {
    for (const [name, value] of Object.entries(vars)) put(name, value);
    return fn();
  } finally {
    for (const [name, value] of saved) put(name!, value);
  }
}

Deno.test("findChromium() takes ESCOTERIA_CHROMIUM before PATH, and says when it is no executable", () => {
  const dir = Deno.makeTempDirSync({ prefix: "escoteria-browser-test-" });
  try {
    const chosen = `${dir}/my-chromium`;
    Deno.writeTextFileSync(chosen, "#!/bin/sh\n");
    Deno.mkdirSync(`${dir}/bin`);
    Deno.writeTextFileSync(`${dir}/bin/chromium`, "#!/bin/sh\n");
    Deno.chmodSync(`${dir}/bin/chromium`, 0o755);
    const path = `${dir}/bin`;

    const notExecutable = withEnv(
      { [CHROMIUM_VARIABLE]: chosen, PATH: path },
      findChromium,
    );
    assert.deepEqual(notExecutable, {
      missing: `${CHROMIUM_VARIABLE}=${chosen} is not an executable`,
    });

    Deno.chmodSync(chosen, 0o755);
    assert.deepEqual(
      withEnv({ [CHROMIUM_VARIABLE]: chosen, PATH: path }, findChromium),
      { executable: chosen },
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("findChromium() prefers chromium, then chromium-browser, then google-chrome, wherever each is on PATH", () => {
  const dir = Deno.makeTempDirSync({ prefix: "escoteria-browser-test-" });
  try {
    const put = (sub: string, name: string, mode: number) => {
      Deno.mkdirSync(`${dir}/${sub}`, { recursive: true });
      Deno.writeTextFileSync(`${dir}/${sub}/${name}`, "#!/bin/sh\n");
      Deno.chmodSync(`${dir}/${sub}/${name}`, mode);
    };
    put("a", "google-chrome", 0o755);
    put("b", "chromium-browser", 0o755);
    put("c", "chromium", 0o644); // not executable: passed over
    const path = `${dir}/a:${dir}/b:${dir}/c`;
    const lookup = (p: string) =>
      withEnv({ [CHROMIUM_VARIABLE]: undefined, PATH: p }, findChromium);

    assert.deepEqual(lookup(path), {
      executable: `${dir}/b/chromium-browser`,
    });
    Deno.chmodSync(`${dir}/c/chromium`, 0o755);
    assert.deepEqual(lookup(path), { executable: `${dir}/c/chromium` });
    assert.deepEqual(lookup(`${dir}/a`), {
      executable: `${dir}/a/google-chrome`,
    });
    const none = lookup(`${dir}/empty`);
    assert.ok("missing" in none && none.missing.includes("PATH"));
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test({
  name: "a narrow page fits a 400x800 window: nothing scrolls sideways",
  ignore: chromium === null,
  fn: async () => {
    const seen = await withPage(
      NARROW,
      PHONE,
      (page) => page.evaluate(measure),
    );
    assert.equal(seen.innerWidth, 400);
    assert.equal(seen.innerHeight, 800);
    assert.ok(seen.scrollWidth <= 400, `scrollWidth ${seen.scrollWidth}`);
  },
});

Deno.test({
  name:
    "a 1000px-wide element makes a page scroll sideways in a 400x800 window",
  ignore: chromium === null,
  fn: async () => {
    const seen = await withPage(WIDE, PHONE, (page) => page.evaluate(measure));
    assert.equal(seen.innerWidth, 400);
    assert.ok(seen.scrollWidth >= 1000, `scrollWidth ${seen.scrollWidth}`);
  },
});

Deno.test({
  name: "a page reaches no host: not even 127.0.0.1 resolves",
  ignore: chromium === null,
  fn: async () => {
    const error = await withPage(NARROW, PHONE, async (page) => {
      try {
        await page.goto("http://127.0.0.1:39999/");
        return "loaded";
      } catch (e) {
        return String(e);
      }
    });
    assert.match(error, /net::ERR_NAME_NOT_RESOLVED/);
  },
});

Deno.test({
  name:
    "no browser process is left running after withPage(), even when the check throws",
  ignore: chromium === null || ps === null,
  fn: async () => {
    let dir = "";
    let group = 0;
    await assert.rejects(
      withPage(NARROW, PHONE, (page) => {
        // Every Chromium process names the page's directory (its profile)
        // and is in the browser's process group.
        dir = new URL(".", page.url()).pathname;
        group = page.browser().process()?.pid ?? 0;
        const seen = running().filter((p) => p.args.includes(dir));
        // The observer sees the browser while it runs: its silence after
        // is evidence, not blindness.
        assert.ok(seen.some((p) => p.pid === group), `ps misses ${group}`);
        assert.ok(seen.length > 1, "ps sees no renderer or zygote");
        throw new Error("the check fails on purpose");
      }),
      /the check fails on purpose/,
    );
    assert.match(dir, /\/escoteria-browser-[^/]+\/$/);
    await assertNoneLeft((p) => p.pgid === group || p.args.includes(dir));
    assert.throws(() => Deno.statSync(dir), Deno.errors.NotFound);
  },
});

Deno.test({
  name:
    "withPage() gives up on a browser that does not start by the launch deadline, and kills it",
  ignore: ps === null,
  fn: async () => {
    const dir = Deno.makeTempDirSync({ prefix: "escoteria-browser-test-" });
    try {
      // Starts (and says its pid, its group's id), then never speaks the
      // DevTools protocol.
      const silent = `${dir}/silent-browser`;
      Deno.writeTextFileSync(
        silent,
        `#!/bin/sh\necho $$ > ${dir}/pid\nwhile :; do sleep 1; done\n`,
      );
      Deno.chmodSync(silent, 0o755);
      const started = performance.now();
      await assert.rejects(
        withPage(NARROW, PHONE, () => {}, {
          executable: silent,
          launchMs: 1000,
        }),
        /chromium did not start within 1000 ms/,
      );
      const took = performance.now() - started;
      assert.ok(took < 6000, `gave up after ${took.toFixed(0)} ms`);
      const group = Number(Deno.readTextFileSync(`${dir}/pid`));
      assert.ok(group > 0);
      await assertNoneLeft((p) => p.pgid === group || p.args.includes(silent));
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});
