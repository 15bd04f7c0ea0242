import assert from "node:assert/strict";
import { tracerMissing } from "../testing/tracer.ts";
import { hostPosix } from "../../ffi/posix.ts";
import { Deadline } from "../net/deadline.ts";
import { connectLoopback } from "../net/loopback.ts";
import { printedAsNobody } from "../testing/unprivileged.ts";
import {
  instanceName,
  instancePath,
  instancesOf,
  KernelTracer,
  openTracer,
  removeStaleInstances,
  stateFilter,
  TraceClock,
} from "./tracer.ts";
import { LinuxFiles } from "../../ffi/linux/files.ts";

const posix = hostPosix();
const linux = Deno.build.os === "linux";

const noTracer = tracerMissing();

/**
 * A connection opened and torn down the article's way, then closed; its
 * window on the trace clock.
 */
function articleTeardown(clock: TraceClock) {
  const fds: number[] = [];
  let start = { start: 0, startUnix: 0 };
  const { client, server, endpoints } = connectLoopback(posix, {
    family: "inet",
    address: "127.0.0.1",
    reuseAddress: true,
    deadline: new Deadline(2000),
    opened: (fd) => fds.push(fd),
    closed: (fd) => posix.close(fd),
    listening: () => {
      start = clock.begin();
    },
  });
  try {
    posix.send(server, new TextEncoder().encode("PONG"));
    posix.shutdown(server, "wr");
    posix.close(server);
    posix.poll([], 20);
    posix.close(client); // PONG unread: an RST
    posix.poll([], 5);
  } finally {
    for (const fd of fds) if (fd !== client && fd !== server) posix.close(fd);
  }
  return { endpoints, window: { ...start, end: clock.now() } };
}

Deno.test({
  name:
    "a tracer tells each connection's transitions and RST reason by its ports and window, and leaves no instance behind",
  ignore: noTracer !== null,
  fn: () => {
    const tracer = KernelTracer.open(posix, instanceName(901));
    assert.ok(!("unavailable" in tracer));
    assert.deepEqual(instancesOf(posix), [instanceName(901)]);
    const clock = new TraceClock(posix);
    try {
      const first = articleTeardown(clock);
      // A second connection after it: its own story, and none of it in the
      // first's window.
      const second = articleTeardown(clock);
      const story = tracer.storyOf(first.endpoints, first.window);
      const client = story.transitions.filter((t) => t.side === "client")
        .map((t) => `${t.from}>${t.to}`);
      assert.deepEqual(client, [
        "CLOSED>SYN_SENT",
        "SYN_SENT>ESTABLISHED",
        "ESTABLISHED>CLOSE_WAIT",
        "CLOSE_WAIT>CLOSED",
      ]);
      assert.ok(
        story.transitions.some((t) =>
          t.side === "server" && t.from === "ESTABLISHED" &&
          t.to === "FIN_WAIT1"
        ),
      );
      assert.deepEqual(
        story.resets.map(({ side, reason }) => ({ side, reason })),
        [{ side: "client", reason: "TCP_ABORT_ON_CLOSE" }],
      );
      const times = story.transitions.map((t) => t.t);
      assert.deepEqual(times, [...times].sort((a, b) => a - b));
      assert.ok(times.every((t) => t <= first.window.end - first.window.start));
      const again = tracer.storyOf(second.endpoints, second.window);
      assert.equal(again.transitions.length, story.transitions.length);
      // The first connection in the second's window: nothing.
      assert.deepEqual(tracer.storyOf(first.endpoints, second.window), {
        transitions: [],
        resets: [],
      });
    } finally {
      tracer.close();
    }
    assert.deepEqual(instancesOf(posix), []);
  },
});

Deno.test({
  name:
    "openTracer() removes instances left by runs that no longer exist, and no others",
  ignore: noTracer !== null,
  fn: async () => {
    // A pid that existed and is gone: a finished child's.
    const child = new Deno.Command("true").spawn();
    const { success } = await child.status;
    assert.ok(success);
    const files = new LinuxFiles(posix);
    const stale = `escoteria-${child.pid}-3`;
    const living = `escoteria-1-0`; // init always exists
    assert.equal(files.mkdir(instancePath(stale)).ret, 0);
    assert.equal(files.mkdir(instancePath(living)).ret, 0);
    try {
      // (Others' may go too: those of runs killed on this machine.)
      const removed = removeStaleInstances(posix);
      assert.ok(removed.includes(stale), removed.join(" "));
      assert.ok(!removed.includes(living), removed.join(" "));
      assert.deepEqual(instancesOf(posix, child.pid), []);
      assert.deepEqual(instancesOf(posix, 1), [living]);
    } finally {
      files.rmdir(instancePath(stale));
      files.rmdir(instancePath(living));
    }
  },
});

Deno.test("stateFilter() keeps TCP with a port in the ephemeral range, or all TCP where the range is unknown", () => {
  assert.equal(
    stateFilter([32768, 60999]),
    "protocol == 6 && ((sport >= 32768 && sport <= 60999) || (dport >= 32768 && dport <= 60999))",
  );
  assert.equal(stateFilter(null), "protocol == 6");
});

const UNPRIVILEGED = `
import { hostPosix } from "${new URL("../../ffi/posix.ts", import.meta.url)}";
import { openTracer } from "${new URL("./tracer.ts", import.meta.url)}";
const t = openTracer(hostPosix(), "escoteria-" + Deno.pid + "-0");
console.log("unavailable" in t ? t.unavailable : "traced");
`;

Deno.test({
  name: "without root the tracer says why, in one sentence naming root",
  ignore: !linux,
  fn: async () => {
    let said: string;
    if (Deno.uid() !== 0) {
      const t = openTracer(posix, instanceName(0));
      assert.ok("unavailable" in t);
      said = t.unavailable;
    } else {
      said = await printedAsNobody(UNPRIVILEGED, [
        "--allow-ffi",
        "--allow-env",
        "--allow-read",
      ]);
    }
    assert.match(said, /need root/);
    assert.doesNotMatch(said, /\n/);
  },
});
