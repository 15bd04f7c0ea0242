import assert from "node:assert/strict";
import { type ProgressOptions, startProgress } from "./progress.ts";

const ERASE = "\r\x1b[K";

/** A fake terminal: what was written, and a clock the test moves. */
function terminal(options: ProgressOptions = {}) {
  const written: string[] = [];
  let time = 0;
  const start = (total: number) =>
    startProgress(total, {
      isTerminal: true,
      write: (text) => written.push(text),
      columns: () => 80,
      now: () => time,
      intervalMs: 50,
      ...options,
    });
  return {
    written,
    start,
    advance(ms: number) {
      time += ms;
    },
  };
}

Deno.test("a progress line writes nothing at all when stderr is not a terminal", () => {
  const term = terminal({ isTerminal: false });
  const progress = term.start(3);
  for (let i = 1; i <= 3; i++) {
    progress.update(i, `case ${i}`);
    term.advance(1000);
  }
  progress.clear();
  progress.done();
  assert.deepEqual(term.written, []);
});

Deno.test("a progress line is drawn at once, then at most once per interval, with the latest state", () => {
  const term = terminal();
  const progress = term.start(10);
  progress.update(1, "a");
  term.advance(10);
  progress.update(2, "b");
  term.advance(39);
  progress.update(3, "c");
  term.advance(1);
  progress.update(4, "d");
  progress.update(5, "e");
  assert.deepEqual(term.written, [`${ERASE}[1/10] a`, `${ERASE}[4/10] d`]);
});

Deno.test("a progress line never takes more columns than the terminal has, less one", async (t) => {
  const labels = [
    "",
    "article/linger=0,shutdown=wr",
    "teardown/" + "x".repeat(300),
    "µs–ms ".repeat(40),
    "a\nline\tbreak\x1b[31m and an escape",
  ];
  for (const columns of [1, 2, 10, 20, 80, 237]) {
    await t.step(`${columns} columns`, () => {
      const term = terminal({ columns: () => columns, intervalMs: 0 });
      const progress = term.start(96);
      labels.forEach((label, i) => progress.update(i, label));
      assert.equal(term.written.length, labels.length);
      for (const text of term.written) {
        assert.ok(text.startsWith(ERASE), JSON.stringify(text));
        const visible = text.slice(ERASE.length);
        assert.doesNotMatch(visible, /\p{Cc}/u);
        assert.ok(
          [...visible].length <= Math.max(columns - 1, 1),
          `${[...visible].length} columns: ${visible}`,
        );
      }
    });
  }
  await t.step("a cut line ends with an ellipsis", () => {
    const term = terminal({ columns: () => 21 });
    term.start(96).update(7, "teardown/linger=0,shutdown=rdwr");
    assert.deepEqual(term.written, [`${ERASE}[7/96] teardown/lin…`]);
  });
  await t.step("a terminal that cannot say its width counts as 80", () => {
    const term = terminal({
      columns: () => {
        throw new Deno.errors.BadResource("not a console");
      },
    });
    term.start(1).update(1, "x".repeat(200));
    assert.equal([...term.written[0]!.slice(ERASE.length)].length, 79);
  });
});

Deno.test("clear() erases the line, and the next update draws it again at once", () => {
  const term = terminal();
  const progress = term.start(3);
  progress.clear();
  assert.deepEqual(term.written, [], "nothing to erase yet");
  progress.update(1, "a");
  progress.clear();
  progress.clear();
  progress.update(2, "b");
  assert.deepEqual(term.written, [
    `${ERASE}[1/3] a`,
    ERASE,
    `${ERASE}[2/3] b`,
  ]);
});

Deno.test("done() erases the line for good", () => {
  const term = terminal();
  const progress = term.start(3);
  progress.update(1, "a");
  progress.done();
  term.advance(1000);
  progress.update(2, "b");
  progress.clear();
  progress.done();
  assert.deepEqual(term.written, [`${ERASE}[1/3] a`, ERASE]);
});
