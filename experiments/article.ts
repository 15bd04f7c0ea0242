/**
 * The article's experiment (thrig.me, "tcp escoteria", 2023): does
 * `connected()`, a `getpeername()` wrapper, tell the client that the server
 * has gone?
 *
 * The client connects and sends `PING`. The server reads SO_LINGER, sets it
 * to `{1, 0}` in the linger=0 cases, reads it again, checks connected, reads
 * the 4 bytes, sends `PONG`, calls `shutdown(how)`, checks connected, and
 * closes. The client waits until the server's FIN or RST has arrived (the
 * article slept 3 s), checks connected, and closes, leaving `PONG` unread.
 *
 * Run alone: `deno task run-all --only article`.
 *
 * @module
 */

import type { ShutdownHow } from "../ffi/posix.ts";
import type { Experiment, Params, Step } from "../lib/engine/scenario.ts";

/** The article's script as a scenario: linger × shutdown, 6 cases. */
export const article: Experiment = {
  name: "article",
  intent:
    "Verify what connected() (getpeername) reports on both peers when the " +
    "server shuts down and closes, with and without SO_LINGER {1, 0}.",
  factors: [
    { name: "linger", values: ["off", "0"] },
    { name: "shutdown", values: ["rd", "wr", "rdwr"] },
  ],
  roles: ["client", "server"],
  checkpoints: [
    "before",
    "after",
    "before_read",
    "after_shutdown",
    "after_wait",
  ],
  headline: [
    "server.linger.before",
    "server.linger.after",
    "server.connected.before_read",
    "server.connected.after_shutdown",
    "client.connected.after_wait",
    "client.poll.after_wait",
  ],
  steps: (params: Params): Step[] => [
    { side: "client", op: "send", data: "PING" },
    { side: "server", op: "get_linger", checkpoint: "before" },
    ...(params.linger === "0"
      ? [
        {
          side: "server",
          op: "set_linger",
          linger: { onoff: 1, seconds: 0 },
        } as const,
      ]
      : []),
    { side: "server", op: "get_linger", checkpoint: "after" },
    { side: "server", op: "connected", checkpoint: "before_read" },
    { side: "server", op: "recv", bytes: 4 },
    { side: "server", op: "send", data: "PONG" },
    { side: "server", op: "shutdown", how: params.shutdown as ShutdownHow },
    { side: "server", op: "connected", checkpoint: "after_shutdown" },
    { side: "server", op: "close" },
    { side: "client", op: "await_teardown", checkpoint: "after_wait" },
    { side: "client", op: "connected", checkpoint: "after_wait" },
    { side: "client", op: "close" },
  ],
};
