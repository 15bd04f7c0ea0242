import assert from "node:assert/strict";
import { answer, LINUX } from "../testing/answers.ts";

Deno.test("the slow-close answer gives close()'s result and time, what the peer read, and the wire after close()", () => {
  const a = answer([LINUX], "slow-close");
  const row = (label: string) =>
    a.rows.find((r) => r.label === label)!.cells[0]!.text;
  assert.deepEqual(a.rows.map((r) => r.label), [
    "linger off, blocking",
    "linger off, non-blocking",
    "linger {1,0}, blocking",
    "linger {1,0}, non-blocking",
    "linger {1,2}, blocking",
    "linger {1,2}, non-blocking",
  ]);
  assert.match(
    row("linger {1,0}, non-blocking"),
    /^close\(\) ok in [\d.–]+ ms; the peer read part, then ECONNRESET; actor's wire until the peer read: RST; once it read: nothing$/,
  );
  assert.match(
    row("linger {1,2}, non-blocking"),
    /^close\(\) ok in 2\.\d\d(–2\.\d\d)? s; the peer read all, then eof;/,
  );
  assert.match(row("linger off, blocking"), /once it read: data, FIN$/);
});
