import assert from "node:assert/strict";
import { EXPERIMENTS } from "../../../experiments/mod.ts";
import { compareResults } from "./compare.ts";
import { platformFiles, readPlatforms } from "../../results/platform_files.ts";
import { renderMarkdown } from "./markdown.ts";
import { buildAnswers } from "../answers.ts";

const INPUTS = new URL("./testdata/inputs", import.meta.url).pathname;

function markdown(): string {
  const results = readPlatforms(platformFiles(INPUTS));
  return renderMarkdown(
    compareResults(results, EXPERIMENTS),
    buildAnswers(results, EXPERIMENTS),
  );
}

Deno.test("renderMarkdown() puts every case under its id with its count of differences", () => {
  const md = markdown();
  const sections = [...md.matchAll(/^#### (.+)\n\n(.+)$/gm)].map((m) => [
    m[1],
    m[2],
  ]);
  assert.deepEqual(sections, [
    [
      "article/linger=off,shutdown=wr",
      "**Differences: 2** (`server.tcp_state.after_shutdown`, the wire).",
    ],
    ["article/linger=0,shutdown=rd", "No differences between platforms."],
    [
      "article/linger=0,shutdown=wr",
      "**Differences: 1** (`client.poll.after_wait`).",
    ],
  ]);
});

Deno.test("renderMarkdown() marks exactly the differing rows", () => {
  const marked = [...markdown().matchAll(/^\| ≠ ([^|]+) \|/gm)].map((m) =>
    m[1]
  );
  assert.deepEqual(marked, [
    "`server.tcp_state.after_shutdown`",
    "wire",
    "`client.poll.after_wait`",
  ]);
});

Deno.test("renderMarkdown() keeps pipes in values inside their cell", () => {
  const md = markdown();
  assert.match(md, /\| \*\*`POLLIN\\\|POLLERR\\\|POLLHUP`\*\* \|/);
  for (const line of md.split("\n").filter((l) => l.startsWith("| `"))) {
    const cells = line.replace(/\\\|/g, "").split("|").length;
    assert.ok([4, 5, 10].includes(cells), line);
  }
});

Deno.test("renderMarkdown() shows only the platforms that have the case", () => {
  const md = markdown();
  const section = md.slice(md.indexOf("#### article/linger=0,shutdown=rd"));
  assert.match(
    section,
    /^No results for this case from `freebsd-amd64`\.\n\n\| observation \| `linux-x86_64` \|$/m,
  );
});

Deno.test("renderMarkdown() explains each case from its steps", () => {
  assert.match(
    markdown(),
    /^Steps: client: send\("PING"\); server: setsockopt\(SO\\_LINGER, \{1, 0\}\), recv\(\) 4 bytes, send\("PONG"\), shutdown\(SHUT\\_WR\), close\(\); client: close\(\) with the peer's data unread\.$/m,
  );
});
