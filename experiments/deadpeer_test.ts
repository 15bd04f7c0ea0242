import assert from "node:assert/strict";
import { hostPosix } from "../ffi/posix.ts";
import { runCases } from "../lib/engine/jobs.ts";
import { expandCases, stepKeys } from "../lib/engine/scenario.ts";
import { DEFAULT_TRIAL_OPTIONS } from "../lib/engine/trial.ts";
import { NamespacePair } from "../lib/net/namespaces.ts";
import { openSocketCount } from "../lib/testing/fds.ts";
import { openCapture } from "../lib/wire/capture.ts";
import { deadpeer, deadpeerSteps } from "./deadpeer.ts";

const posix = hostPosix();

/** Why namespaces cannot be made here, or null when they can. */
function namespacesMissing(): string | null {
  if (Deno.build.os !== "linux") return `not Linux (${Deno.build.os})`;
  const pair = NamespacePair.open(posix);
  if ("unavailable" in pair) return pair.unavailable;
  pair.close();
  return null;
}
const missing = namespacesMissing();
if (missing !== null) console.warn(`deadpeer trials skipped: ${missing}`);

Deno.test("the deadpeer experiment has its 12 cases", () => {
  const ids = expandCases(deadpeer).map((c) => c.id);
  assert.equal(ids.length, 12);
  assert.equal(ids[0], "deadpeer/detector=none,fate=hung");
  assert.ok(ids.includes("deadpeer/detector=keepalive,fate=vanished"));
  assert.equal(deadpeer.network, "namespaces");
});

Deno.test("a detector that sends does so after the fate, and only then", () => {
  for (const detector of ["user_timeout", "write"]) {
    const ops = deadpeerSteps({ detector, fate: "hung" }).map((s) => s.op);
    assert.ok(ops.indexOf("send") > ops.indexOf("fate"), detector);
    assert.ok(ops.indexOf("send") < ops.indexOf("watch"), detector);
  }
  for (const detector of ["none", "keepalive"]) {
    const ops = deadpeerSteps({ detector, fate: "hung" }).map((s) => s.op);
    assert.ok(!ops.includes("send"), detector);
  }
});

Deno.test({
  name:
    "as root on Linux, each detector finds the dead peers it can, with the error the issue names, and leaves nothing behind",
  ignore: missing !== null,
  fn: async () => {
    const sockets = openSocketCount();
    const tap = openCapture(posix);
    // The workers open their own captures; this one only says "capture".
    if ("close" in tap) tap.close();
    const outcome = await runCases(posix, expandCases(deadpeer), {
      jobs: 24,
      trials: 2,
      trial: { ...DEFAULT_TRIAL_OPTIONS, leftovers: true, wire: tap },
    });
    const byId = new Map(outcome.cases.map((c) => [c.id, c]));
    const seen = (detector: string, fate: string) => {
      const c = byId.get(`deadpeer/detector=${detector},fate=${fate}`)!;
      assert.ok(c.stable, `${c.id} unstable: ${c.unstableKeys}`);
      for (const t of c.trials) assert.equal(t.error, null, c.id);
      return c;
    };
    const detected = (detector: string, fate: string) =>
      seen(detector, fate).observations["watcher.detected"];
    // Keepalive: a vanished peer, never a hung one (its kernel answers).
    assert.equal(detected("keepalive", "vanished"), "ETIMEDOUT");
    assert.equal(detected("keepalive", "hung"), "none");
    assert.equal(detected("keepalive", "rebooted"), "ECONNRESET");
    // TCP_USER_TIMEOUT with data in flight: a vanished peer.
    assert.equal(detected("user_timeout", "vanished"), "ETIMEDOUT");
    assert.equal(detected("user_timeout", "hung"), "none");
    // A write to a rebooted peer meets its RST.
    assert.equal(detected("write", "rebooted"), "ECONNRESET");
    // Unaided, nothing finds a vanished peer within the window.
    assert.equal(detected("none", "vanished"), "none");
    assert.equal(detected("write", "vanished"), "none");
    for (const c of outcome.cases) {
      const announced = new Set(
        deadpeer.steps(c.params).flatMap(stepKeys),
      );
      for (const t of c.trials) {
        for (const key of Object.keys(t.observations)) {
          assert.ok(announced.has(key), `${c.id}: ${key}`);
        }
        // The time to detection is there exactly when something was.
        assert.equal(
          "watcher.detected" in (t.durations ?? {}),
          t.observations["watcher.detected"] !== "none",
          c.id,
        );
        assert.ok(Array.isArray(t.wire), `${c.id}: no wire`);
      }
    }
    // The wire, seen from the watcher's veth: a vanished host sends
    // nothing after the handshake; a rebooted one answers with RST.
    const wire = (detector: string, fate: string) =>
      seen(detector, fate).trials[0]!.wire!;
    const fromPeer = (detector: string, fate: string) =>
      wire(detector, fate).slice(2).filter((s) => s.from === "server");
    assert.deepEqual(fromPeer("keepalive", "vanished"), []);
    assert.deepEqual(fromPeer("user_timeout", "vanished"), []);
    assert.ok(
      fromPeer("write", "rebooted").some((s) => s.flags.startsWith("R")),
    );
    // Keepalive probes go out unanswered, then Linux gives up with an RST.
    const watcherSent = wire("keepalive", "vanished").slice(2)
      .filter((s) => s.from === "client");
    assert.ok(watcherSent.length >= 3, JSON.stringify(watcherSent));
    assert.ok(watcherSent.at(-1)!.flags.includes("R"));
    assert.equal(openSocketCount(), sockets, "a socket was left open");
    const links = new Deno.Command("ip", { args: ["-o", "link"] })
      .outputSync();
    assert.doesNotMatch(new TextDecoder().decode(links.stdout), /esc-/);
  },
});
