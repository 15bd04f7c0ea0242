import assert from "node:assert/strict";
import { isDeepStrictEqual } from "node:util";
import { hostPosix, unwrap } from "../../ffi/posix.ts";
import { formatEndpoint } from "../../ffi/sockaddr.ts";
import { article } from "../../experiments/article.ts";
import { teardown } from "../../experiments/teardown.ts";
import { BPF } from "../../ffi/linux/bpf.ts";
import {
  LOOPBACK_TCP_FILTER,
  type LoopbackCapture,
  openCapture,
  portFilter,
} from "./capture.ts";
import { openLoopbackPair } from "../testing/loopback.ts";
import { Deadline, DeadlineExceeded } from "../net/deadline.ts";
import type { Segment, TrialResult } from "../results/format.ts";
import { runCase } from "../engine/run.ts";
import { type Case, expandCases } from "../engine/scenario.ts";
import { openSocketCount } from "../testing/fds.ts";
import {
  parseTcpdump,
  startTcpdump,
  tcpdumpMissing,
  tcpdumpSegments,
} from "../testing/tcpdump.ts";
import {
  DEFAULT_TRIAL_OPTIONS,
  runTrial,
  type TrialOptions,
} from "../engine/trial.ts";

const posix = hostPosix();

/** Why this process cannot capture, or `null` when it can. */
function captureMissing(): string | null {
  const probe = openCapture(posix);
  if ("unavailable" in probe) return probe.unavailable;
  probe.close();
  return null;
}

const noCapture = captureMissing();
const noTcpdump = noCapture ?? tcpdumpMissing();
if (noCapture) console.warn(`capture tests skipped: ${noCapture}`);
else if (noTcpdump) console.warn(`tcpdump cross-check skipped: ${noTcpdump}`);

const CASES = new Map(
  [...expandCases(article), ...expandCases(teardown)].map((c) => [c.id, c]),
);

function caseById(id: string): Case {
  const c = CASES.get(id);
  if (!c) throw new RangeError(`No case ${id}`);
  return c;
}

/** Runs `fn` with an open capture, closing it whatever happens. */
function withCapture<T>(fn: (capture: LoopbackCapture) => T): T {
  const capture = openCapture(posix);
  if ("unavailable" in capture) throw new Error(capture.unavailable);
  try {
    return fn(capture);
  } finally {
    capture.close();
  }
}

function runWithCapture(
  capture: LoopbackCapture,
  id: string,
  trials = 1,
  extra: Partial<TrialOptions> = {},
): TrialResult[] {
  const options = { ...DEFAULT_TRIAL_OPTIONS, ...extra, wire: capture };
  const result = runCase(posix, caseById(id), trials, options);
  for (const t of result.trials) assert.equal(t.error ?? null, null, id);
  return result.trials;
}

function show(wire: readonly Segment[] | null | undefined): string {
  return (wire ?? []).map((s) => `${s.from}:${s.flags}:${s.len}`).join(" ");
}

function sentFlags(wire: readonly Segment[], from: Segment["from"]): string[] {
  return wire.filter((s) => s.from === from).map((s) => s.flags);
}

const HANDSHAKE = [
  { from: "client", flags: "S", len: 0 },
  { from: "server", flags: "S.", len: 0 },
  { from: "client", flags: ".", len: 0 },
];

Deno.test({
  name:
    "every captured trial opens with the handshake S, S., . over IPv4 and IPv6",
  ignore: noCapture !== null,
  fn: () => {
    withCapture((capture) => {
      const families = [
        { family: "inet", address: "127.0.0.1" },
        { family: "inet6", address: "::1" },
      ] as const;
      for (const where of families) {
        const options = { ...DEFAULT_TRIAL_OPTIONS, ...where, wire: capture };
        const trial = runTrial(posix, [], options);
        assert.equal(trial.error, null);
        const wire = trial.wire ?? [];
        assert.deepEqual(wire.slice(0, 3), HANDSHAKE, show(wire));
        // Both sides closed without data: one FIN each, no reset.
        assert.deepEqual(
          wire.filter((s) => s.flags.includes("F")).map((s) => s.from).sort(),
          ["client", "server"],
          show(wire),
        );
        assert.ok(!wire.some((s) => s.flags.includes("R")), show(wire));
      }
    });
  },
});

