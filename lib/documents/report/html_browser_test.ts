// The report.html of results/ as people see it (rendered from the platform
// files there, as `deno task report` writes it; lib/cli/report_test.ts
// checks the committed file is that page), and pages of several stacks:
// opened in headless Chromium at a laptop's 1400 × 1000 and a phone's
// 400 × 900. The answers are on the first screen, the table of contents
// leads somewhere, the page never scrolls sideways (wide tables scroll in
// their own box), an anchored heading is not hidden under the sticky
// filter bar, an empty filter says so, the engine's cleanup is drawn as
// cleanup, and stacks come first, host first.
import assert from "node:assert/strict";
import { EXPERIMENTS } from "../../../experiments/mod.ts";
import { readResults, type Results } from "../../results/format.ts";
import { platformFiles, readPlatforms } from "../../results/platform_files.ts";
import { type Page, requireChromium, withPage } from "../../testing/browser.ts";
import { buildAnswers } from "../answers.ts";
import { compareResults } from "./compare.ts";
import { renderHtml } from "./html.ts";

const chromium = requireChromium("the report.html checks");

function page(results: readonly Results[]): string {
  return renderHtml(
    compareResults(results, EXPERIMENTS),
    buildAnswers(results, EXPERIMENTS),
  );
}

const RESULTS = new URL("../../../results/", import.meta.url).pathname;
const html = page(readPlatforms(platformFiles(RESULTS)));

// The page's globals; the functions below run in the browser.
declare const document: {
  documentElement: { scrollWidth: number };
  querySelector(s: string): BrowserElement | null;
  querySelectorAll(s: string): ArrayLike<BrowserElement>;
  getElementById(id: string): BrowserElement | null;
};
declare const location: { hash: string };
interface BrowserElement {
  open: boolean;
  hidden: boolean;
  value: string;
  checked: boolean;
  textContent: string | null;
  getAttribute(name: string): string | null;
  getBoundingClientRect(): { top: number; bottom: number };
  querySelectorAll(s: string): ArrayLike<BrowserElement>;
  querySelector(s: string): BrowserElement | null;
  nextElementSibling: BrowserElement | null;
  tagName: string;
  dispatchEvent(event: unknown): boolean;
}
declare const Event: new (type: string) => unknown;

/** Follows the anchor of case section `id` and waits until it is open. */
async function openCase(page: Page, id: string): Promise<void> {
  await page.evaluate((id: string) => {
    location.hash = id;
  }, id);
  await page.waitForFunction(
    (id: string) => document.getElementById(id)?.open === true,
    {},
    id,
  );
}

Deno.test({
  name:
    "report.html leads with an answer on its first screen, and answers how the peer finds out",
  ignore: chromium === null,
  fn: () =>
    withPage(html, { width: 1400, height: 1000 }, async (page) => {
      const seen = await page.evaluate(() => {
        const answers = document.querySelector("section.answers");
        const lead = answers?.querySelector("h3");
        const leadRow = answers?.querySelector("table tbody tr");
        // The table that follows the find-out heading.
        const heading = document.querySelector("#answer-find-out");
        let next = heading?.nextElementSibling ?? null;
        while (next !== null && next.querySelector("table") === null) {
          if (next.tagName === "H3") next = null;
          else next = next.nextElementSibling;
        }
        const row = next?.querySelectorAll("table tbody tr")[0];
        return {
          lead: lead?.textContent ?? "",
          leadTop: lead?.getBoundingClientRect().top ?? Infinity,
          leadRowBottom: leadRow?.getBoundingClientRect().bottom ?? Infinity,
          heading: heading?.textContent ?? "",
          firstCell: row?.textContent ?? "",
        };
      });
      assert.match(seen.lead, /\?$/, "the first answer is a question");
      assert.ok(seen.leadTop < 1000, `first answer at ${seen.leadTop}`);
      assert.ok(
        seen.leadRowBottom < 1000,
        `first answer row ends at ${seen.leadRowBottom}`,
      );
      assert.match(seen.heading, /How does the peer find out/);
      assert.match(seen.firstCell, /FIN|RST/);
    }, { executable: chromium! }),
});

