import assert from "node:assert/strict";
import { tracerMissing } from "../testing/tracer.ts";
import { hostPosix } from "../../ffi/posix.ts";
import { article } from "../../experiments/article.ts";
import { teardown } from "../../experiments/teardown.ts";
import { DEFAULT_JOBS, runCases } from "./jobs.ts";
import type { TrialResult } from "./run.ts";
import { expandCases } from "./scenario.ts";
import { DEFAULT_TRIAL_OPTIONS } from "./trial.ts";
import { openSocketCount } from "../testing/fds.ts";
import { openCapture } from "../wire/capture.ts";
import { rolesOf, storyDisagreements } from "./story_checks.ts";
import { instanceName, instancesOf, KernelTracer } from "../kernel/tracer.ts";

const posix = hostPosix();

function trial(extra: Partial<TrialResult>): TrialResult {
  return {
    endpoints: null,
    observations: {
      "actor.tcp_state.after_close": "FIN_WAIT2",
      "peer.tcp_state.after_close": "CLOSE_WAIT",
      "peer.so_error.after_close": "ECONNRESET",
    },
    transitions: [
      { side: "server", from: "ESTABLISHED", to: "FIN_WAIT1", t: 1 },
      { side: "client", from: "ESTABLISHED", to: "CLOSE_WAIT", t: 2 },
      { side: "server", from: "FIN_WAIT1", to: "FIN_WAIT2", t: 3 },
    ],
    resets: [{ side: "client", reason: "TCP_ABORT_ON_CLOSE", t: 4 }],
    wire: [
      { from: "server", flags: "F.", len: 0 },
      { from: "client", flags: "R.", len: 0 },
    ],
    ...extra,
  } as TrialResult;
}

const roles = rolesOf([
  { side: "server", as: "actor", op: "close" },
  { side: "client", as: "peer", op: "settle" },
]);

Deno.test("rolesOf() maps each observation role to its side", () => {
  assert.deepEqual(roles, { actor: "server", peer: "client" });
  assert.deepEqual(rolesOf([{ side: "client", op: "close" }]), {
    client: "client",
  });
});

Deno.test("storyDisagreements() finds a state the timeline never reaches and an RST the kernel did not trace", () => {
  assert.deepEqual(storyDisagreements(trial({}), roles), []);
  assert.deepEqual(
    storyDisagreements(
      trial({
        observations: { "peer.tcp_state.after_close": "LAST_ACK" },
      }),
      roles,
    ),
    [
      "peer.tcp_state.after_close is LAST_ACK, which the client's transitions never reach",
    ],
  );
  assert.deepEqual(storyDisagreements(trial({ resets: [] }), roles), [
    "the wire carries 1 RST from the client, the kernel traced 0",
  ]);
  // Nothing to check without transitions; an errno is not a state.
  assert.deepEqual(
    storyDisagreements(trial({ transitions: null, resets: null }), roles),
    [],
  );
  assert.deepEqual(
    storyDisagreements(
      trial({ observations: { "peer.tcp_state.after_close": "EBADF" } }),
      roles,
    ),
    [],
  );
});

Deno.test({
  name:
    "every article and teardown trial's transitions agree with its tcp_state observers and its wire, and the article's close with PONG unread is TCP_ABORT_ON_CLOSE",
  ignore: tracerMissing() !== null,
  fn: async () => {
    const before = openSocketCount();
    const capture = openCapture(posix);
    assert.ok(!("unavailable" in capture), "root can capture");
    capture.close(); // the workers open their own
    const tracer = KernelTracer.open(posix, instanceName(911));
    assert.ok(!("unavailable" in tracer));
    const cases = [...expandCases(article), ...expandCases(teardown)];
    let out;
    try {
      out = await runCases(posix, cases, {
        jobs: DEFAULT_JOBS,
        trials: 1,
        trial: { ...DEFAULT_TRIAL_OPTIONS, leftovers: true, wire: capture },
        trace: tracer,
      });
    } finally {
      tracer.close();
    }
    assert.deepEqual(instancesOf(posix), [], "no instance left behind");
    assert.equal(openSocketCount(), before);
    let resets = 0;
    for (const [i, c] of out.cases.entries()) {
      const t = c.trials[0]!;
      assert.equal(t.error ?? null, null, c.id);
      assert.ok(Array.isArray(t.transitions) && t.transitions.length, c.id);
      assert.ok(Array.isArray(t.wire), c.id);
      const given = cases[i]!;
      const steps = given.experiment.steps(given.params);
      assert.deepEqual(storyDisagreements(t, rolesOf(steps)), [], c.id);
      resets += t.resets!.length;
    }
    assert.ok(resets > 0, "some teardowns reset");
    const linger = out.cases.find((c) =>
      c.id === "article/linger=off,shutdown=wr"
    )!;
    assert.deepEqual(
      linger.trials[0]!.resets!.map(({ side, reason }) => ({ side, reason })),
      [{ side: "client", reason: "TCP_ABORT_ON_CLOSE" }],
    );
  },
});