Deno.test({
  name: "linger {1, 0} then close() makes the actor send a reset and no FIN",
  ignore: noCapture !== null,
  fn: () => {
    withCapture((capture) => {
      for (const actor of ["client", "server"] as const) {
        const id =
          `teardown/actor=${actor},close=yes,linger=0,shutdown=none,unread=none`;
        const [trial] = runWithCapture(capture, id);
        const wire = trial!.wire ?? [];
        assert.deepEqual(wire.slice(0, 3), HANDSHAKE, show(wire));
        const sent = sentFlags(wire.slice(3), actor);
        assert.ok(sent.includes("R.") || sent.includes("R"), show(wire));
        assert.ok(!sent.some((f) => f.includes("F")), show(wire));
      }
      const [trial] = runWithCapture(capture, "article/linger=0,shutdown=rd");
      const wire = trial!.wire ?? [];
      assert.equal(show(wire.slice(-1)), "server:R.:0", show(wire));
      assert.ok(!sentFlags(wire, "server").some((f) => f.includes("F")));
    });
  },
});

Deno.test({
  name: "shutdown(SHUT_WR) makes the actor send a FIN and no reset",
  ignore: noCapture !== null,
  fn: () => {
    withCapture((capture) => {
      for (const actor of ["client", "server"] as const) {
        const id =
          `teardown/actor=${actor},close=no,linger=off,shutdown=wr,unread=none`;
        const [trial] = runWithCapture(capture, id);
        const wire = trial!.wire ?? [];
        const sent = sentFlags(wire.slice(3), actor);
        assert.equal(sent.filter((f) => f === "F.").length, 1, show(wire));
        // The peer's two "MORE" sends arrive and are acknowledged.
        const peer = actor === "client" ? "server" : "client";
        assert.deepEqual(
          wire.filter((s) => s.from === peer && s.len > 0).map((s) => s.len),
          [4, 4],
          show(wire),
        );
      }
    });
  },
});

Deno.test({
  name: "opening and closing a capture leaves no descriptor behind",
  ignore: noCapture !== null,
  fn: () => {
    const before = openSocketCount();
    for (let i = 0; i < 20; i++) {
      withCapture((capture) => {
        capture.waitQuiet(1, new Deadline(1000));
      });
    }
    assert.equal(openSocketCount(), before);
  },
});

Deno.test({
  name:
    "a capture not yet focused reads every loopback TCP connection (the stamp probe's port filter is gone)",
  ignore: noCapture !== null,
  fn: () => {
    withCapture((capture) => {
      const a = openLoopbackPair(posix, "inet");
      try {
        posix.send(a.client, new TextEncoder().encode("PING"));
        capture.waitQuiet(5, new Deadline(2000), a.endpoints);
        const wire = capture.segments(a.endpoints);
        assert.deepEqual(
          wire.map((s) => s.flags).slice(0, 3),
          ["S", "S.", "."],
          show(wire),
        );
        assert.ok(wire.some((s) => s.len === 4), show(wire));
      } finally {
        posix.close(a.client);
        posix.close(a.server);
      }
    });
  },
});

/** A SYN to a port nobody listens on, answered by RST: the sentinel. */
function sendSentinel(): number {
  const loopback = { family: "inet", address: "127.0.0.1", port: 0 } as const;
  const closed = unwrap(posix, "socket", posix.socket("inet"));
  const client = unwrap(posix, "socket", posix.socket("inet"));
  try {
    unwrap(posix, "bind", posix.bind(closed, loopback));
    const target = posix.getsockname(closed).value!;
    posix.connect(client, target); // EINPROGRESS, then refused
    return target.port;
  } finally {
    posix.close(client);
    posix.close(closed);
  }
}

