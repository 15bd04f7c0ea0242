import assert from "node:assert/strict";
import { escapeHtml, markdownCode, markdownText } from "./escape.ts";

Deno.test("escapeHtml() escapes every character that could open markup", async (t) => {
  const cases: [string, string][] = [
    ["<script>", "&lt;script&gt;"],
    [`a="b" & 'c'`, "a=&quot;b&quot; &amp; &#39;c&#39;"],
    ["POLLIN|POLLHUP", "POLLIN|POLLHUP"],
  ];
  for (const [input, expected] of cases) {
    await t.step(input, () => assert.equal(escapeHtml(input), expected));
  }
});

Deno.test("markdownCode() keeps a value whole inside a table cell", async (t) => {
  const cases: [string, string][] = [
    ["POLLIN|POLLHUP", "`POLLIN\\|POLLHUP`"],
    ["a`b", "``a`b``"],
    ["`x", "`` `x ``"],
    ["two\nlines", "`two lines`"],
  ];
  for (const [input, expected] of cases) {
    await t.step(input, () => assert.equal(markdownCode(input), expected));
  }
});

Deno.test("markdownText() escapes table and emphasis characters", () => {
  assert.equal(markdownText("a|b *c* <d>"), "a\\|b \\*c\\* \\<d\\>");
});
