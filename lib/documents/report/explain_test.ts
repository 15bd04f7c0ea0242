import assert from "node:assert/strict";
import { article } from "../../../experiments/article.ts";
import { teardown } from "../../../experiments/teardown.ts";
import type { Step } from "../../engine/scenario.ts";
import { listSteps, summariseSteps } from "./explain.ts";

Deno.test("summariseSteps() puts each case's actions in words", async (t) => {
  const cases: [string, readonly Step[], string][] = [
    [
      "article, linger off",
      article.steps({ linger: "off", shutdown: "wr" }),
      'client: send("PING"); server: recv() 4 bytes, send("PONG"), ' +
      "shutdown(SHUT_WR), close(); client: close() with the peer's data unread",
    ],
    [
      "article, linger {1, 0}",
      article.steps({ linger: "0", shutdown: "rdwr" }),
      'client: send("PING"); server: setsockopt(SO_LINGER, {1, 0}), ' +
      'recv() 4 bytes, send("PONG"), shutdown(SHUT_RDWR), close(); ' +
      "client: close() with the peer's data unread",
    ],
    [
      "teardown with unread data",
      teardown.steps({
        actor: "client",
        linger: "0",
        shutdown: "wr",
        close: "yes",
        unread: "pending",
      }),
      'peer (server): send("DATA"); actor (client): setsockopt(SO_LINGER, ' +
      "{1, 0}), shutdown(SHUT_WR), close() with the peer's data unread; " +
      'peer (server): send("MORE") ×2',
    ],
    [
      "teardown without close",
      teardown.steps({
        actor: "server",
        linger: "off",
        shutdown: "none",
        close: "no",
        unread: "none",
      }),
      'peer (client): send("MORE") ×2',
    ],
    [
      "data read before close",
      [
        { side: "client", op: "send", data: "AB" },
        { side: "server", op: "recv", bytes: 2 },
        { side: "server", op: "close" },
      ],
      'client: send("AB"); server: recv() 2 bytes, close()',
    ],
    ["only observations", [{ side: "client", op: "settle" }], "no action"],
  ];
  for (const [name, steps, expected] of cases) {
    await t.step(name, () => assert.equal(summariseSteps(steps), expected));
  }
});

Deno.test("listSteps() keeps every step, observations included", () => {
  const steps = article.steps({ linger: "off", shutdown: "wr" });
  const listed = listSteps(steps);
  assert.equal(listed.length, steps.length);
  assert.equal(listed.at(-2), "client: connected? (getpeername())");
});
