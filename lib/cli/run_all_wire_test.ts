// Tests of run-all's wire capture and --pcap, kept apart from
// run_all_test.ts: they need root (or its absence) and tcpdump.
import assert from "node:assert/strict";
import { RUN_ALL_PERMISSIONS, runScript } from "../testing/subprocess.ts";
import { withoutCapability } from "../testing/unprivileged.ts";
import { hostPosix } from "../../ffi/posix.ts";
import { openCapture } from "../wire/capture.ts";
import { pcapFileName } from "./pcap_dir.ts";
import { readResults } from "../results/format.ts";
import { platformId, thisStack } from "../results/platform_info.ts";
import {
  parseTcpdump,
  readPcapWithTcpdump,
  tcpdumpMissing,
  tcpdumpSegments,
} from "../testing/tcpdump.ts";

const script = new URL("./run_all.ts", import.meta.url).pathname;

/** Runs run-all as a subprocess, behind `prefix` (e.g. setpriv) if given. */
function runAll(prefix: string[], ...args: string[]) {
  return runScript(script, RUN_ALL_PERMISSIONS, args, prefix);
}

function captureMissing(): string | null {
  const probe = openCapture(hostPosix());
  if ("unavailable" in probe) return probe.unavailable;
  probe.close();
  return null;
}

const noCapture = captureMissing();
const noTcpdump = noCapture ?? tcpdumpMissing();

const unprivileged = withoutCapability("net_raw");

Deno.test({
  name: "run-all rejects an unusable --pcap directory with one line and exit 2",
  ignore: noCapture !== null, // without a capture --pcap fails earlier
  fn: async (t) => {
    const dir = Deno.makeTempDirSync();
    Deno.writeTextFileSync(`${dir}/file`, "");
    const cases: [string, RegExp][] = [
      [`${dir}/file/pcaps`, /: not a directory$/],
      [`${dir}/file`, /: not a directory$/],
    ];
    for (const [pcap, pattern] of cases) {
      await t.step(pcap, async () => {
        const r = await runAll(
          [],
          "--only",
          "article",
          "--out",
          `${dir}/r.json`,
          "--pcap",
          pcap,
        );
        assert.equal(r.code, 2);
        const lines = r.stderr.trimEnd().split("\n");
        assert.equal(lines.length, 1, r.stderr);
        assert.match(lines[0]!, /^run-all: cannot use --pcap /);
        assert.match(lines[0]!, pattern);
        assert.equal(r.stdout, "");
      });
    }
    Deno.removeSync(dir, { recursive: true });
  },
});

Deno.test({
  name:
    "run-all --pcap writes one file per trial that tcpdump reads as that trial's wire",
  ignore: noTcpdump !== null,
  fn: async () => {
    const dir = Deno.makeTempDirSync();
    const pcaps = `${dir}/pcaps`; // created by run-all
    const r = await runAll(
      [],
      "--only",
      "article",
      "--trials",
      "2",
      "--out",
      `${dir}/r.json`,
      "--pcap",
      pcaps,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^wire: captured on lo for all 12 trials$/m);
    assert.match(r.stdout, new RegExp(`^pcap files: ${pcaps}$`, "m"));
    const results = readResults(`${dir}/r.json`);
    const expected = results.cases.flatMap((c) =>
      c.trials.map((_, i) => pcapFileName(c.id, i + 1))
    ).sort();
    assert.deepEqual(
      [...Deno.readDirSync(`${pcaps}/article`)].map((e) => `article/${e.name}`)
        .sort(),
      expected,
    );
    assert.ok(expected.includes("article/linger=0,shutdown=wr.2.pcap"));
    for (const c of results.cases) {
      for (const [i, trial] of c.trials.entries()) {
        const read = await readPcapWithTcpdump(
          `${pcaps}/${pcapFileName(c.id, i + 1)}`,
        );
        assert.equal(read.code, 0, read.stderr);
        const lines = parseTcpdump(read.stdout);
        assert.ok(trial.wire && trial.wire.length >= 7, c.id);
        assert.equal(lines.length, trial.wire.length, `${c.id} #${i + 1}`);
        assert.deepEqual(tcpdumpSegments(lines, trial.endpoints!), trial.wire);
      }
    }
    Deno.removeSync(dir, { recursive: true });
  },
});

