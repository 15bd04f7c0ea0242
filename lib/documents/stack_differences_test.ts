import assert from "node:assert/strict";
import { EXPERIMENTS } from "../../experiments/mod.ts";
import {
  type CaseResult,
  type Platform,
  readResults,
  type Results,
  type TrialResult,
} from "../results/format.ts";
import {
  caseDifference,
  headlineOf,
  MAX_EXAMPLES,
  stackPairs,
  stacksAnswer,
} from "./stack_differences.ts";
import { couldNotRun } from "../testing/answers.ts";

const HOST = readResults(
  new URL("../../results/linux-x86_64-6.18.json", import.meta.url).pathname,
);
const RESET = "reset/first=recv,reset=abortive";
const GVISOR = {
  name: "gvisor",
  kind: "gvisor",
  version: "0.0~20221219.0",
  ran: "in runsc",
} as const;

/** A copy of the host's results as gVisor's, `edit`ed. */
function gvisor(edit: (r: Results) => void = () => {}): Results {
  const copy = structuredClone(HOST);
  copy.platform.id = "linux-x86_64-gvisor-20221219";
  copy.platform.stack = { ...GVISOR };
  edit(copy);
  return copy;
}

function find(r: Results, id: string): CaseResult {
  const c = r.cases.find((c) => c.id === id);
  assert.ok(c, `no case ${id}`);
  return c;
}

/** Edits every trial of case `id` (the case keeps the first trial's). */
function everyTrial(
  r: Results,
  id: string,
  edit: (t: TrialResult, n: number) => void,
): void {
  const c = find(r, id);
  c.trials.forEach(edit);
  c.observations = { ...c.trials[0]!.observations };
}

function bare(
  id: string,
  os: Platform["os"],
  extra: Partial<Platform> = {},
): Results {
  return {
    schemaVersion: 2,
    platform: {
      id,
      os,
      osRelease: "1",
      arch: id.split("-")[1]!,
      deno: null,
      source: "run",
      ...extra,
    },
    cases: [],
  };
}

Deno.test("stackPairs() compares each run platform with the first of its OS in platform order", () => {
  const pairs = stackPairs([
    bare("openbsd-amd64-article", "openbsd", { source: "transcribed" }),
    bare("freebsd-amd64-b", "freebsd"),
    bare("linux-x86_64-a", "linux", { stack: { ...GVISOR } }),
    bare("freebsd-amd64", "freebsd"),
    bare("linux-x86_64-z", "linux", {
      stack: { name: "host", kind: "linux", version: "1", ran: "on the host" },
    }),
    bare("openbsd-amd64", "openbsd"),
  ]);
  // The host is the baseline although its id sorts last; OpenBSD's only
  // run has nothing to be compared with, and a transcription is no run.
  assert.deepEqual(
    pairs.map((p) => [p.results.platform.id, p.baseline.platform.id]),
    [
      ["linux-x86_64-a", "linux-x86_64-z"],
      ["freebsd-amd64-b", "freebsd-amd64"],
    ],
  );
});

Deno.test("stacksAnswer() is left out when no run platform has another of its OS", () => {
  const transcribed = gvisor((r) => (r.platform.source = "transcribed"));
  assert.equal(stacksAnswer([HOST, transcribed], EXPERIMENTS), null);
  assert.equal(stacksAnswer([HOST], EXPERIMENTS), null);
});

Deno.test("stacksAnswer() says a stack that answered alike is identical, in one line and no rows", () => {
  const a = stacksAnswer([gvisor(), HOST], EXPERIMENTS)!;
  assert.deepEqual(a.platforms.map((p) => p.id), [
    "linux-x86_64-gvisor-20221219",
  ]);
  assert.deepEqual(a.summary, [
    "identical to linux-x86_64-6.18 (host) in all 126 cases both ran.",
  ]);
  assert.deepEqual(a.rows, []);
});

