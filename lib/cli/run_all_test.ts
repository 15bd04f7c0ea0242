import assert from "node:assert/strict";
import { RUN_ALL_PERMISSIONS, runScript } from "../testing/subprocess.ts";
import { EXPERIMENTS } from "../../experiments/mod.ts";
import { readResults, type Results, writeResults } from "../results/format.ts";
import { SELF_CHECKS } from "../self_check/self_check.ts";
import { DEFAULT_JOBS } from "../engine/jobs.ts";
import type { Stack, StackKind, StackName } from "../results/stack.ts";
import {
  destination,
  errorLines,
  jobsFor,
  type RunAllOptions,
  selectCases,
  stackJobs,
} from "./run_all.ts";

const script = new URL("./run_all.ts", import.meta.url).pathname;

function runAll(...args: string[]) {
  return runScript(script, RUN_ALL_PERMISSIONS, args);
}

Deno.test("run-all rejects bad input with one line on stderr and exit 2", async (t) => {
  const dir = Deno.makeTempDirSync();
  const cases: [string[], RegExp][] = [
    [["--bogus"], /^run-all: unknown flag --bogus$/],
    [["--only", "nosuch"], /^run-all: nothing matches --only nosuch/],
    [
      ["--trials", "0"],
      /^run-all: --trials must be an integer from 1 to 1000, not "0"$/,
    ],
    [["--trials", "abc"], /^run-all: --trials must be an integer/],
    [["--trials"], /^run-all: flag --trials needs a value/],
    [
      ["--jobs", "0"],
      /^run-all: --jobs must be an integer from 1 to 64, not "0"$/,
    ],
    [["--jobs", "65"], /^run-all: --jobs must be an integer from 1 to 64/],
    [["--list=yes"], /^run-all: flag --list takes no value$/],
    [
      ["--out", `${dir}/x.json/inside.json`],
      /^run-all: cannot use --out .*x\.json\/inside\.json: /,
    ],
    [["stray"], /^run-all: unexpected argument stray$/],
  ];
  Deno.writeTextFileSync(`${dir}/x.json`, "");
  for (const [args, pattern] of cases) {
    await t.step(args.join(" "), async () => {
      const r = await runAll(...args);
      assert.equal(r.code, 2);
      const lines = r.stderr.trimEnd().split("\n");
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, pattern);
      assert.equal(r.stdout, "");
    });
  }
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("run-all --help prints usage and exits 0", async () => {
  const r = await runAll("--help");
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^Usage: deno task run-all/);
});

Deno.test({
  name:
    "run-all writes valid results, and --only keeps the cases it did not run",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const dir = Deno.makeTempDirSync();
    const out = `${dir}/results.json`;
    const full = await runAll(
      "--only",
      "article",
      "--trials",
      "2",
      "--jobs",
      "3",
      "--out",
      out,
    );
    assert.equal(full.code, 0, full.stderr);
    assert.match(
      full.stdout,
      /^time: start \d+ ms, .*\(2 workers, all ready after \d+ ms;/m,
      "12 trials fill 2 workers",
    );
    assert.match(full.stdout, /^article: 6 cases$/m);
    assert.match(full.stdout, /^0 +wr +/m);
    for (const line of full.stdout.split("\n")) {
      assert.ok(line.length <= 100, `${line.length} columns: ${line}`);
    }
    assert.match(full.stdout, new RegExp(`results: ${out}`));
    const first = readResults(out);
    assert.equal(first.cases.length, 6);
    assert.ok(first.cases.every((c) => c.trials.length === 2));

    const some = await runAll(
      "--only",
      "article/linger=0",
      "--trials",
      "1",
      "--out",
      out,
    );
    assert.equal(some.code, 0, some.stderr);
    const second = readResults(out);
    assert.equal(second.cases.length, 6);
    const trials = Object.fromEntries(
      second.cases.map((c) => [c.id, c.trials.length]),
    );
    assert.equal(trials["article/linger=0,shutdown=wr"], 1);
    assert.equal(trials["article/linger=off,shutdown=wr"], 2);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), [
      "results.json",
    ]);
    Deno.removeSync(dir, { recursive: true });
  },
});

Deno.test({
  name:
    "run-all, with its task's permissions, records the kernel's leftovers in every trial on Linux",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const dir = Deno.makeTempDirSync();
    const out = `${dir}/results.json`;
    // The server shuts down first, so it is the side left in TIME_WAIT.
    const id =
      "teardown/actor=server,close=no,linger=off,shutdown=wr,unread=none";
    const run = await runAll("--only", id, "--trials", "2", "--out", out);
    assert.equal(run.code, 0, run.stderr);
    const [result] = readResults(out).cases.filter((c) => c.id === id);
    assert.equal(result?.trials.length, 2);
    for (const trial of result!.trials) {
      assert.equal(trial.leftoversUnavailable, undefined);
      assert.deepEqual(trial.leftovers, [{
        side: "server",
        state: "TIME_WAIT",
      }]);
    }
    Deno.removeSync(dir, { recursive: true });
  },
});