Deno.test({
  name:
    "run-all without the privilege to capture still completes, with wire null and the reason on every trial",
  ignore: noCapture !== null || unprivileged === null,
  fn: async () => {
    const dir = Deno.makeTempDirSync();
    const out = `${dir}/r.json`;
    const r = await runAll(unprivileged!, "--only", "article", "--out", out);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      // Wrapped to 100 columns, continued on an indented line.
      /^wire: not captured: socket\(AF_PACKET, SOCK_RAW\) failed: EPERM [^\n]*\n?( {2})?[^\n]*CAP_NET_RAW/m,
    );
    const results = readResults(out);
    const trials = results.cases.flatMap((c) => c.trials);
    assert.equal(trials.length, 6 * 3);
    for (const trial of trials) {
      assert.equal(trial.error ?? null, null);
      assert.equal(trial.wire, null);
      assert.match(trial.wireUnavailable ?? "", /EPERM/);
    }

    const pcap = await runAll(
      unprivileged!,
      "--only",
      "article",
      "--out",
      out,
      "--pcap",
      `${dir}/pcaps`,
    );
    assert.equal(pcap.code, 2);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["r.json"]);
    assert.match(
      pcap.stderr,
      /^run-all: cannot write --pcap: no capture: socket\(AF_PACKET, SOCK_RAW\) failed: EPERM[^\n]*\n$/,
    );
    Deno.removeSync(dir, { recursive: true });
  },
});

/** The committed results file of this machine's platform id. */
const results = new URL("../../results/", import.meta.url).pathname;
const hostId = platformId(thisStack(hostPosix()));
const committedFile = `${results}${hostId}.json`;
let committedMissing: boolean;
try {
  Deno.statSync(committedFile);
  committedMissing = false;
} catch {
  committedMissing = true;
}

Deno.test({
  name:
    "run-all without the privilege to capture keeps the committed wire evidence and writes to results/local/",
  // Only where the project holds a file of this platform (this kernel).
  ignore: noCapture !== null || unprivileged === null || committedMissing,
  fn: async () => {
    const committed = committedFile;
    const local = `${results}local/${hostId}.json`;
    const watched = [
      committed,
      ...["MATRIX.md", "matrix.json", "REPORT.md", "report.html"].map((n) =>
        `${results}${n}`
      ),
    ];
    const before = watched.map((p) => Deno.readTextFileSync(p));
    // Someone's own earlier local run is put back afterwards.
    let saved: string | null = null;
    try {
      saved = Deno.readTextFileSync(local);
    } catch { /* none */ }
    try {
      const r = await runAll(
        unprivileged!,
        "--only",
        "article/linger=0,shutdown=wr",
        "--trials",
        "1",
      );
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stderr,
        new RegExp(
          `^run-all: 1 case in \\S+/results/${hostId}\\.json hold wire evidence and this run cannot capture \\(socket\\(AF_PACKET, SOCK_RAW\\) failed: EPERM[^\\n]*; kept it and wrote \\S+/results/local/${hostId}\\.json instead`,
        ),
      );
      assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
      assert.match(r.stdout, /^observations: 1 of 1 case agree with /m);
      assert.deepEqual(watched.map((p) => Deno.readTextFileSync(p)), before);
      const written = readResults(local);
      assert.equal(
        written.cases.find((c) => c.id === "article/linger=0,shutdown=wr")
          ?.trials[0]?.wire,
        null,
      );
    } finally {
      if (saved === null) Deno.removeSync(local);
      else Deno.writeTextFileSync(local, saved);
    }
  },
});
