import assert from "node:assert/strict";
import type { Endpoints } from "../net/endpoints.ts";
import { kernelStory, storyShape } from "./kernel_story.ts";
import type { TraceEvent } from "./trace_events.ts";

const endpoints: Endpoints = {
  client: { family: "inet", address: "127.0.0.1", port: 40000 },
  server: { family: "inet", address: "127.0.0.1", port: 5000 },
};

function change(
  micros: number,
  sport: number,
  dport: number,
  from: string,
  to: string,
): TraceEvent {
  return {
    micros,
    name: "inet_sock_set_state",
    fields: {
      protocol: "IPPROTO_TCP",
      sport: String(sport),
      dport: String(dport),
      oldstate: from,
      newstate: to,
    },
  };
}

function reset(micros: number, src: number, dest: number): TraceEvent {
  return {
    micros,
    name: "tcp_send_reset",
    fields: {
      src: `127.0.0.1:${src}`,
      dest: `127.0.0.1:${dest}`,
      reason: "TCP_ABORT_ON_CLOSE",
    },
  };
}

Deno.test("kernelStory() gives each change its side and its time from the start, and leaves out what is not the connection's", () => {
  const story = kernelStory(
    [
      change(900, 40000, 5000, "TCP_ESTABLISHED", "TCP_CLOSE"), // before the start
      change(1000, 5000, 0, "TCP_CLOSE", "TCP_LISTEN"), // the listener
      change(1010, 0, 5000, "TCP_CLOSE", "TCP_SYN_SENT"), // port not chosen yet
      change(1020, 40000, 5000, "TCP_SYN_SENT", "TCP_ESTABLISHED"),
      change(1030, 5000, 40000, "TCP_LISTEN", "TCP_SYN_RECV"),
      change(1040, 41000, 5000, "TCP_SYN_SENT", "TCP_ESTABLISHED"), // another client
      change(1050, 0, 6000, "TCP_CLOSE", "TCP_SYN_SENT"), // another server
      // A concurrent trial's client, connecting to its own listener, which
      // took port 5000 once this trial's listener had closed.
      change(1060, 0, 5000, "TCP_CLOSE", "TCP_SYN_SENT"),
      reset(2000, 40000, 5000),
      reset(2100, 5001, 40000), // another connection's
    ],
    endpoints,
    1000,
  );
  assert.deepEqual(story, {
    transitions: [
      { side: "client", from: "CLOSED", to: "SYN_SENT", t: 10 },
      { side: "client", from: "SYN_SENT", to: "ESTABLISHED", t: 20 },
      { side: "server", from: "LISTEN", to: "SYN_RECEIVED", t: 30 },
    ],
    resets: [{ side: "client", reason: "TCP_ABORT_ON_CLOSE", t: 1000 }],
  });
});

Deno.test("storyShape() compares the order of changes and resets, not their times", () => {
  const a = kernelStory(
    [change(10, 40000, 5000, "TCP_ESTABLISHED", "TCP_FIN_WAIT1")],
    endpoints,
    0,
  );
  const later = kernelStory(
    [change(99, 40000, 5000, "TCP_ESTABLISHED", "TCP_FIN_WAIT1")],
    endpoints,
    0,
  );
  const other = kernelStory(
    [change(10, 40000, 5000, "TCP_ESTABLISHED", "TCP_CLOSE_WAIT")],
    endpoints,
    0,
  );
  assert.deepEqual(storyShape(a), storyShape(later));
  assert.notDeepEqual(storyShape(a), storyShape(other));
});

Deno.test("kernelStory() places each change among the wire's stamped segments, an event taken at the middle of its microsecond", () => {
  const story = kernelStory(
    [
      change(1010, 0, 5000, "TCP_CLOSE", "TCP_SYN_SENT"),
      change(1020, 40000, 5000, "TCP_SYN_SENT", "TCP_ESTABLISHED"),
      reset(1030, 40000, 5000),
    ],
    endpoints,
    1000,
    // The trial started at 1_000_000_000 µs since the epoch; the SYN was
    // stamped 10.7 µs in (after SYN_SENT at 10.5), the SYN-ACK 19.9 µs in.
    { stamps: [1_000_000_010.7, 1_000_000_019.9], startUnixMicros: 1e9 },
  );
  assert.deepEqual(
    story.transitions.map(({ to, at }) => [to, at]),
    [["SYN_SENT", 0], ["ESTABLISHED", 2]],
  );
  assert.equal(story.resets[0]?.at, 2);
});
