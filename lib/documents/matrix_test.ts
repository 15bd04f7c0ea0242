import assert from "node:assert/strict";
import { teardown } from "../../experiments/teardown.ts";
import {
  buildMatrix,
  columnGroups,
  describeWire,
  teardownSegments,
} from "./matrix.ts";
import { revealsOf, watchPlan } from "./reveals.ts";
import { mdCell, renderMatrixMarkdown } from "./matrix_markdown.ts";
import type { CaseResult, Results } from "../results/format.ts";
import { caseId, type Experiment } from "../engine/scenario.ts";

const toy: Experiment = {
  name: "toy",
  intent: "A toy teardown.",
  factors: [
    { name: "actor", values: ["client", "server"] },
    { name: "shutdown", values: ["wr", "rd"] },
  ],
  roles: ["actor", "peer"],
  watch: { factor: "actor", actor: "actor", watcher: "peer" },
  checkpoints: ["before", "after"],
  headline: [],
  steps: () => [],
};

function toyCase(
  params: Record<string, string>,
  observations: CaseResult["observations"],
): CaseResult {
  return {
    id: caseId("toy", params),
    experiment: "toy",
    params,
    observations,
    stable: true,
    trials: [{
      endpoints: { client: "127.0.0.1:1", server: "127.0.0.1:2" },
      observations,
      wire: [
        { from: "client", flags: "S", len: 0 },
        { from: "server", flags: "S.", len: 0 },
        { from: "client", flags: ".", len: 0 },
        { from: params.actor as "client", flags: "F.", len: 0 },
      ],
      leftovers: [],
    }],
  };
}

const SHUT_WR_SEEN = {
  "peer.poll.before": "POLLOUT",
  "peer.poll.after": "POLLIN|POLLOUT|POLLRDHUP",
  "peer.getpeername.before": "ok",
  "peer.getpeername.after": "ok",
  "peer.tcp_state.before": "ESTABLISHED",
  "peer.tcp_state.after": "CLOSE_WAIT",
  "peer.send.first": 4,
  "actor.shutdown": "ok",
};

function platform(id: string, cases: CaseResult[]): Results {
  const [os, arch] = id.split("-") as ["linux", string];
  return {
    schemaVersion: 2,
    platform: { id, os, osRelease: "1", arch, deno: "2.9.6", source: "run" },
    cases,
  };
}

Deno.test("revealsOf() reports the first checkpoint where a peer observer changed", () => {
  const plan = {
    watcher: "peer",
    checkpoints: ["before", "after"],
    sends: ["first", "second"],
    afterSending: [],
  };
  const r = revealsOf(SHUT_WR_SEEN, plan);
  assert.deepEqual(r.tcp_state, {
    at: "after",
    value: "CLOSE_WAIT",
    afterSending: false,
  });
  assert.deepEqual(r.poll, {
    at: "after",
    value: "POLLIN|POLLOUT|POLLRDHUP",
    afterSending: false,
  });
  // The article's point: getpeername() does not notice a FIN.
  assert.equal(r.getpeername, null);
  // A send that succeeded (4 bytes) reveals nothing.
  assert.equal(r.send, null);
  const failed = revealsOf(
    { ...SHUT_WR_SEEN, "peer.send.second": "EPIPE" },
    { ...plan, afterSending: ["after"] },
  );
  assert.deepEqual(failed.send, {
    at: "send.second",
    value: "EPIPE",
    afterSending: true,
  });
  assert.equal(failed.tcp_state?.afterSending, true);
});

Deno.test("columnGroups() groups keys by checkpoint in checkpoint order, calls last, observers in the order they run", () => {
  assert.deepEqual(
    columnGroups(Object.keys(SHUT_WR_SEEN), ["before", "after"]),
    [
      {
        checkpoint: "before",
        keys: [
          "peer.poll.before",
          "peer.getpeername.before",
          "peer.tcp_state.before",
        ],
      },
      {
        checkpoint: "after",
        keys: [
          "peer.poll.after",
          "peer.getpeername.after",
          "peer.tcp_state.after",
        ],
      },
      { checkpoint: "calls", keys: ["actor.shutdown", "peer.send.first"] },
    ],
  );
});

Deno.test("teardownSegments() keeps the first FIN or RST and what follows", () => {
  const wire = describeWire([
    { from: "client", flags: "S", len: 0 },
    { from: "server", flags: "P.", len: 4 },
    { from: "server", flags: "R.", len: 0 },
  ], undefined);
  assert.deepEqual(wire, ["client S", "server P. 4", "server R."]);
  assert.deepEqual(teardownSegments(wire), ["server R."]);
  assert.equal(describeWire(null, "no CAP_NET_RAW"), "no CAP_NET_RAW");
  assert.equal(teardownSegments("no CAP_NET_RAW"), "no CAP_NET_RAW");
});

