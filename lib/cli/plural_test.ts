import assert from "node:assert/strict";
import { plural } from "./plural.ts";

Deno.test("plural() uses the singular for exactly one and the plural for any other count", async (t) => {
  const cases: [number, string, string | undefined, string][] = [
    [1, "case", undefined, "1 case"],
    [3, "case", undefined, "3 cases"],
    [1, "trial", undefined, "1 trial"],
    [0, "trial", undefined, "0 trials"],
    [102, "case", undefined, "102 cases"],
    [1.5, "round", undefined, "1.5 rounds"],
    [-1, "round", undefined, "-1 rounds"],
    [1, "process", "processes", "1 process"],
    [2, "process", "processes", "2 processes"],
  ];
  for (const [count, singular, pluralForm, expected] of cases) {
    await t.step(expected, () => {
      assert.equal(
        pluralForm === undefined
          ? plural(count, singular)
          : plural(count, singular, pluralForm),
        expected,
      );
    });
  }
});
