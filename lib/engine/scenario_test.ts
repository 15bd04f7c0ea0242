import assert from "node:assert/strict";
import {
  caseId,
  describeAction,
  describeStep,
  expandCases,
  type Experiment,
  type Step,
  stepExtraWaitMs,
  stepKeys,
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

Deno.test("the dead-peer and slow-close steps read as the calls they make, and announce their keys", () => {
  const watcher = { side: "client", as: "watcher" } as const;
  const cases: [Step, string, string[]][] = [
    [
      { ...watcher, op: "set_keepalive", idleS: 1, intervalS: 1, count: 2 },
      "setsockopt(SO_KEEPALIVE) with idle 1 s, interval 1 s, count 2",
      [],
    ],
    [
      { ...watcher, op: "set_user_timeout", ms: 1500 },
      "setsockopt(TCP_USER_TIMEOUT, 1500 ms)",
      [],
    ],
    [
      { ...watcher, op: "set_buffer", buffer: "receive", bytes: 8192 },
      "setsockopt(SO_RCVBUF, 8192)",
      [],
    ],
    [
      { ...watcher, op: "set_blocking", blocking: true },
      "clear O_NONBLOCK",
      [],
    ],
    [
      { ...watcher, op: "fill" },
      "send() until the send buffer is full",
      ["watcher.fill"],
    ],
    [
      { ...watcher, op: "drain" },
      "recv() until end of file or an error",
      ["watcher.drain", "watcher.received"],
    ],
    [
      { side: "server", as: "peer", op: "fate", fate: "vanished" },
      "the host drops every packet",
      [],
    ],
    [
      { ...watcher, op: "watch", windowMs: 5000 },
      "poll() for up to 5 s, then read what it reports",
      ["watcher.detected", "watcher.detected_by"],
    ],
  ];
  for (const [step, words, keys] of cases) {
    assert.equal(describeAction(step), words);
    assert.deepEqual(stepKeys(step), keys);
  }
});

Deno.test("stepExtraWaitMs() counts a watch's window and a linger's seconds, nothing else", () => {
  const side = "client" as const;
  assert.equal(stepExtraWaitMs({ side, op: "watch", windowMs: 5000 }), 5000);
  assert.equal(
    stepExtraWaitMs({
      side,
      op: "set_linger",
      linger: { onoff: 1, seconds: 2 },
    }),
    2000,
  );
  assert.equal(stepExtraWaitMs({ side, op: "settle" }), 0);
});
