import assert from "node:assert/strict";
import { article } from "../../experiments/article.ts";
import type { CaseResult, TrialResult } from "../results/format.ts";
import { reasonText, resetsOnWire, sentAt } from "./reset_reasons.ts";

const trial = (extra: Partial<TrialResult>): TrialResult => ({
  endpoints: null,
  observations: {},
  wire: [
    { from: "client", flags: "S", len: 0 },
    { from: "server", flags: "S.", len: 0 },
    { from: "server", flags: "R.", len: 0 },
    { from: "client", flags: "R", len: 0 },
    { from: "server", flags: "R", len: 0 },
  ],
  resets: [
    { side: "server", reason: "TCP_STATE", t: 10 },
    { side: "client", reason: "TCP_TIMEWAIT_SOCKET", t: 20 },
    { side: "server", reason: null, t: 30 },
  ],
  ...extra,
});

Deno.test("resetsOnWire() pairs each side's k-th reset with its k-th RST, and says which RSTs were not traced", () => {
  assert.deepEqual(resetsOnWire(trial({})), [
    { index: 2, side: "server", reason: "TCP_STATE", traced: true },
    { index: 3, side: "client", reason: "TCP_TIMEWAIT_SOCKET", traced: true },
    { index: 4, side: "server", reason: null, traced: true },
  ]);
  // The client's RST has no traced reset: it says so; the server's pair.
  assert.deepEqual(
    resetsOnWire(
      trial({
        resets: [
          { side: "server", reason: "TCP_STATE", t: 10 },
          { side: "server", reason: null, t: 30 },
        ],
      }),
    )?.map((p) => [p.index, reasonText(p)]),
    [[2, "TCP_STATE"], [3, "not traced"], [4, "no reason given"]],
  );
  assert.equal(resetsOnWire(trial({ resets: null })), null);
  assert.equal(resetsOnWire(trial({ wire: null })), null);
});

Deno.test("sentAt() names the steps between the checkpoints around a segment, or the engine's cleanup", () => {
  const c: CaseResult = {
    id: "article/linger=0,shutdown=wr",
    experiment: "article",
    params: { linger: "0", shutdown: "wr" },
    observations: {},
    stable: true,
    trials: [],
  };
  // The article's checkpoints: before, after, before_read (after 5 segments),
  // after_shutdown (after 8: the FIN), after_wait (after 9).
  const t = trial({
    wireCheckpoints: {
      before: 5,
      after: 5,
      before_read: 5,
      after_shutdown: 8,
      after_wait: 9,
    },
  });
  assert.equal(sentAt(article, c, t, 8), "server close()");
  assert.equal(sentAt(article, c, t, 9), "client close()");
  assert.equal(
    sentAt(article, c, t, 6),
    "server recv(), then server send(), then server shutdown()",
  );
  assert.equal(
    sentAt(article, c, { ...t, wireCleanupAt: 9 }, 9),
    "the engine's cleanup close()",
  );
  assert.equal(sentAt(article, c, { ...t, wireCheckpoints: {} }, 9), null);
});