Deno.test("run-all refuses to replace a malformed or foreign results file", async (t) => {
  const dir = Deno.makeTempDirSync();
  const out = `${dir}/results.json`;
  const contents: [string, RegExp][] = [
    ["{ not json", /malformed JSON/],
    ['{"hello": 1}', /\/schemaVersion: missing; not an escoteria results file/],
    [
      JSON.stringify({
        schemaVersion: 2,
        platform: {
          id: "plan9-mips",
          os: "linux",
          osRelease: "x",
          arch: "mips",
          deno: null,
          source: "run",
        },
        cases: [],
      }),
      /\/platform\/id: "plan9-mips" does not start with "linux-mips"/,
    ],
  ];
  for (const [text, pattern] of contents) {
    await t.step(pattern.source, async () => {
      Deno.writeTextFileSync(out, text);
      const r = await runAll("--only", "article", "--out", out);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^run-all: refusing to replace /);
      assert.match(r.stderr, pattern);
      assert.equal(r.stderr.trimEnd().split("\n").length, 1);
      assert.equal(Deno.readTextFileSync(out), text, "the file was changed");
    });
  }
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("run-all --list prints the ids --only selects, one per line, and writes nothing", async () => {
  const dir = Deno.makeTempDirSync();
  const r = await runAll(
    "--list",
    "--only",
    "article/linger=0",
    "--out",
    `${dir}/r.json`,
  );
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trimEnd().split("\n"), [
    "article/linger=0,shutdown=rd",
    "article/linger=0,shutdown=wr",
    "article/linger=0,shutdown=rdwr",
  ]);
  assert.deepEqual([...Deno.readDirSync(dir)], []);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test({
  name:
    "run-all creates a missing --out directory, and never replaces wire evidence with none unless told",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const dir = Deno.makeTempDirSync();
    const out = `${dir}/new/deeper/r.json`;
    const id = "article/linger=0,shutdown=wr";
    const first = await runAll("--only", id, "--trials", "1", "--out", out);
    assert.equal(first.code, 0, first.stderr);
    const before = Deno.readTextFileSync(out);
    const hasWire = readResults(out).cases[0]!.trials[0]!.wire !== null;
    const again = await runAll(
      "--only",
      id,
      "--trials",
      "1",
      "--out",
      out,
      "--no-wire",
    );
    if (hasWire) {
      // Captured before (root): a run without the wire is refused.
      assert.equal(again.code, 2);
      assert.match(
        again.stderr,
        /^run-all: refusing to replace them: 1 case in .* hold wire evidence and this run cannot capture \(not captured: run with --no-wire\); /,
      );
      assert.equal(again.stderr.trimEnd().split("\n").length, 1);
      assert.equal(Deno.readTextFileSync(out), before, "the file changed");
      const allowed = await runAll(
        "--only",
        id,
        "--trials",
        "1",
        "--out",
        out,
        "--no-wire",
        "--allow-less-evidence",
      );
      assert.equal(allowed.code, 0, allowed.stderr);
      assert.equal(readResults(out).cases[0]!.trials[0]!.wire, null);
    } else {
      // Nothing to lose without the privilege: the file is replaced.
      assert.equal(again.code, 0, again.stderr);
    }
    Deno.removeSync(dir, { recursive: true });
  },
});

Deno.test("destination() sends the default file's results to the local folder when they would lose wire evidence", () => {
  const dir = Deno.makeTempDirSync();
  const out = `${dir}/linux-x86_64.json`;
  const local = `${dir}/local`;
  const c = selectCases(EXPERIMENTS, ["article/linger=0,shutdown=wr"])[0]!;
  const trial = (wire: [] | null) => ({
    endpoints: null,
    observations: {},
    wire,
  });
  const results = (wire: [] | null): Results => ({
    schemaVersion: 2,
    platform: {
      id: "linux-x86_64-6.18",
      os: Deno.build.os as "linux",
      osRelease: "x",
      arch: Deno.build.arch,
      deno: null,
      source: "run",
    },
    cases: [{
      id: c.id,
      experiment: "article",
      params: { ...c.params },
      observations: {},
      stable: true,
      trials: [trial(wire)],
    }],
  });
  const options = (outGiven: boolean): RunAllOptions => ({
    stack: "host",
    platform: "linux-x86_64-6.18",
    only: [],
    trials: 1,
    jobs: null,
    out,
    outGiven,
    pcap: null,
    list: false,
    noWire: true,
    noTrace: true,
    allowLessEvidence: false,
  });
  const noTap = { wire: "cannot capture (no privilege)" };
  writeResults(out, results([]));
  const to = destination(options(false), [c], noTap, local);
  assert.equal(to.out, `${local}/linux-x86_64.json`);
  assert.match(
    to.redirected ?? "",
    /1 case in .* hold wire evidence .*no privilege.*wrote .*local/,
  );
  assert.throws(
    () => destination(options(true), [c], noTap, local),
    /refusing to replace them/,
  );
  // With the capture, or over a file without wire, it goes where asked.
  assert.equal(
    destination(options(false), [c], {}, local).out,
    out,
  );
  writeResults(out, results(null));
  assert.equal(destination(options(false), [c], noTap, local).out, out);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("a wrong table stops run-all at the self-check: one line naming the check, exit 3, nothing written", async (t) => {
  const wrongTables =
    new URL("../testing/wrong_tables.ts", import.meta.url).pathname;
  const dir = Deno.makeTempDirSync();
  try {
    const kept = `${dir}/kept.json`;
    Deno.writeTextFileSync(kept, "earlier results\n");
    for (
      const [fault, check] of [
        ["o_nonblock", "socket-nonblocking"],
        ["errno", "getpeername-enotconn"],
        ["sin_len", "sockaddr"],
        ["variadic", "fcntl-nonblocking"],
      ]
    ) {
      await t.step(fault!, async () => {
        for (const out of [`${dir}/new/${fault}.json`, kept]) {
          const r = await runScript(wrongTables, RUN_ALL_PERMISSIONS, [
            fault!,
            "--only",
            "article",
            "--no-wire",
            "--out",
            out,
          ]);
          assert.equal(r.code, 3, r.stderr);
          const lines = r.stderr.trimEnd().split("\n");
          assert.equal(lines.length, 1, r.stderr);
          assert.match(
            lines[0]!,
            new RegExp(
              `^run-all: self-check failed: ${check}: .*; no results written$`,
            ),
          );
          assert.equal(r.stdout, "");
        }
        assert.throws(() => Deno.statSync(`${dir}/new`), Deno.errors.NotFound);
        assert.equal(Deno.readTextFileSync(kept), "earlier results\n");
      });
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("run-all records the self-check it passed in the platform block", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const out = `${dir}/r.json`;
    const r = await runAll(
      "--only",
      "article/linger=off",
      "--no-wire",
      "--trials",
      "1",
      "--out",
      out,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^self-check: all 11 checks passed in \d+\.\d ms$/m);
    const checks = readResults(out).platform.selfCheck ?? [];
    assert.deepEqual(checks.map((c) => c.check), [...SELF_CHECKS]);
    assert.ok(checks.every((c) => c.ok), JSON.stringify(checks));
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("trials run concurrently by default only on Linux's own kernel, and a serial default says why", () => {
  const stack = (name: StackName, kind: StackKind): Stack => ({
    name,
    kind,
    version: "1",
    ran: "here",
  });
  assert.equal(stackJobs(stack("host", "linux")).jobs, DEFAULT_JOBS);
  for (
    const [s, why] of [
      [stack("gvisor", "gvisor"), /asynchronously/],
      [stack("linux-6.1", "linux"), /QEMU's emulated CPUs/],
      [stack("host", "darwin"), /not been compared with serial ones on darwin/],
      [stack("host", "openbsd"), /on openbsd/],
    ] as const
  ) {
    assert.equal(stackJobs(s).jobs, 1, s.name);
    assert.match(stackJobs(s).why, why);
  }
});

Deno.test("jobsFor() gives each slow trial a worker besides the quick ones, up to 64, unless --jobs or a serial stack says otherwise", () => {
  assert.deepEqual(jobsFor(null, 12, 42), { jobs: 54, quickJobs: 12 });
  assert.deepEqual(jobsFor(null, 12, 100), { jobs: 64, quickJobs: 12 });
  assert.deepEqual(jobsFor(null, 12, 0), { jobs: 12, quickJobs: 12 });
  assert.deepEqual(jobsFor(null, 1, 42), { jobs: 1, quickJobs: 1 });
  assert.deepEqual(jobsFor(8, 12, 42), { jobs: 8, quickJobs: 8 });
});

Deno.test("errorLines() names each distinct error once, with the trials it ended", () => {
  const trial = (error: string | null) => ({
    endpoints: null,
    observations: {},
    error,
  });
  const c = (id: string, errors: (string | null)[]) => ({
    id,
    experiment: "x",
    params: {},
    observations: {},
    stable: true,
    trials: errors.map(trial),
  });
  assert.deepEqual(
    errorLines([
      c("x/a=1", ["not run: no root", "not run: no root"]),
      c("x/a=2", ["not run: no root", null]),
      c("x/a=3", ["peer: drain: nothing within 2000 ms"]),
    ]),
    [
      "error in 3 trials: not run: no root",
      "error in 1 trial: peer: drain: nothing within 2000 ms",
    ],
  );
  assert.deepEqual(errorLines([c("x/a=1", [null])]), []);
});