/**
 * Runs the cross-checked trials under a live tcpdump; returns every trial
 * whose wire differs from what tcpdump saw, and how many packets tcpdump
 * says the kernel dropped on its side.
 */
async function crossCheck(): Promise<
  { differing: string[]; trials: number; tcpdumpDropped: number | null }
> {
  const dump = await startTcpdump();
  const trials: { id: string; trial: TrialResult }[] = [];
  let stopped = false;
  try {
    withCapture((capture) => {
      const ids = [
        ...expandCases(article).map((c) => c.id),
        "teardown/actor=client,close=yes,linger=0,shutdown=none,unread=pending",
        "teardown/actor=server,close=yes,linger=off,shutdown=wr,unread=none",
        "teardown/actor=client,close=no,linger=off,shutdown=rd,unread=none",
        "teardown/actor=server,close=yes,linger=1,shutdown=rdwr,unread=pending",
      ];
      for (const id of ids) {
        for (const trial of runWithCapture(capture, id, 2)) {
          trials.push({ id, trial });
        }
      }
      const six = { family: "inet6", address: "::1" } as const;
      for (const trial of runWithCapture(capture, ids[0]!, 2, six)) {
        trials.push({ id: `${ids[0]} over IPv6`, trial });
      }
      assert.equal(capture.dropped, 0, "the kernel dropped frames");
    });
    // tcpdump reads in order: once it shows the sentinel's reset, it has
    // shown every segment of every trial.
    const port = sendSentinel();
    const sentinel = `127.0.0.1:${port}`;
    await dump.waitFor(
      (l) => l.src === sentinel && l.flags.includes("R"),
      10_000,
    );
    const lines = parseTcpdump(await dump.stop());
    stopped = true;
    const differing = trials.flatMap(({ id, trial }) => {
      const theirs = tcpdumpSegments(lines, trial.endpoints!);
      return theirs.length >= 5 && isDeepStrictEqual(trial.wire, theirs)
        ? []
        : [
          `${id} ${trial.endpoints!.client}: ours ${
            show(trial.wire)
          }, tcpdump ${show(theirs)}`,
        ];
    });
    return {
      differing,
      trials: trials.length,
      tcpdumpDropped: dump.dropped(),
    };
  } finally {
    if (!stopped) await dump.stop();
  }
}

Deno.test({
  name:
    "each trial's wire agrees segment for segment with what tcpdump saw of its connection",
  ignore: noTcpdump !== null,
  fn: async () => {
    let seen = await crossCheck();
    // A packet tcpdump's own socket lost is tcpdump's miss, not ours: the
    // check runs once more, and says so if it fails again.
    if (seen.differing.length && (seen.tcpdumpDropped ?? 0) > 0) {
      seen = await crossCheck();
    }
    assert.ok(seen.trials > 20);
    assert.deepEqual(
      seen.differing,
      [],
      `${seen.differing.length} of ${seen.trials} trials differ; tcpdump ` +
        `says the kernel dropped ${seen.tcpdumpDropped ?? "no"} packets`,
    );
  },
});

Deno.test("formatEndpoint() writes endpoints the way tcpdump lines are mapped", () => {
  const lines = parseTcpdump(
    "12:00:00.000001 IP6 ::1.40000 > ::1.5000: Flags [S], seq 1, win 65476, length 0\n" +
      "12:00:00.000002 IP 127.0.0.1.5000 > 127.0.0.1.40000: Flags [R.], seq 0, ack 1, win 0, length 0\n",
  );
  assert.deepEqual(lines.map((l) => l.src), [
    formatEndpoint({ family: "inet6", address: "::1", port: 40000 }),
    formatEndpoint({ family: "inet", address: "127.0.0.1", port: 5000 }),
  ]);
  assert.deepEqual(lines.map((l) => [l.flags, l.len]), [["S", 0], ["R.", 0]]);
});

