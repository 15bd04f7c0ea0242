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
    [
      "article/linger=0,shutdown=rd",
      "**Differences: 1** (`client.poll.after_wait`).",
    ],
    [
      "article/linger=0,shutdown=wr",
      "**Differences: 2** (`server.tcp_state.after_shutdown`, `client.poll.after_wait`).",
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
    "`server.tcp_state.after_shutdown`",
    "`client.poll.after_wait`",
  ]);
});

Deno.test("renderMarkdown() keeps pipes in values inside their cell", () => {
  const md = markdown();
  assert.match(md, /\| \*\*`POLLIN\\\|POLLERR\\\|POLLHUP`\*\* \|/);
  // Every row of every table has as many cells as its header.
  const tables = md.split(/\n(?!\|)/).map((block) =>
    block.split("\n").filter((l) => l.startsWith("| "))
  ).filter((rows) => rows.length > 0);
  assert.ok(tables.length >= 6, `${tables.length} tables`);
  for (const rows of tables) {
    const cells = rows.map((l) => l.replace(/\\\|/g, "").split("|").length);
    assert.deepEqual(cells, rows.map(() => cells[0]), rows[0]);
  }
});

Deno.test("renderMarkdown() shows only the platforms that have the case", () => {
  const md = markdown();
  const section = md.slice(md.indexOf("#### article/linger=0,shutdown=rd"));
  assert.match(
    section,
    /^No results for this case from `linux-x86_64-6\.1`, `freebsd-amd64`\.\n\n\| observation \| `linux-x86_64` \(host\) \| `linux-x86_64-gvisor-20221219` \(gvisor\) \|$/m,
  );
});

Deno.test("renderMarkdown() shows every value a platform's trials saw, and what they disagreed on", () => {
  const md = markdown();
  const section = md.slice(
    md.indexOf("#### article/linger=off,shutdown=wr"),
    md.indexOf("#### article/linger=0,shutdown=rd"),
  );
  assert.match(
    section,
    /^\| ≠ `server\.tcp_state\.after_shutdown` \| \*\*`FIN_WAIT1`\*\* \| \*\*`FIN_WAIT1`\*\* \| \*\*`FIN_WAIT1`\*\* \(trial 1\)<br>`FIN_WAIT2` \(trials 2–3\) \| \*\*`FIN_WAIT2`\*\* \|$/m,
  );
  assert.match(section, /\(trial 1\)<br>`→S ←S\. [^`]+` \(trials 2–3\) \|/);
  assert.match(
    section,
    /^\| trials \| 3 trials agree \| 3 trials agree \| \*\*trials disagree: server\.tcp\\_state\.after\\_shutdown, wire\*\* \| 3 trials agree \|$/m,
  );
  // The experiment's matrix has a trials column for that platform only.
  assert.equal(
    md.match(/<br>trials \|/g)?.length,
    1,
  );
  assert.match(md, /\| \*\*disagree: 1 key, wire\*\* \|/);
});

Deno.test("renderMarkdown() opens with what differs between stacks and names each platform's stack", () => {
  const md = markdown();
  const headings = [...md.matchAll(/^### (.+)$/gm)].map((m) => m[1]);
  assert.deepEqual(headings.slice(0, 2), [
    "What differs between stacks?",
    "Does getpeername() (the article's connected()) tell you anything?",
  ]);
  assert.match(
    md,
    /^- `linux-x86_64-gvisor-20221219` \(gvisor\): 3 of 3 cases both ran differ from linux-x86\\_64 \(host\) in observations, 2 on the wire; 0 identical\.$/m,
  );
  assert.match(
    md,
    /^\| `linux-x86_64-6\.1` \| linux-6\.1: Linux 6\.1\.0-test, in QEMU 7\.2\.15 \(TCG\), 2 vCPUs; POLLRDHUP: yes \| Linux \|/m,
  );
});

Deno.test("renderMarkdown() explains each case from its steps", () => {
  assert.match(
    markdown(),
    /^Steps: client: send\("PING"\); server: setsockopt\(SO\\_LINGER, \{1, 0\}\), recv\(\) 4 bytes, send\("PONG"\), shutdown\(SHUT\\_WR\), close\(\); client: close\(\) with the peer's data unread\.$/m,
  );
});