Deno.test({
  name:
    "report.html has a table of contents whose every link lands on something",
  ignore: chromium === null,
  fn: () =>
    withPage(html, { width: 1400, height: 1000 }, async (page) => {
      const links = await page.evaluate(() => {
        const out: { href: string; found: boolean }[] = [];
        const all = document.querySelectorAll("a[href^='#']");
        for (let i = 0; i < all.length; i++) {
          const href = all[i]!.getAttribute("href")!;
          out.push({
            href,
            found: document.getElementById(href.slice(1)) !== null,
          });
        }
        return {
          toc: document.querySelectorAll("nav.toc a").length,
          links: out,
        };
      });
      assert.ok(links.toc >= 5, `${links.toc} links in the contents`);
      const broken = links.links.filter((l) => !l.found).map((l) => l.href);
      assert.deepEqual(broken, []);
      assert.ok(links.links.length > links.toc, "answers link to cases");
    }, { executable: chromium! }),
});

Deno.test({
  name:
    "report.html never scrolls sideways at 400 px, even with every case open",
  ignore: chromium === null,
  fn: () =>
    withPage(html, { width: 400, height: 900 }, async (page) => {
      const closed = await page.evaluate(() =>
        document.documentElement.scrollWidth
      );
      assert.ok(closed <= 400, `page is ${closed} px wide`);
      const open = await page.evaluate(() => {
        const all = document.querySelectorAll("details");
        for (let i = 0; i < all.length; i++) all[i]!.open = true;
        return document.documentElement.scrollWidth;
      });
      assert.ok(open <= 400, `page with every case open is ${open} px wide`);
    }, { executable: chromium! }),
});

Deno.test({
  name:
    "report.html opens an anchored case below the sticky filter bar, and draws its cleanup as cleanup",
  ignore: chromium === null,
  fn: () =>
    withPage(html, { width: 1400, height: 1000 }, async (page) => {
      // A case that leaves the actor's socket open: the engine closes it.
      const id =
        "case-teardown-actor-client-close-no-linger-off-shutdown-wr-unread-none";
      await openCase(page, id);
      const seen = await page.evaluate((id: string) => {
        const target = document.getElementById(id)!;
        const bar = document.getElementById("filters")!;
        return {
          top: target.getBoundingClientRect().top,
          barBottom: bar.getBoundingClientRect().bottom,
          cleanup: target.querySelectorAll("svg g.cleanup").length,
          line: target.querySelectorAll("svg g.cleanup-line").length,
          checkpoints: target.querySelectorAll("svg g.checkpoint").length,
        };
      }, id);
      assert.ok(
        seen.top >= seen.barBottom - 1,
        `heading at ${seen.top} is under the bar ending at ${seen.barBottom}`,
      );
      assert.ok(seen.line > 0, "no cleanup line in the ladder");
      assert.ok(seen.cleanup > 0, "no segment drawn as cleanup");
      assert.ok(seen.checkpoints >= 5, "checkpoints are not on the ladder");
    }, { executable: chromium! }),
});

/** The committed host and Linux 6.1 files: two stacks that agree. */
const agreeing = () => {
  const runs = readPlatforms(platformFiles(RESULTS)).filter((r) =>
    r.platform.stack?.kind === "linux"
  );
  assert.ok(runs.length >= 2, "two committed Linux kernels");
  return page(runs);
};