for (
  const [name, program] of [
    ["loopback filter", LOOPBACK_TCP_FILTER],
    ["port filter", portFilter(40000)],
  ] as const
) {
  Deno.test(`every jump of the ${name} lands on an instruction and every path returns`, () => {
    program.forEach((insn, i) => {
      if ((insn.code & 0x07) === BPF.JMP) {
        assert.ok(i + 1 + insn.jt < program.length, `jt of ${i}`);
        assert.ok(i + 1 + insn.jf < program.length, `jf of ${i}`);
      }
    });
    assert.equal(program.at(-1)!.code, BPF.RET | BPF.K);
    assert.equal(program.at(-1)!.k, 0);
  });
}

Deno.test({
  name:
    "a focused capture keeps every segment of its port's connection and none of another's, over IPv4 and IPv6",
  ignore: noCapture !== null,
  fn: () => {
    for (const family of ["inet", "inet6"] as const) {
      withCapture((capture) => {
        const a = openLoopbackPair(posix, family);
        capture.focus(a.endpoints.server.port);
        const b = openLoopbackPair(posix, family);
        const open = new Set([a.client, a.server, b.client, b.server]);
        try {
          for (const pair of [a, b]) {
            posix.send(pair.client, new TextEncoder().encode("PING"));
            posix.send(pair.server, new TextEncoder().encode("PONG"));
          }
          for (const fd of open) posix.close(fd);
          open.clear();
          capture.waitQuiet(5, new Deadline(2000));
          // a was connected before the focus: its data and its closing
          // (the client's reset: it closed with PONG unread).
          const seen = capture.segments(a.endpoints);
          for (const side of ["client", "server"]) {
            assert.ok(
              seen.some((s) => s.from === side && s.len === 4),
              `${family}: no data from the ${side}: ${show(seen)}`,
            );
          }
          assert.equal(seen.at(-1)?.flags, "R.", `${family}: ${show(seen)}`);
          assert.deepEqual(capture.segments(b.endpoints), [], family);
        } finally {
          for (const fd of open) posix.close(fd);
        }
      });
    }
  },
});

Deno.test({
  name:
    "waitQuiet() returns no sooner than its quiet window and throws when the deadline comes first",
  ignore: noCapture !== null,
  fn: () => {
    withCapture((capture) => {
      const trial = runTrial(posix, [], {
        ...DEFAULT_TRIAL_OPTIONS,
        wire: capture,
      });
      const started = performance.now();
      capture.waitQuiet(20, new Deadline(2000), trial.endpoints!);
      assert.ok(performance.now() - started >= 20);
      assert.throws(
        () => capture.waitQuiet(50, new Deadline(5), trial.endpoints!),
        DeadlineExceeded,
      );
    });
  },
});

Deno.test({
  name:
    "each captured frame carries the kernel's stamp: in order, within the time the connection ran, not when it was read, also in a capture opened as the last one closed",
  ignore: noCapture !== null,
  fn: () => {
    // Closing the last capture schedules the kernel's stamps off and the
    // next opening schedules them on again (net/core/dev.c defers both),
    // so captures opened back to back meet the switch in flight: where a
    // capture did not wait for it, its first frames carried the time of
    // reading (seen in CI on a fresh machine).
    for (let round = 0; round < 8; round++) {
      withCapture((capture) => {
        assert.ok(capture.kernelStamps, `round ${round}: no kernel stamps`);
        const before = Date.now() * 1000;
        const a = openLoopbackPair(posix, "inet");
        capture.focus(a.endpoints.server.port);
        posix.send(a.client, new TextEncoder().encode("PING"));
        posix.close(a.client);
        posix.close(a.server);
        const after = Date.now() * 1000 + 1000;
        // Read well after: a stamp taken at reading would come later.
        posix.poll([], 20);
        capture.waitQuiet(5, new Deadline(2000));
        capture.segments(a.endpoints);
        const stamps = capture.frames(a.endpoints).map((f) => f.timeUs!);
        assert.ok(stamps.length >= 3, `${stamps.length} frames`);
        assert.deepEqual(stamps, [...stamps].sort((x, y) => x - y));
        for (const s of stamps) {
          assert.ok(
            s >= before - 1000 && s <= after,
            `round ${round}: ${s} not in [${before}, ${after}]`,
          );
        }
      });
    }
  },
});
