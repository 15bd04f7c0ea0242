// The committed Markdown documents as people read them: the answer to "how
// does the peer find out?" within the first 80 lines, as a table; every
// link inside and between them lands on an anchor that exists; the
// engine's cleanup is marked wherever a wire is written out.
import assert from "node:assert/strict";

const RESULTS = new URL("../../results/", import.meta.url);
const read = (name: string) => Deno.readTextFileSync(new URL(name, RESULTS));

/** The anchors a Markdown file defines with `<a id="…">`. */
function anchors(text: string): Set<string> {
  return new Set(
    [...text.matchAll(/<a id="([^"]+)"><\/a>/g)].map((m) => m[1]!),
  );
}

for (const name of ["REPORT.md", "MATRIX.md"]) {
  Deno.test(`${name} answers how the peer finds out with a table in its first 80 lines`, () => {
    const lines = read(name).split("\n").slice(0, 80);
    const heading = lines.findIndex((l) =>
      /^### How does the peer find out/.test(l)
    );
    assert.ok(heading >= 0, "no such heading in the first 80 lines");
    const table = lines.findIndex((l, i) => i > heading && l.startsWith("| "));
    assert.ok(table > heading, "no table under it in the first 80 lines");
    const rows = lines.slice(table + 2).filter((l) => l.startsWith("| "));
    assert.ok(rows.length > 0, "the table has no row in the first 80 lines");
    assert.match(rows[0]!, /\[(FIN|RST)[^\]]*\]\(/);
  });
}

Deno.test("every link in REPORT.md and MATRIX.md lands on an anchor that exists", () => {
  const report = read("REPORT.md");
  const matrix = read("MATRIX.md");
  const targets = { "": anchors(report), "REPORT.md": anchors(report) };
  const broken: string[] = [];
  for (
    const [name, text, own] of [
      ["REPORT.md", report, anchors(report)],
      ["MATRIX.md", matrix, anchors(matrix)],
    ] as const
  ) {
    for (const m of text.matchAll(/\]\(([^)#]*)#([^)]+)\)/g)) {
      const [file, anchor] = [m[1]!, m[2]!];
      const set = file === "" ? own : targets[file as "REPORT.md"];
      if (!set?.has(anchor)) broken.push(`${name}: ${file}#${anchor}`);
    }
  }
  assert.deepEqual(broken, []);
  assert.ok(anchors(report).size > 100, "REPORT.md has no case anchors");
});

Deno.test("REPORT.md marks the engine's cleanup in the wire of a case that left a socket open", () => {
  const report = read("REPORT.md");
  const section = report.slice(
    report.indexOf(
      "#### teardown/actor=client,close=no,linger=off,shutdown=wr,unread=none",
    ),
  );
  const wire = /^\| wire \| `([^`]+)`/m.exec(section)?.[1] ?? "";
  assert.match(wire, / · cleanup: /);
  // The cleanup closes the actor's socket: its FIN or RST comes after.
  assert.match(wire.split(" · cleanup: ")[1]!, /→[FR]/);
});
