import assert from "node:assert/strict";
import {
  caseId,
  describeStep,
  expandCases,
  type Experiment,
} from "./scenario.ts";

const toy: Experiment = {
  name: "toy",
  intent: "A toy.",
  factors: [{ name: "b", values: ["1", "2"] }, {
    name: "a",
    values: ["x", "y", "z"],
  }],
  roles: ["client", "server"],
  checkpoints: [],
  headline: [],
  steps: () => [],
};

Deno.test("caseId() sorts parameter keys", () => {
  assert.equal(
    caseId("article", { shutdown: "wr", linger: "0" }),
    "article/linger=0,shutdown=wr",
  );
  assert.equal(caseId("none", {}), "none/");
});

Deno.test("expandCases() yields every combination once, in factor order", () => {
  const ids = expandCases(toy).map((c) => c.id);
  assert.deepEqual(ids, [
    "toy/a=x,b=1",
    "toy/a=y,b=1",
    "toy/a=z,b=1",
    "toy/a=x,b=2",
    "toy/a=y,b=2",
    "toy/a=z,b=2",
  ]);
});

Deno.test("describeStep() puts a step in the socket API's words", () => {
  assert.equal(
    describeStep({ side: "server", op: "shutdown", how: "wr" }),
    "server: shutdown(SHUT_WR)",
  );
  assert.equal(
    describeStep({
      side: "client",
      as: "actor",
      op: "set_linger",
      linger: { onoff: 1, seconds: 0 },
    }),
    "actor (client): setsockopt(SO_LINGER, {1, 0})",
  );
  assert.equal(
    describeStep({ side: "client", op: "close" }),
    "client: close()",
  );
});
