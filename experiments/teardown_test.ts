import assert from "node:assert/strict";
import { hostPosix } from "../ffi/posix.ts";
import { openCapture } from "../lib/wire/capture.ts";
import { runCase } from "../lib/engine/run.ts";
import { caseId, expandCases } from "../lib/engine/scenario.ts";
import { openFdCount } from "../lib/testing/fds.ts";
import { DEFAULT_TRIAL_OPTIONS } from "../lib/engine/trial.ts";
import { EXPERIMENTS, isSlowExperiment } from "./mod.ts";
import { teardown } from "./teardown.ts";

const posix = hostPosix();
const notLinux = Deno.build.os !== "linux";

/** Runs `fn` with a loopback capture, or with `null` where none can open. */
function withWire<T>(
  fn: (wire: ReturnType<typeof openCapture> | null) => T,
): T {
  const wire = notLinux ? null : openCapture(posix);
  try {
    return fn(wire);
  } finally {
    if (wire && "close" in wire) wire.close();
  }
}

/** What `side` sent once the connection was set up and PING/DATA crossed. */
function sentAfterSetup(
  trial: { wire?: { from: string; flags: string }[] | null },
  side: string,
): string[] {
  return (trial.wire ?? []).slice(3).filter((s) => s.from === side).map((s) =>
    s.flags
  );
}

/** Runs one teardown case, 2 trials, and returns its agreed observations. */
function run(
  params: Record<string, string>,
  wire: ReturnType<typeof openCapture> | null = null,
) {
  const id = caseId("teardown", params);
  const c = expandCases(teardown).find((c) => c.id === id);
  assert.ok(c, `no case ${id}`);
  const result = runCase(posix, c, 2, {
    ...DEFAULT_TRIAL_OPTIONS,
    leftovers: true,
    wire,
  });
  assert.ok(result.trials.every((t) => t.error === null), "a trial failed");
  assert.ok(result.stable, `unstable: ${result.unstableKeys}`);
  return result;
}

Deno.test("the teardown experiment has 96 cases, every factor combined", () => {
  const cases = expandCases(teardown);
  assert.equal(cases.length, 96);
  assert.equal(new Set(cases.map((c) => c.id)).size, 96);
});

Deno.test({
  name:
    "after SHUT_WR the peer is in CLOSE_WAIT, sees EOF, and getpeername still succeeds",
  ignore: notLinux,
  fn: () => {
    for (const actor of ["client", "server"]) {
      const o = run({
        actor,
        close: "no",
        linger: "off",
        shutdown: "wr",
        unread: "none",
      }).observations;
      assert.equal(o["actor.shutdown"], "ok");
      assert.equal(o["actor.tcp_state.after_shutdown"], "FIN_WAIT2");
      assert.equal(o["peer.tcp_state.after_shutdown"], "CLOSE_WAIT");
      assert.equal(o["peer.getpeername.after_shutdown"], "ok");
      assert.equal(o["peer.recv.after_shutdown"], "eof");
      assert.equal(o["peer.poll.after_shutdown"], "POLLIN|POLLOUT|POLLRDHUP");
      // The half-closed actor still reads what the peer sends.
      assert.equal(o["peer.send.first"], 4);
      assert.equal(o["actor.recv.after_peer_send"], "bytes:8");
    }
  },
});

Deno.test({
  name:
    "SO_LINGER {1,0} then close() resets: the peer sees ECONNRESET and ENOTCONN",
  ignore: notLinux,
  fn: () => {
    const result = withWire((wire) =>
      run({
        actor: "server",
        close: "yes",
        linger: "0",
        shutdown: "none",
        unread: "none",
      }, wire)
    );
    const o = result.observations;
    const trial = result.trials[0]!;
    // Nothing is left in TIME_WAIT: the reset skipped the closing handshake.
    assert.deepEqual(trial.leftovers, []);
    if (trial.wire) {
      const sent = sentAfterSetup(trial, "server");
      assert.ok(sent.some((f) => f.startsWith("R")), JSON.stringify(sent));
      assert.ok(!sent.some((f) => f.includes("F")), JSON.stringify(sent));
    }
    assert.equal(o["actor.close"], "ok");
    assert.equal(o["peer.tcp_state.after_close"], "CLOSED");
    assert.equal(o["peer.getpeername.after_close"], "ENOTCONN");
    // recv() asks first and takes the pending error; SO_ERROR is empty.
    assert.equal(o["peer.recv.after_close"], "ECONNRESET");
    assert.equal(o["peer.so_error.after_close"], "none");
    assert.equal(o["peer.recv.after_peer_send"], "eof");
    assert.match(String(o["peer.poll.after_close"]), /POLLERR\|POLLHUP/);
    assert.equal(o["peer.send.first"], "EPIPE");
  },
});

Deno.test({
  name:
    "close() with the peer's data unread resets on Linux even with linger off",
  ignore: notLinux,
  fn: () => {
    const result = withWire((wire) =>
      run({
        actor: "client",
        close: "yes",
        linger: "off",
        shutdown: "none",
        unread: "pending",
      }, wire)
    );
    const o = result.observations;
    const trial = result.trials[0]!;
    if (trial.wire) {
      // RFC 2525 2.17: data discarded unread → RST instead of FIN.
      const sent = sentAfterSetup(trial, "client");
      assert.equal(sent.at(-1), "R.", JSON.stringify(sent));
      assert.ok(!sent.some((f) => f.includes("F")), JSON.stringify(sent));
    }
    assert.equal(o["peer.tcp_state.after_close"], "CLOSED");
    assert.equal(o["peer.recv.after_close"], "ECONNRESET");
    // Without unread data the same close is an orderly FIN.
    const clean = run({
      actor: "client",
      close: "yes",
      linger: "off",
      shutdown: "none",
      unread: "none",
    }).observations;
    assert.equal(clean["peer.tcp_state.after_close"], "CLOSE_WAIT");
    assert.equal(clean["peer.so_error.after_close"], "none");
    assert.equal(clean["peer.recv.after_close"], "eof");
  },
});

Deno.test({
  name: "SHUT_RD alone tells the peer nothing",
  ignore: notLinux,
  fn: () => {
    const o = run({
      actor: "client",
      close: "no",
      linger: "off",
      shutdown: "rd",
      unread: "none",
    }).observations;
    for (const observer of ["poll", "recv", "tcp_state", "getpeername"]) {
      assert.equal(
        o[`peer.${observer}.after_shutdown`],
        o[`peer.${observer}.before`],
        observer,
      );
    }
    assert.equal(o["peer.send.first"], 4);
    assert.equal(o["peer.send.second"], 4);
  },
});

Deno.test({
  name:
    "a full run of every quick experiment's cases leaves no file descriptor open",
  ignore: notLinux,
  fn: () => {
    const before = openFdCount();
    // The slow experiments check their own, with trials side by side.
    const quick = EXPERIMENTS.flatMap(expandCases).filter((c) =>
      !isSlowExperiment(c.experiment)
    );
    for (const c of quick) {
      runCase(posix, c, 1, { ...DEFAULT_TRIAL_OPTIONS, leftovers: true });
    }
    assert.equal(openFdCount(), before);
  },
});