Deno.test({
  name: "report.html says so when the filter leaves no case",
  ignore: chromium === null,
  fn: () =>
    withPage(agreeing(), { width: 1400, height: 1000 }, async (page) => {
      const before = await page.evaluate(() =>
        document.getElementById("f-empty")!.hidden
      );
      assert.equal(before, true);
      // Filter to an experiment no platform differs on, differences only.
      const empty = await page.evaluate(() => {
        const select = document.getElementById("f-experiment")!;
        const box = document.getElementById("f-differences")!;
        const sections = document.querySelectorAll("section.experiment");
        for (let i = 0; i < sections.length; i++) {
          const s = sections[i]!;
          const name = s.getAttribute("data-experiment")!;
          const differing = s.querySelectorAll(
            "details.case:not([data-differences='0'])",
          ).length;
          if (differing === 0) {
            select.value = name;
            select.dispatchEvent(new Event("change"));
            box.checked = true;
            box.dispatchEvent(new Event("change"));
            return {
              name,
              shown: !document.getElementById("f-empty")!.hidden,
            };
          }
        }
        return { name: "", shown: false };
      });
      assert.notEqual(empty.name, "", "every experiment has a difference");
      assert.equal(empty.shown, true, `no message for ${empty.name}`);
    }, { executable: chromium! }),
});

Deno.test({
  name:
    "report.html with four platforms stays within the window at 1400 and 400 px, stacks first",
  ignore: chromium === null,
  fn: async () => {
    const linux = readResults(`${RESULTS}/linux-x86_64-6.18.json`);
    const copy = (id: string, stack?: "linux-6.1" | "gvisor") => {
      const r = structuredClone(linux);
      r.platform.id = id;
      if (stack) {
        r.platform.stack = {
          name: stack,
          kind: stack === "gvisor" ? "gvisor" : "linux",
          version: "1",
          ran: "somewhere",
        };
      } else delete r.platform.stack;
      return r;
    };
    const platforms = [
      copy("linux-x86_64-d"),
      copy("linux-x86_64-gvisor-20221219", "gvisor"),
      linux,
      copy("linux-x86_64-6.1", "linux-6.1"),
    ];
    const html = page(platforms);
    for (const width of [1400, 400]) {
      await withPage(html, { width, height: 1000 }, async (p) => {
        const seen = await p.evaluate(() => {
          const all = document.querySelectorAll("details");
          for (let i = 0; i < all.length; i++) all[i]!.open = true;
          // The column headings of the table under answer `id`, if any.
          const heads = (id: string) => {
            let el = document.getElementById(id)?.nextElementSibling ?? null;
            while (el && el.tagName !== "H3" && !el.querySelector("table")) {
              el = el.nextElementSibling;
            }
            const table = el?.tagName === "H3"
              ? null
              : el?.querySelector("table");
            const ths = table?.querySelectorAll("thead th") ?? [];
            const out: string[] = [];
            for (let i = 0; i < ths.length; i++) {
              out.push(ths[i]!.textContent ?? "");
            }
            return out;
          };
          return {
            scrollWidth: document.documentElement.scrollWidth,
            stacks: heads("answer-stacks"),
            findOut: heads("answer-find-out"),
          };
        });
        assert.ok(seen.scrollWidth <= width, `${seen.scrollWidth} > ${width}`);
        // Every platform is a column, stacks first (host first), each
        // headed by its id and stack; the stacks answer compares the rest
        // of Linux with the host.
        assert.deepEqual(seen.findOut, [
          "teardown",
          "linux-x86_64-6.18host",
          "linux-x86_64-6.1linux-6.1",
          "linux-x86_64-gvisor-20221219gvisor",
          "linux-x86_64-d",
        ]);
        assert.deepEqual(seen.stacks, []); // identical: no table
      }, { executable: chromium! });
    }
  },
});

