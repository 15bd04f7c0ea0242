import assert from "node:assert/strict";
import { hostPosix } from "../ffi/posix.ts";
import { runCase } from "../lib/engine/run.ts";
import { expandCases } from "../lib/engine/scenario.ts";
import { openFdCount } from "../lib/testing/fds.ts";
import { DEFAULT_TRIAL_OPTIONS } from "../lib/engine/trial.ts";
import { article } from "./article.ts";

const posix = hostPosix();

Deno.test("the article experiment has its 6 cases", () => {
  assert.deepEqual(expandCases(article).map((c) => c.id), [
    "article/linger=off,shutdown=rd",
    "article/linger=off,shutdown=wr",
    "article/linger=off,shutdown=rdwr",
    "article/linger=0,shutdown=rd",
    "article/linger=0,shutdown=wr",
    "article/linger=0,shutdown=rdwr",
  ]);
});

Deno.test({
  name:
    "the article's result reproduces on Linux: only SO_LINGER {1,0} makes the client see it",
  ignore: Deno.build.os !== "linux",
  fn: async (t) => {
    const fdsBefore = openFdCount();
    for (const c of expandCases(article)) {
      await t.step(c.id, () => {
        const result = runCase(posix, c, 3, DEFAULT_TRIAL_OPTIONS);
        const lingerZero = c.params.linger === "0";
        assert.ok(result.stable, `unstable: ${result.unstableKeys}`);
        assert.ok(result.trials.every((t) => t.error === null));
        const o = result.observations;
        assert.equal(o["server.linger.before"], "0,0");
        assert.equal(o["server.linger.after"], lingerZero ? "1,0" : "0,0");
        assert.equal(o["server.connected.before_read"], 1);
        assert.equal(o["server.connected.after_shutdown"], 1);
        assert.equal(o["server.recv"], "PING");
        // The article: connected() cannot tell ESTABLISHED from CLOSE-WAIT.
        assert.equal(o["client.connected.after_wait"], lingerZero ? 0 : 1);
        assert.equal(
          o["client.tcp_state.after_wait"],
          lingerZero ? "CLOSED" : "CLOSE_WAIT",
        );
        assert.equal(
          o["client.getpeername.after_wait"],
          lingerZero ? "ENOTCONN" : "ok",
        );
        assert.match(
          String(o["client.poll.after_wait"]),
          lingerZero ? /POLLERR\|POLLHUP/ : /^POLLIN\|POLLRDHUP$/,
        );
      });
    }
    assert.equal(openFdCount(), fdsBefore, "a trial leaked a file descriptor");
  },
});

Deno.test("a trial that misses its deadline is an error, and the run goes on", () => {
  const fdsBefore = openFdCount();
  // The client waits for a teardown the server never starts.
  const steps = [
    { side: "client", op: "await_teardown", checkpoint: "never" },
  ] as const;
  const c = {
    ...expandCases(article)[0]!,
    experiment: { ...article, steps: () => steps },
  };
  const result = runCase(posix, c, 2, { ...DEFAULT_TRIAL_OPTIONS, waitMs: 30 });
  assert.equal(result.trials.length, 2);
  for (const trial of result.trials) {
    assert.match(
      trial.error ?? "",
      /client: await teardown: nothing within 30 ms/,
    );
  }
  assert.equal(openFdCount(), fdsBefore);
});
