/**
 * The full teardown matrix: one peer (the actor) tears the connection down
 * while the other (the peer) watches, for every combination of
 *
 * - `actor`: `client` | `server`
 * - `linger`: `off` | `0` | `1` (SO_LINGER `{1, N}` seconds)
 * - `shutdown`: `none` | `rd` | `wr` | `rdwr`
 * - `close`: `yes` | `no`
 * - `unread`: `none` | `pending` (the peer sent bytes the actor never read)
 *
 * Sequence, packetdrill-style: [peer send("DATA"), actor leaves it unread],
 * [actor setsockopt(SO_LINGER)], observe (before), [actor shutdown(how)],
 * settle, observe (after_shutdown), [actor close()], settle, observe
 * (after_close), peer send("MORE") twice with a settle after each, observe
 * (after_peer_send), settle, observe (after_settle). Every observer runs on each side whose fd
 * is still open; see `lib/engine/observers.ts` for the observers and their order.
 * Run alone: `deno task run-all --only teardown`.
 *
 * @module
 */

import type { ShutdownHow } from "../ffi/posix.ts";
import type { Experiment, Params, Side, Step } from "../lib/engine/scenario.ts";

const CHECKPOINTS = [
  "before",
  "after_shutdown",
  "after_close",
  "after_peer_send",
  "after_settle",
] as const;

/** Both sides observe at `checkpoint`, the actor first. */
function observeBoth(actor: Side, peer: Side, checkpoint: string): Step[] {
  return [
    { side: actor, as: "actor", op: "observe", checkpoint },
    { side: peer, as: "peer", op: "observe", checkpoint },
  ];
}

/** The steps of one teardown case. */
export function teardownSteps(params: Params): Step[] {
  const actor: Side = params.actor === "server" ? "server" : "client";
  const peer: Side = actor === "client" ? "server" : "client";
  const steps: Step[] = [];
  if (params.unread === "pending") {
    steps.push(
      { side: peer, as: "peer", op: "send", data: "DATA" },
      { side: actor, as: "actor", op: "await_data" },
    );
  }
  if (params.linger !== "off") {
    steps.push({
      side: actor,
      as: "actor",
      op: "set_linger",
      linger: { onoff: 1, seconds: Number(params.linger) },
    });
  }
  steps.push(...observeBoth(actor, peer, "before"));
  if (params.shutdown !== "none") {
    steps.push({
      side: actor,
      as: "actor",
      op: "shutdown",
      how: params.shutdown as ShutdownHow,
    });
  }
  // The FIN (if any) and its ACK cross loopback before anyone looks, so the
  // actor reads FIN_WAIT2, not sometimes FIN_WAIT1.
  steps.push(
    { side: peer, as: "peer", op: "settle" },
    ...observeBoth(actor, peer, "after_shutdown"),
  );
  if (params.close === "yes") {
    steps.push({ side: actor, as: "actor", op: "close" });
  }
  steps.push(
    { side: peer, as: "peer", op: "settle" },
    ...observeBoth(actor, peer, "after_close"),
    { side: peer, as: "peer", op: "send", data: "MORE", checkpoint: "first" },
    { side: peer, as: "peer", op: "settle" },
    { side: peer, as: "peer", op: "send", data: "MORE", checkpoint: "second" },
    ...observeBoth(actor, peer, "after_peer_send"),
    { side: peer, as: "peer", op: "settle" },
    ...observeBoth(actor, peer, "after_settle"),
  );
  return steps;
}

/** Every teardown an actor can do, watched from both peers: 96 cases. */
export const teardown: Experiment = {
  name: "teardown",
  intent:
    "Verify what each peer observes, and what crosses the wire, when one " +
    "side tears the connection down with shutdown() and/or close() under " +
    "each SO_LINGER setting, with and without unread data.",
  factors: [
    { name: "actor", values: ["client", "server"] },
    { name: "linger", values: ["off", "0", "1"] },
    { name: "shutdown", values: ["none", "rd", "wr", "rdwr"] },
    { name: "close", values: ["yes", "no"] },
    { name: "unread", values: ["none", "pending"] },
  ],
  roles: ["actor", "peer"],
  watch: { factor: "actor", actor: "actor", watcher: "peer" },
  checkpoints: CHECKPOINTS,
  headline: [
    "peer.poll.after_close",
    "peer.recv.after_close",
    "peer.tcp_state.after_close",
    "peer.getpeername.after_close",
    "peer.send.first",
    "peer.send.second",
  ],
  steps: teardownSteps,
};