Deno.test("stacksAnswer() counts from the data and shows the most telling difference first", () => {
  const teardowns = HOST.cases.filter((c) =>
    c.experiment === "teardown" &&
    c.observations["peer.poll.after_close"] === "POLLIN|POLLOUT|POLLRDHUP"
  ).map((c) => c.id);
  assert.equal(teardowns.length, 40);
  const other = gvisor((r) => {
    // Forty cases lack POLLRDHUP; one reports another error, on another
    // wire; a last one only saw another wire.
    for (const id of teardowns) {
      everyTrial(r, id, (t) => {
        t.observations["peer.poll.after_close"] = "POLLIN|POLLOUT";
      });
    }
    everyTrial(r, RESET, (t) => {
      t.observations["peer.recv.first"] = "ECONNABORTED";
      t.wire!.at(-1)!.flags = "R";
    });
    everyTrial(r, "reset/first=send,reset=abortive", (t) => {
      t.wire!.splice(3, 0, { from: "client", flags: ".", len: 0 });
      t.wireCleanupAt = t.wire!.length;
    });
  });
  const a = stacksAnswer([HOST, other], EXPERIMENTS)!;
  assert.deepEqual(a.summary, [
    "41 of 126 cases both ran differ from linux-x86_64-6.18 (host) in " +
    "observations, 2 on the wire; 84 identical.",
  ]);
  assert.deepEqual(
    a.rows.map((r) => [r.label, r.cells[0]!.text, r.cells[0]!.caseId]),
    [
      [
        "reset: reset=abortive first=recv",
        "peer.recv.first ECONNABORTED (host: ECONNRESET); wire …←R (host: …←R.)",
        RESET,
      ],
      [
        "reset: reset=abortive first=send",
        "wire …→. ←R. (host: …←R.)",
        "reset/first=send,reset=abortive",
      ],
      [
        "teardown: actor=client linger=off shutdown=none close=yes unread=none",
        "peer.poll.after_close −POLLRDHUP (40 cases alike)",
        "teardown/actor=client,close=yes,linger=off,shutdown=none,unread=none",
      ],
    ],
  );
});

Deno.test(`stacksAnswer() shows at most ${MAX_EXAMPLES} cases, round the stacks in turn`, () => {
  const ids = HOST.cases.filter((c) => c.experiment === "reset").map((c) =>
    c.id
  );
  const other = gvisor((r) => {
    ids.forEach((id, n) =>
      everyTrial(r, id, (t) => (t.observations["peer.recv.again"] = `E${n}`))
    );
  });
  const older = gvisor((r) => {
    r.platform.id = "linux-x86_64-6.1";
    r.platform.stack = { ...GVISOR, name: "linux-6.1", kind: "linux" };
    everyTrial(r, ids[5]!, (t) => (t.observations["peer.recv.then"] = "X"));
  });
  const a = stacksAnswer([HOST, other, older], EXPERIMENTS)!;
  assert.deepEqual(a.platforms.map((p) => p.id), [
    "linux-x86_64-6.1",
    "linux-x86_64-gvisor-20221219",
  ]);
  assert.equal(a.rows.length, MAX_EXAMPLES);
  // 6.1's only difference comes first, then gVisor's; 6.1 is identical in
  // gVisor's cases, but for the one both differ in.
  assert.deepEqual(
    a.rows.map((r) => r.cells.map((c) => c.text)),
    [
      [
        "peer.recv.then X (host: eof)",
        "peer.recv.again E5 (host: eof)",
      ],
      // gVisor's in the experiment's case order (E is the order by id).
      ["identical", "peer.recv.again E0 (host: eof)"],
      ["identical", "peer.recv.again E4 (host: eof)"],
      ["identical", "peer.recv.again E2 (host: eof)"],
      ["identical", "peer.recv.again E1 (host: eof)"],
    ],
  );
});

