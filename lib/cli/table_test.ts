import assert from "node:assert/strict";
import {
  DEFAULT_TABLE_WIDTH,
  outputWidth,
  renderFittedTable,
  renderTable,
} from "./table.ts";

/** A table to fit: its header and rows. */
interface Shape {
  readonly header: string[];
  readonly rows: string[][];
}

/** Cells made of `r<row>c<column>` and filler, without spaces. */
function shape(
  header: string[],
  rowCount: number,
  cellLength: (row: number, column: number) => number,
): Shape {
  const filler = "abcdefgh|ijk,lmn.opq_rst=uvw-xyz/";
  const rows = Array.from({ length: rowCount }, (_, r) =>
    header.map((_, c) => {
      const id = `r${r}c${c}`;
      const length = Math.max(cellLength(r, c) - id.length, 0);
      return id + filler.repeat(Math.ceil(length / filler.length) + 1)
        .slice((r * 7 + c * 3) % filler.length).slice(0, length);
    }));
  return { header, rows };
}

const RUN_ALL_HEADER = [
  "case",
  "server.linger.before",
  "server.linger.after",
  "server.connected.before_read",
  "server.connected.after_shutdown",
  "client.connected.after_wait",
  "client.poll.after_wait",
  "stable",
];

const SHAPES: [string, Shape][] = [
  [
    "run-all's shape",
    shape(RUN_ALL_HEADER, 12, (r, c) => [32, 4, 4, 1, 1, 1, 31, 3][c]! + r % 3),
  ],
  [
    "one very long cell",
    shape(["id", "a", "b", "c"], 3, (r, c) => r === 1 && c === 2 ? 300 : 8),
  ],
  [
    "many narrow columns",
    shape(Array.from({ length: 30 }, (_, i) => `k${i}`), 5, () => 5),
  ],
  [
    "key columns wider than half the width",
    shape(
      ["a-long-key", "another-key", "x", "y", "z"],
      4,
      (_, c) => c < 2 ? 70 : 12,
    ),
  ],
  [
    "headers longer than every cell",
    shape(
      ["id", ...Array.from({ length: 6 }, (_, i) => `header_${i}_`.repeat(9))],
      3,
      () => 4,
    ),
  ],
  ["a table that fits", shape(["id", "a", "b"], 2, () => 5)],
];

/** Code points of `text`, as the table counts them. */
function chars(text: string): string[] {
  return [...text];
}

/**
 * The stacked tables of `text`, each as its columns: header and body, the
 * text of every line of a column joined (the cells hold no spaces).
 */
function parse(text: string): { header: string; body: string }[][] {
  return text.split("\n\n").map((band) => {
    const lines = band.split("\n");
    const ruleAt = lines.findIndex((l) => /^[- ]+$/.test(l));
    assert.ok(ruleAt > 0, `no rule under a header:\n${band}`);
    const columns = [...lines[ruleAt]!.matchAll(/-+/g)].map((m) => ({
      start: chars(lines[ruleAt]!.slice(0, m.index)).length,
      width: m[0].length,
    }));
    const read = (ls: string[], start: number, width: number) =>
      ls.map((l) => chars(l).slice(start, start + width).join("").trimEnd())
        .join("");
    return columns.map(({ start, width }) => ({
      header: read(lines.slice(0, ruleAt), start, width),
      body: read(lines.slice(ruleAt + 1), start, width),
    }));
  });
}

Deno.test("renderFittedTable() keeps every line within the width, repeats the key columns and shows every cell once", async (t) => {
  for (const [name, { header, rows }] of SHAPES) {
    for (const width of [10, 24, 40, 61, 80, 100, 237, Infinity]) {
      for (const keep of [0, 1, 2]) {
        await t.step(`${name}, width ${width}, keep ${keep}`, () => {
          const text = renderFittedTable(header, rows, { width, keep });
          for (const line of text.split("\n")) {
            assert.ok(
              chars(line).length <= width,
              `${chars(line).length} > ${width}: ${line}`,
            );
          }
          const bands = parse(text);
          const column = (c: number) => ({
            header: header[c]!,
            body: rows.map((r) => r[c]!).join(""),
          });
          // The columns every table starts with, as many as could be kept.
          const kept = bands.length === 1
            ? 0
            : bands[0]!.findIndex((col, i) =>
              bands.some((b) => b[i]?.header !== col.header)
            );
          assert.ok(kept <= keep);
          if (width >= 40) assert.equal(kept, bands.length === 1 ? 0 : keep);
          for (const band of bands) {
            assert.deepEqual(
              band.slice(0, kept),
              header.slice(0, kept).map((_, c) => column(c)),
            );
          }
          assert.deepEqual(
            bands.flatMap((b) => b.slice(kept)),
            header.map((_, c) => column(c)).slice(kept),
          );
        });
      }
    }
  }
});

