/**
 * Dead peers: a watcher holds an established connection to a peer whose
 * host then suffers one fate, and relies on one detector to find out.
 * "A TCP keepalive cannot tell the difference between mostly dead and all
 * dead" (the article): this measures which detector finds which fate, with
 * which error, and after how long.
 *
 * - `fate`: `hung` (the peer's process stops; its kernel still answers:
 *   mostly dead) | `vanished` (the peer's host drops every packet: all
 *   dead) | `rebooted` (the host comes back without the connection, so the
 *   next segment it receives is answered with RST)
 * - `detector`: `none` (the watcher only polls) | `keepalive` (SO_KEEPALIVE,
 *   idle 1 s, interval 1 s, 2 probes) | `user_timeout` (TCP_USER_TIMEOUT
 *   1.5 s, with data sent after the fate) | `write` (data sent after the
 *   fate, no options)
 *
 * The connection runs between two network namespaces of the trial's own,
 * joined by a veth pair (`lib/net/namespaces.ts`); the wire is captured on
 * the watcher's side of it. Sequence: [watcher sets the detector's
 * options], observe both (before), the fate, [watcher send("DATA")], the
 * watcher polls for up to {@linkcode WINDOW_MS} from the fate and reads
 * what poll reports (`watcher.detected`, `watcher.detected_by`, the time in
 * `durations`), observe both (after_watch). Root only (namespaces need
 * CAP_SYS_ADMIN); Linux only. Run alone:
 * `deno task run-all --only deadpeer`.
 *
 * @module
 */

import type { Experiment, Fate, Params, Step } from "../lib/engine/scenario.ts";

/**
 * How long the watcher waits for a sign: keepalive with these settings
 * gives up after idle + count × interval = 3 s, so 4.5 s leaves room and
 * says "nothing" only where nothing comes. Half a second off the probes'
 * whole seconds, so a hung peer's trials all see the same four probes.
 */
export const WINDOW_MS = 4500;

/** The keepalive detector's settings (seconds, seconds, probes). */
export const KEEPALIVE = { idleS: 1, intervalS: 1, count: 2 } as const;
/** The user-timeout detector's TCP_USER_TIMEOUT, in milliseconds. */
export const USER_TIMEOUT_MS = 1500;

/** The steps of one dead-peer case: the client watches, the server dies. */
export function deadpeerSteps(params: Params): Step[] {
  const watcher = { side: "client", as: "watcher" } as const;
  const peer = { side: "server", as: "peer" } as const;
  const steps: Step[] = [];
  if (params.detector === "keepalive") {
    steps.push({ ...watcher, op: "set_keepalive", ...KEEPALIVE });
  }
  if (params.detector === "user_timeout") {
    steps.push({ ...watcher, op: "set_user_timeout", ms: USER_TIMEOUT_MS });
  }
  steps.push(
    { ...watcher, op: "observe", checkpoint: "before" },
    { ...peer, op: "observe", checkpoint: "before" },
    { ...peer, op: "fate", fate: params.fate as Fate },
  );
  if (params.detector === "user_timeout" || params.detector === "write") {
    steps.push({
      ...watcher,
      op: "send",
      data: "DATA",
      checkpoint: "after_fate",
    });
  }
  steps.push(
    { ...watcher, op: "watch", windowMs: WINDOW_MS },
    { ...watcher, op: "observe", checkpoint: "after_watch" },
    { ...peer, op: "observe", checkpoint: "after_watch" },
  );
  return steps;
}

/** Which detector finds which dead peer: 12 cases. */
export const deadpeer: Experiment = {
  name: "deadpeer",
  intent: "Verify which detector (none, keepalive, TCP_USER_TIMEOUT, a " +
    "write) finds a peer whose process hung, whose host vanished, or " +
    "whose host rebooted, with which error and after how long.",
  factors: [
    {
      name: "detector",
      values: ["none", "keepalive", "user_timeout", "write"],
    },
    { name: "fate", values: ["hung", "vanished", "rebooted"] },
  ],
  roles: ["watcher", "peer"],
  checkpoints: ["before", "after_watch"],
  headline: [
    "watcher.detected",
    "watcher.detected_by",
    "watcher.send.after_fate",
    "watcher.tcp_state.after_watch",
    "peer.tcp_state.after_watch",
  ],
  network: "namespaces",
  steps: deadpeerSteps,
};
