/**
 * What close() does with data it could not send yet: the actor has filled
 * its send buffer towards a peer that stopped reading (the peer's window is
 * closed, the rest waits in the actor's buffer), then closes under each
 * SO_LINGER setting, on a blocking or a non-blocking socket. "SO_LINGER
 * with a positive timeout has various concerns with non-blocking I/O"
 * (the article): here they are measured.
 *
 * - `linger`: `off` | `0` (`{1, 0}`) | `2` (`{1, 2}` seconds)
 * - `blocking`: `yes` (O_NONBLOCK cleared before close()) | `no`
 *
 * Sequence: [actor clears O_NONBLOCK], actor send() until its buffer is
 * full (`actor.fill`), [actor setsockopt(SO_LINGER)], observe both
 * (before), actor close() (`actor.close`, its time in `durations`), observe
 * the peer (after_close), peer recv() until end of file or an error
 * (`peer.drain`, `peer.received`: all, part or none of what the actor's
 * send() took), observe the peer (after_drain). The wire shows what was
 * sent after close(): the rest of the data and a FIN, or an RST.
 * Run alone: `deno task run-all --only slowclose`.
 *
 * @module
 */

import type { Experiment, Params, Step } from "../lib/engine/scenario.ts";

/** The actor's SO_SNDBUF: small, so the data left unsent is small. */
export const SEND_BUFFER = 8192;
/** The peer's SO_RCVBUF, so its window closes after little data. */
export const RECEIVE_BUFFER = 8192;

/** The steps of one slow-close case: the client acts, the server reads late. */
export function slowcloseSteps(params: Params): Step[] {
  const actor = { side: "client", as: "actor" } as const;
  const peer = { side: "server", as: "peer" } as const;
  const steps: Step[] = [
    { ...actor, op: "set_buffer", buffer: "send", bytes: SEND_BUFFER },
    { ...peer, op: "set_buffer", buffer: "receive", bytes: RECEIVE_BUFFER },
  ];
  if (params.blocking === "yes") {
    steps.push({ ...actor, op: "set_blocking", blocking: true });
  }
  steps.push({ ...actor, op: "fill" });
  if (params.linger !== "off") {
    steps.push({
      ...actor,
      op: "set_linger",
      linger: { onoff: 1, seconds: Number(params.linger) },
    });
  }
  steps.push(
    { ...actor, op: "observe", checkpoint: "before" },
    { ...peer, op: "observe", checkpoint: "before" },
    { ...actor, op: "close" },
    // What the peer can see without taking the pending error or the data.
    {
      ...peer,
      op: "observe",
      checkpoint: "after_close",
      observers: ["poll", "tcp_state"],
    },
    { ...peer, op: "drain" },
    { ...peer, op: "settle" },
    { ...peer, op: "observe", checkpoint: "after_drain" },
  );
  return steps;
}

/** close() with unsent data, under each linger setting: 6 cases. */
export const slowclose: Experiment = {
  name: "slowclose",
  intent: "Verify what close() returns and how long it takes when the send " +
    "buffer holds data a non-reading peer has not taken, under each " +
    "SO_LINGER setting on blocking and non-blocking sockets, and what the " +
    "peer and the wire see of that data.",
  factors: [
    { name: "linger", values: ["off", "0", "2"] },
    { name: "blocking", values: ["yes", "no"] },
  ],
  roles: ["actor", "peer"],
  checkpoints: ["before", "after_close", "after_drain"],
  headline: [
    "actor.fill",
    "actor.close",
    "peer.poll.after_close",
    "peer.drain",
    "peer.received",
  ],
  steps: slowcloseSteps,
};
