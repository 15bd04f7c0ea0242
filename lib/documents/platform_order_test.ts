import assert from "node:assert/strict";
import { EXPERIMENTS } from "../../experiments/mod.ts";
import { OSES } from "../../ffi/tables/platform.ts";
import type { Platform, Results } from "../results/format.ts";
import type { StackName } from "../results/stack.ts";
import { buildAnswers } from "./answers.ts";
import { buildMatrix } from "./matrix.ts";
import { comparePlatforms, inPlatformOrder } from "./platform_order.ts";
import { compareResults } from "./report/compare.ts";

function platform(
  id: string,
  source: Platform["source"],
  stack?: StackName,
): Results {
  const [os, arch] = id.split("-") as [Platform["os"], string];
  return {
    schemaVersion: 2,
    platform: {
      id,
      os,
      arch,
      osRelease: "1",
      deno: null,
      source,
      ...(stack
        ? { stack: { name: stack, kind: os, version: "1", ran: "somehow" } }
        : {}),
    },
    // One case each, so every platform is a column of every document.
    cases: [{
      id: "article/linger=0,shutdown=wr",
      experiment: "article",
      params: { linger: "0", shutdown: "wr" },
      observations: { "client.connected.after_wait": 0 },
      stable: true,
      trials: [{
        endpoints: null,
        observations: { "client.connected.after_wait": 0 },
      }],
    }],
  };
}

// Shuffled on purpose: neither input order nor id order is the answer.
const ALL = [
  platform("openbsd-amd64-article", "transcribed"),
  platform("linux-x86_64", "run"),
  platform("linux-x86_64-gvisor-20221219", "run", "gvisor"),
  platform("darwin-aarch64-old", "transcribed", "host"),
  platform("freebsd-amd64", "run"),
  platform("linux-x86_64-6.1", "run", "linux-6.1"),
  platform("linux-x86_64-6.18", "run", "host"),
  platform("freebsd-amd64-host", "run", "host"),
];

const ORDER = [
  // Runs with a stack, host first, then by stack; by id within a stack.
  "freebsd-amd64-host",
  "linux-x86_64-6.18",
  "linux-x86_64-6.1",
  "linux-x86_64-gvisor-20221219",
  // Other runs, by id.
  "freebsd-amd64",
  "linux-x86_64",
  // Transcriptions last, with a stack or not.
  "darwin-aarch64-old",
  "openbsd-amd64-article",
];

Deno.test("inPlatformOrder() puts stacks first in their order, then other runs, then transcriptions", () => {
  assert.deepEqual(inPlatformOrder(ALL).map((r) => r.platform.id), ORDER);
  assert.deepEqual(
    inPlatformOrder(ALL.toReversed()).map((r) => r.platform.id),
    ORDER,
  );
  assert.equal(comparePlatforms(ALL[1]!.platform, ALL[1]!.platform), 0);
});

Deno.test("every document puts platforms side by side in that one order", async (t) => {
  await t.step("the report's comparison", () => {
    const c = compareResults(ALL, EXPERIMENTS);
    assert.deepEqual(c.platforms.map((p) => p.id), ORDER);
  });
  await t.step("the answers", () => {
    const answers = buildAnswers(ALL, EXPERIMENTS).answers;
    const getpeername = answers.find((a) => a.id === "getpeername")!;
    assert.deepEqual(getpeername.platforms.map((p) => p.id), ORDER);
  });
  await t.step("the matrix, which holds the runs", () => {
    const m = buildMatrix(ALL, EXPERIMENTS, OSES);
    assert.deepEqual(
      m.platforms.map((p) => p.id),
      ORDER.filter((id) => !/article|old/.test(id)),
    );
  });
});