Deno.test({
  name:
    "report.html of several stacks says what differs between them on its first screen, and fits at 400 px",
  ignore: chromium === null,
  fn: async () => {
    const inputs = new URL("./testdata/inputs", import.meta.url).pathname;
    const html = page(readPlatforms(platformFiles(inputs)));
    await withPage(html, { width: 1400, height: 1000 }, async (p) => {
      const first = await p.evaluate(() => {
        const heading = document.querySelector("section.answers h3");
        const row = document.querySelector(
          "#answer-stacks ~ div.scroll tbody tr",
        );
        return {
          id: heading?.getAttribute("id") ?? "",
          headingTop: heading?.getBoundingClientRect().top ?? Infinity,
          rowBottom: row?.getBoundingClientRect().bottom ?? Infinity,
          row: row?.textContent ?? "",
        };
      });
      assert.equal(first.id, "answer-stacks");
      assert.ok(first.rowBottom < 1000, `first row ends at ${first.rowBottom}`);
      assert.match(first.row, /^article: .*identical.*stopped: /);
    }, { executable: chromium! });
    await withPage(html, { width: 400, height: 900 }, async (p) => {
      const width = await p.evaluate(() => {
        const all = document.querySelectorAll("details");
        for (let i = 0; i < all.length; i++) all[i]!.open = true;
        return document.documentElement.scrollWidth;
      });
      assert.ok(width <= 400, `page with every case open is ${width} px wide`);
    }, { executable: chromium! });
  },
});

Deno.test({
  name:
    "report.html ladders show the kernel's transitions beside the lifelines and the RST's reason, no text over another or cut off",
  ignore: chromium === null,
  fn: () =>
    withPage(html, { width: 1400, height: 1000 }, async (page) => {
      const id = "case-article-linger-off-shutdown-wr";
      await openCase(page, id);
      const seen = await page.evaluate((id: string) => {
        // The first ladder is the host's, traced.
        const svg = document.getElementById(id)!.querySelector("svg.ladder")!;
        const texts = (s: string) =>
          Array.from(svg.querySelectorAll(s)).map((t) => t.textContent);
        return {
          transitions: texts("text.transition"),
          reasons: texts("text.reason"),
        };
      }, id);
      assert.ok(
        seen.transitions.some((t) => t?.startsWith("CLOSE_WAIT ")),
        seen.transitions.join(", "),
      );
      assert.deepEqual(seen.reasons, ["reason: TCP_ABORT_ON_CLOSE"]);
      // Every ladder of every case, opened.
      const all = await page.evaluate(() => {
        for (const d of Array.from(document.querySelectorAll("details"))) {
          d.open = true;
        }
        const bad: string[] = [];
        let ladders = 0;
        for (
          const svg of Array.from(
            document.querySelectorAll("svg.ladder"),
          ) as unknown as {
            querySelectorAll(s: string): ArrayLike<{
              textContent: string | null;
              getBBox(): {
                x: number;
                y: number;
                width: number;
                height: number;
              };
            }>;
            querySelector(s: string): { textContent: string | null } | null;
            viewBox: { baseVal: { width: number } };
          }[]
        ) {
          ladders++;
          const texts = Array.from(svg.querySelectorAll("text")).map((t) => ({
            text: t.textContent ?? "",
            box: t.getBBox(),
          }));
          const width = svg.viewBox.baseVal.width;
          texts.forEach((a, i) => {
            if (a.box.x < 0 || a.box.x + a.box.width > width) {
              bad.push(`cut: ${a.text}`);
            }
            texts.slice(i + 1).forEach((b) => {
              const apart = a.box.x + a.box.width <= b.box.x ||
                b.box.x + b.box.width <= a.box.x ||
                a.box.y + a.box.height <= b.box.y ||
                b.box.y + b.box.height <= a.box.y;
              if (!apart) {
                bad.push(
                  `${
                    svg.querySelector("title")?.textContent
                  }: ${a.text} / ${b.text}`,
                );
              }
            });
          });
        }
        return { ladders, bad };
      });
      assert.ok(all.ladders > 300, `${all.ladders} ladders`);
      assert.deepEqual(all.bad.slice(0, 5), [], `${all.bad.length} overlaps`);
    }, { executable: chromium! }),
});