Deno.test("buildMatrix() merges actors that gave the same finding and names untested OSes", () => {
  const results = platform("linux-x86_64", [
    toyCase({ actor: "client", shutdown: "wr" }, SHUT_WR_SEEN),
    toyCase({ actor: "server", shutdown: "wr" }, SHUT_WR_SEEN),
    toyCase({ actor: "server", shutdown: "rd" }, {
      ...SHUT_WR_SEEN,
      "peer.tcp_state.after": "ESTABLISHED",
    }),
  ]);
  const transcribed: Results = {
    ...platform("openbsd-unknown", []),
    platform: { ...platform("openbsd-unknown", []).platform, os: "openbsd" },
  };
  (transcribed.platform as { source: string }).source = "transcribed";
  const matrix = buildMatrix([results, transcribed], [toy], [
    "linux",
    "openbsd",
  ]);
  assert.deepEqual(matrix.platforms.map((p) => p.id), ["linux-x86_64"]);
  assert.deepEqual(matrix.untested, ["openbsd"]);
  const [e] = matrix.platforms[0]!.experiments;
  // Rows in the experiment's case order, not by id.
  assert.deepEqual(e!.rows.map((r) => r.id), [
    "toy/actor=client,shutdown=wr",
    "toy/actor=server,shutdown=wr",
    "toy/actor=server,shutdown=rd",
  ]);
  assert.deepEqual(
    e!.findings!.map((f) => [f.teardown, f.actors, f.observers.tcp_state]),
    [
      [{ shutdown: "wr" }, ["client", "server"], {
        at: "after",
        value: "CLOSE_WAIT",
        afterSending: false,
      }],
      [{ shutdown: "rd" }, ["server"], null],
    ],
  );
  assert.deepEqual(e!.findings![0]!.wire, ["actor F."]);
});

Deno.test("renderMatrixMarkdown() is deterministic and escapes table cells", () => {
  const results = platform("linux-x86_64", [
    toyCase({ actor: "client", shutdown: "wr" }, SHUT_WR_SEEN),
  ]);
  const a = renderMatrixMarkdown(buildMatrix([results], [toy], ["linux"]));
  const b = renderMatrixMarkdown(buildMatrix([results], [toy], ["linux"]));
  assert.equal(a, b);
  assert.match(
    a,
    /\| shutdown=wr \| client \| POLLIN\\\|POLLOUT\\\|POLLRDHUP @after \|/,
  );
  assert.match(a, /Untested \(no results; nothing is guessed\): none/);
  assert.equal(mdCell("a|b\nc"), "a\\|b c");
});

Deno.test("teardownSegments() leaves out what the engine's cleanup sent", () => {
  const wire = describeWire(
    [
      { from: "client", flags: "S", len: 0 },
      { from: "server", flags: "F.", len: 0 },
      { from: "client", flags: ".", len: 0 },
      { from: "client", flags: "R.", len: 0 },
    ],
    undefined,
    3,
  );
  assert.deepEqual(wire.at(-1), "client R. (cleanup)");
  assert.deepEqual(teardownSegments(wire), ["server F.", "client ."]);
  const nothing = describeWire(
    [{ from: "client", flags: "R.", len: 0 }],
    "",
    0,
  );
  assert.deepEqual(teardownSegments(nothing), []);
});

Deno.test("watchPlan() finds the watcher's sends and the checkpoints reached after it sent", () => {
  const steps = teardown.steps({
    actor: "client",
    linger: "off",
    shutdown: "wr",
    close: "yes",
    unread: "pending",
  });
  assert.deepEqual(watchPlan("peer", teardown.checkpoints, steps), {
    watcher: "peer",
    checkpoints: teardown.checkpoints,
    sends: ["first", "second"],
    afterSending: ["after_peer_send", "after_settle"],
  });
  assert.deepEqual(watchPlan("actor", teardown.checkpoints, steps).sends, []);
  assert.deepEqual(watchPlan("peer", [], []).afterSending, []);
});

Deno.test("buildMatrix() puts the host stack first and names every stack, in matrix.json and MATRIX.md", () => {
  const host = platform("linux-x86_64-6.18", [
    toyCase({ actor: "client", shutdown: "wr" }, SHUT_WR_SEEN),
  ]);
  host.platform.stack = {
    name: "host",
    kind: "linux",
    version: "6.18.44",
    ran: "on the host",
  };
  const gvisor = structuredClone(host);
  gvisor.platform.id = "linux-x86_64-gvisor-20221219";
  gvisor.platform.stack = {
    name: "gvisor",
    kind: "gvisor",
    version: "0.0~20221219.0",
    ran: "in runsc",
  };
  gvisor.cases[0]!.trials[0]!.observations = {
    ...SHUT_WR_SEEN,
    "peer.tcp_state.after": "CLOSED",
  };
  gvisor.cases[0]!.observations = gvisor.cases[0]!.trials[0]!.observations;
  const matrix = buildMatrix([gvisor, host], [toy], ["linux"]);
  assert.deepEqual(
    matrix.platforms.map((p) => [p.id, p.stack?.name]),
    [
      ["linux-x86_64-6.18", "host"],
      ["linux-x86_64-gvisor-20221219", "gvisor"],
    ],
  );
  const [stacks] = matrix.answers.answers;
  assert.equal(stacks?.id, "stacks");
  assert.deepEqual(stacks?.summary, [
    "1 of 1 cases both ran differ from linux-x86_64-6.18 (host) in " +
    "observations, 0 on the wire; 0 identical.",
  ]);
  const md = renderMatrixMarkdown(matrix);
  assert.match(
    md,
    /^Platforms run: `linux-x86_64-6\.18` \(host\), `linux-x86_64-gvisor-20221219` \(gvisor\)\./m,
  );
  assert.match(
    md,
    /^Kernel release 1\. Stack: gvisor, gVisor 0\.0~20221219\.0, in runsc\.$/m,
  );
  assert.match(
    md,
    /\| \[peer\.tcp\\_state\.after CLOSED \(host: CLOSE\\_WAIT\)\]\(REPORT\.md#case-toy-actor-client-shutdown-wr\) \|/,
  );
});
