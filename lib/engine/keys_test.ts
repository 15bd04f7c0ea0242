import assert from "node:assert/strict";
import { observationKey, parseObservationKey } from "./keys.ts";

Deno.test("parseObservationKey() takes apart what observationKey() builds", () => {
  const cases: [string, string, string | undefined][] = [
    ["peer", "poll", "after_close"],
    ["peer", "send", "first"],
    ["actor", "close", undefined],
    ["server", "recv", undefined],
  ];
  for (const [role, observer, at] of cases) {
    const key = observationKey(role, observer, at);
    assert.deepEqual(
      parseObservationKey(key),
      at === undefined ? { role, observer } : { role, observer, at },
    );
  }
});

Deno.test("observation keys refuse empty parts and dots", () => {
  assert.throws(() => observationKey("peer", "a.b"), RangeError);
  assert.throws(() => observationKey("", "poll"), RangeError);
  for (const bad of ["peer", "a.b.c.d", "a..b", ".a"]) {
    assert.throws(() => parseObservationKey(bad), RangeError, bad);
  }
});