Deno.test("renderFittedTable() wraps a long cell after a separator and keeps the row's other cells on its first line", () => {
  const text = renderFittedTable(
    ["case", "client.poll.after_wait"],
    [
      ["linger=0", "POLLIN|POLLERR|POLLHUP|POLLRDHUP"],
      ["linger=off", "POLLIN|POLLRDHUP"],
    ],
    { width: 30 },
  );
  assert.equal(
    text,
    [
      "case        client.poll.",
      "            after_wait",
      "----------  ------------------",
      "linger=0    POLLIN|POLLERR|",
      "            POLLHUP|POLLRDHUP",
      "linger=off  POLLIN|POLLRDHUP",
    ].join("\n"),
  );
});

Deno.test("renderFittedTable() narrows the repeated columns just enough to leave the widest other column its room", () => {
  const text = renderFittedTable(
    ["k1", "k2", "a", "b"],
    [["x".repeat(30), "y".repeat(30), "a".repeat(10), "b".repeat(10)]],
    { width: 40, keep: 2 },
  );
  const rules = text.split("\n").filter((line) => /^[- ]+$/.test(line));
  const rule = ["-".repeat(13), "-".repeat(13), "-".repeat(10)].join("  ");
  assert.deepEqual(rules, [rule, rule]);
});

Deno.test("renderFittedTable() breaks a word without separators where the column ends", () => {
  assert.equal(
    renderFittedTable(["id", "x"], [["a", "0123456789abcdef"]], { width: 10 }),
    "id  x\n--  ------\na   012345\n    6789ab\n    cdef",
  );
});

Deno.test("renderFittedTable() shows control characters as spaces and blanks for missing cells", () => {
  assert.equal(
    renderFittedTable(["a", "b", "c"], [["x\ty", "1"]]),
    "a    b  c\n---  -  -\nx y  1",
  );
});

Deno.test("renderFittedTable() rejects what it cannot fit", async (t) => {
  const cases: [string, () => unknown, RegExp][] = [
    [
      "a width below 10",
      () => renderFittedTable(["a"], [], { width: 9 }),
      /at least 10, not 9/,
    ],
    [
      "a fractional width",
      () => renderFittedTable(["a"], [], { width: 50.5 }),
      /not 50\.5/,
    ],
    [
      "a negative keep",
      () => renderFittedTable(["a"], [], { keep: -1 }),
      /keep must be a whole number/,
    ],
    [
      "a row longer than the header",
      () => renderFittedTable(["a"], [["1", "2"]]),
      /row 0 has 2 cells, the header 1/,
    ],
  ];
  for (const [name, render, message] of cases) {
    await t.step(name, () => {
      assert.throws(
        render,
        (e) => e instanceof RangeError && message.test(e.message),
      );
    });
  }
});

Deno.test("renderTable() pads every column to its widest cell, without a width limit", () => {
  const long = "x".repeat(150);
  assert.equal(
    renderTable(["experiment", "cases", "range"], [
      ["article", "6", "74.4–88.9 ms"],
      ["all", "102", ""],
      ["wide", "1", long],
    ]),
    [
      "experiment  cases  range",
      `----------  -----  ${"-".repeat(150)}`,
      "article     6      74.4–88.9 ms",
      "all         102",
      `wide        1      ${long}`,
    ].join("\n"),
  );
});

Deno.test("outputWidth() is the terminal's width on a terminal, else 100", async (t) => {
  const tty = { isTerminal: () => true };
  const pipe = { isTerminal: () => false };
  const cases: [
    string,
    { isTerminal(): boolean },
    () => { columns: number },
    number,
  ][] = [
    ["a pipe", pipe, () => ({ columns: 80 }), DEFAULT_TABLE_WIDTH],
    ["a terminal 80 columns wide", tty, () => ({ columns: 80 }), 80],
    ["a terminal 237 columns wide", tty, () => ({ columns: 237 }), 237],
    ["a terminal narrower than 10 columns", tty, () => ({ columns: 4 }), 10],
    ["a terminal that says 0 columns", tty, () => ({ columns: 0 }), 100],
    ["a terminal that cannot say", tty, () => {
      throw new Deno.errors.BadResource("not a console");
    }, 100],
  ];
  for (const [name, stdout, size, expected] of cases) {
    await t.step(name, () => assert.equal(outputWidth(stdout, size), expected));
  }
});