Deno.test("caseDifference() words the first difference", async (t) => {
  const host = find(HOST, RESET);
  const reset = EXPERIMENTS.find((e) => e.name === "reset");
  const cases: [string, (c: CaseResult) => void, string | null][] = [
    ["nothing changed", () => {}, null],
    [
      "a call's result, before what poll showed at the same checkpoint",
      (c) =>
        c.trials.forEach((t) => {
          t.observations["peer.poll.then"] = "POLLIN|POLLPRI|POLLOUT|POLLHUP";
          t.observations["peer.so_error.then"] = "EPIPE";
        }),
      "peer.so_error.then EPIPE (host: none)",
    ],
    [
      "poll flags shown beyond or lacking, when nothing else differs",
      (c) =>
        c.trials.forEach((t) => {
          t.observations["peer.poll.then"] = "POLLIN|POLLPRI|POLLOUT|POLLHUP";
        }),
      "peer.poll.then +POLLPRI −POLLRDHUP",
    ],
    [
      "the earliest checkpoint that differs",
      (c) =>
        c.trials.forEach((t) => {
          t.observations["peer.recv.again"] = "ECONNRESET";
          t.observations["peer.tcp_state.then"] = "CLOSE_WAIT";
        }),
      "peer.tcp_state.then CLOSE_WAIT (host: CLOSED)",
    ],
    [
      "a key one side never recorded",
      (c) => c.trials.forEach((t) => delete t.observations["peer.recv.then"]),
      "peer.recv.then — (host: eof)",
    ],
    [
      "a value only the first trial saw",
      (c) => {
        c.trials[0]!.observations["peer.recv.then"] = "bytes:4";
        c.unstableKeys = ["peer.recv.then"];
        c.stable = false;
      },
      "peer.recv.then bytes:4 (host: eof; trials disagree)",
    ],
    [
      "a value only a later trial saw",
      (c) => {
        c.trials[1]!.observations["peer.recv.then"] = "bytes:4";
        c.unstableKeys = ["peer.recv.then"];
        c.stable = false;
      },
      "its trials disagree: peer.recv.then",
    ],
    [
      "a trial that stopped early, and the keys it never reached",
      (c) =>
        c.trials.forEach((t) => {
          t.error = "peer: settle: nothing within 2000 ms";
          delete t.observations["peer.recv.again"];
        }),
      "stopped: peer: settle: nothing within 2000 ms",
    ],
    [
      "a wire that goes on where the host's ends",
      (c) =>
        c.trials.forEach((t) =>
          t.wire!.push({ from: "client", flags: "R", len: 0 })
        ),
      "wire … · cleanup: →R (host: nothing more)",
    ],
  ];
  for (const [name, edit, expected] of cases) {
    await t.step(name, () => {
      const mine = structuredClone(host);
      edit(mine);
      mine.observations = { ...mine.trials[0]!.observations };
      const d = caseDifference(mine, host, reset, "host");
      assert.equal(headlineOf(d), expected);
      assert.equal(d.noWire, false);
    });
  }
});

Deno.test("caseDifference() leaves the wire uncompared where a side has no wire evidence", () => {
  const host = find(HOST, RESET);
  const mine = structuredClone(host);
  for (const t of mine.trials) {
    t.wire = null;
    t.wireUnavailable = "no CAP_NET_RAW";
  }
  const d = caseDifference(mine, host, undefined, "host");
  assert.deepEqual([d.observations, d.wire, d.noWire, headlineOf(d)], [
    false,
    false,
    true,
    null,
  ]);
  const a = stacksAnswer(
    [HOST, gvisor((r) => (r.cases = [mine]))],
    EXPERIMENTS,
  )!;
  assert.deepEqual(a.summary, [
    "identical to linux-x86_64-6.18 (host) in the 1 case both ran (1 not " +
    "compared on the wire: no wire evidence).",
  ]);
});

Deno.test("stacksAnswer() leaves out the cases a stack could not run, and says why", () => {
  const other = gvisor((r) =>
    couldNotRun(
      r,
      "deadpeer",
      "not run: this system cannot move a thread between namespaces",
    )
  );
  const a = stacksAnswer([HOST, other], EXPERIMENTS)!;
  assert.deepEqual(a.summary, [
    "identical to linux-x86_64-6.18 (host) in all 114 cases both ran. " +
    "12 cases could not run on gvisor: not run: this system cannot move a " +
    "thread between namespaces.",
  ]);
});
