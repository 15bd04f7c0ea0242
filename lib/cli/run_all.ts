/**
 * `deno task run-all`: runs every case of every experiment (or those
 * `--only` selects), prints a table of cases × observations and writes the
 * platform's results file atomically. Cases not run are kept from the
 * existing file, so `--only` never destroys earlier results.
 *
 * @module
 */

import { basename, dirname } from "node:path";
import { EXPERIMENTS } from "../../experiments/mod.ts";
import { hostPosix, type Posix } from "../../ffi/posix.ts";
import {
  DEFAULT_JOBS,
  isSlowTrial,
  runCases,
  workersFor,
} from "../engine/jobs.ts";
import { type Case, expandCases, type Experiment } from "../engine/scenario.ts";
import { DEFAULT_TRIAL_OPTIONS } from "../engine/trial.ts";
import { rolesOf, storyDisagreements } from "../engine/story_checks.ts";
import { instanceName, openTracer } from "../kernel/tracer.ts";
import {
  type EvidenceKind,
  evidenceOf,
  lostEvidence,
} from "../results/evidence.ts";
import {
  canonical,
  type CaseResult,
  compareIds,
  readResults,
  type Results,
  ResultsError,
  SCHEMA_VERSION,
  writeResults,
} from "../results/format.ts";
import {
  describePlatform,
  platformId,
  thisStack,
} from "../results/platform_info.ts";
import {
  isStackName,
  type Stack,
  STACK_NAMES,
  type StackName,
} from "../results/stack.ts";
import { launch } from "../stacks/launchers.ts";
import { pollReportsRdhup } from "../net/rdhup.ts";
import {
  runSelfCheck,
  type SelfCheckEntry,
  SelfCheckFailed,
} from "../self_check/self_check.ts";
import { openCapture } from "../wire/capture.ts";
import { regenerateDocuments } from "./documents.ts";
import { failureExitCode, Interrupted, printError } from "./ending.ts";
import { parseFlags, positiveInteger, UsageError } from "./flags.ts";
import { prepareOutputDir, prepareOutputFile } from "./output.ts";
import {
  invocationDir,
  isResultsDir,
  LOCAL_DIR,
  platformFile,
  RESULTS_DIR,
} from "./paths.ts";
import { writeTrialPcap } from "./pcap_dir.ts";
import { plural } from "./plural.ts";
import { startProgress } from "./progress.ts";
import { timeSummary } from "./time_summary.ts";
import { outputWidth, renderFittedTable, wrapText } from "./table.ts";

const PROGRAM = "run-all";

/** Most trials in flight: each worker is an isolate of about 15 MB. */
const MAX_JOBS = 64;

const USAGE = `Usage: deno task run-all [--stack NAME] [--only PREFIX]...
                          [--trials N] [--jobs N] [--out FILE] [--pcap DIR]
                          [--list] [--no-wire] [--no-trace]
                          [--allow-less-evidence]

Runs escoteria's TCP teardown experiments over raw libc, writes the
platform's results as JSON, and rebuilds the matrix and the reports.

  --stack NAME   the TCP stack to run on: host (default), linux-6.1 (Linux
                 6.1 under QEMU) or gvisor (gVisor's netstack under runsc);
                 the others need root, which installs what they need from
                 Debian packages (deno task stacks runs every one)
  --only PREFIX  run only cases whose experiment name is PREFIX or whose id
                 starts with PREFIX (repeatable), e.g. article/linger=0
  --trials N     trials per case (default 3)
  --jobs N       trials in flight at once, each in a worker with its own
                 sockets and capture (default 12 on Linux's own kernel; 1,
                 the serial engine, on linux-6.1 and gvisor, where
                 concurrency changed what trials observe, and on macOS and
                 the BSDs, where it was not compared); by default each
                 slow trial (a dead peer's window, a linger that blocks)
                 gets a worker of its own besides, up to 64 in all;
                 results come in the same order whatever N is, and on
                 Linux with the same observations
  --out FILE     results file (default results/<platform id>.json, e.g.
                 results/linux-x86_64-6.18.json); cases not
                 run are kept from the file already there; missing
                 directories are created
  --pcap DIR     also write each trial's segments as a pcap file,
                 DIR/<case id>.<trial>.pcap (needs the capture, see below)
  --list         print the ids of the cases that would run, and stop
  --no-wire      do not capture the wire, even where it could be
  --no-trace     do not trace the kernel's state transitions and resets,
                 even where it could
  --allow-less-evidence
                 replace cases that hold wire, leftover or transition
                 evidence with cases that have none (see below)
  --help         show this help

Before any experiment, a self-check proves the FFI layer on this platform
with real sockets on loopback (errno numbers, O_NONBLOCK, sockaddr, SO_LINGER,
TCP states, poll flags); a failed check stops the run with one line naming it
and exit code 3, and no results are written.

On Linux each trial's TCP segments are captured on lo through an AF_PACKET
socket, which needs CAP_NET_RAW (root). Without it "wire" is null and
"wireUnavailable" says why, and a run never replaces cases that have wire
evidence with cases that have none: the default results go to
results/local/ instead (ignored by git), and an explicit --out that holds
such cases is refused (exit 2), unless --allow-less-evidence.

On Linux, as root, the kernel's own story of each trial is traced too: a
private tracefs instance records every state transition of both sockets and
every reset the kernel sent, with its reason. Without root (or
tracefs) "transitions" is null and "transitionsUnavailable" says why; cases
that hold transitions are kept the same way. Ctrl-C removes the instances
before it exits (130); a run killed outright leaves them to the next run,
which removes them.

The deadpeer experiment runs each trial between two network namespaces of
its own, joined by a veth pair (addresses 192.0.2.1 and 192.0.2.2, which
exist only inside them), so that the peer's host can hang, vanish or
reboot; its wire is captured on the watcher's veth. It needs root
(CAP_SYS_ADMIN) and Linux: elsewhere each of its trials records why it did
not run, and the run goes on. Nothing is named, so nothing is left behind:
the namespaces and their link end with the trial's last descriptor.`;

/** Parsed run-all flags. */
export interface RunAllOptions {
  readonly stack: StackName;
  /** The platform id of this run's stack. */
  readonly platform: string;
  readonly only: readonly string[];
  readonly trials: number;
  /** Trials in flight at once (1: the serial engine); null: the stack's default. */
  readonly jobs: number | null;
  readonly out: string;
  /** Whether `--out` was given (else `out` is the default file). */
  readonly outGiven: boolean;
  readonly pcap: string | null;
  readonly list: boolean;
  readonly noWire: boolean;
  readonly noTrace: boolean;
  readonly allowLessEvidence: boolean;
}

/**
 * Parses run-all's flags; `null` means `--help`. `platform` gives the id of
 * the stack this process runs on (asked only when `--out` is not given).
 */
export function parseRunAllArgs(
  args: string[],
  platform: () => string = () => platformId(thisStack(hostPosix())),
): RunAllOptions | null {
  const { values } = parseFlags(args, {
    stack: { type: "string" },
    only: { type: "string", multiple: true },
    trials: { type: "string" },
    jobs: { type: "string" },
    out: { type: "string" },
    pcap: { type: "string" },
    list: { type: "boolean" },
    "no-wire": { type: "boolean" },
    "no-trace": { type: "boolean" },
    "allow-less-evidence": { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) return null;
  const stack = values.stack ?? "host";
  if (!isStackName(stack)) {
    throw new UsageError(
      `unknown --stack ${stack} (stacks: ${STACK_NAMES.join(", ")})`,
    );
  }
  const id = platform();
  return {
    stack,
    platform: id,
    only: values.only ?? [],
    trials: positiveInteger("--trials", values.trials ?? "3"),
    jobs: values.jobs === undefined
      ? null
      : positiveInteger("--jobs", values.jobs, MAX_JOBS),
    out: values.out ?? platformFile(id),
    outGiven: values.out !== undefined,
    pcap: values.pcap ?? null,
    list: values.list ?? false,
    noWire: values["no-wire"] ?? false,
    noTrace: values["no-trace"] ?? false,
    allowLessEvidence: values["allow-less-evidence"] ?? false,
  };
}

/** The cases `--only` selects (all when it is empty). */
export function selectCases(
  experiments: readonly Experiment[],
  only: readonly string[],
): Case[] {
  const all = experiments.flatMap(expandCases);
  if (only.length === 0) return all;
  const chosen = all.filter((c) =>
    only.some((p) => c.experiment.name === p || c.id.startsWith(p))
  );
  if (chosen.length === 0) {
    throw new UsageError(
      `nothing matches --only ${only.join(", ")} (experiments: ${
        experiments.map((e) => e.name).join(", ")
      })`,
    );
  }
  return chosen;
}

/** Reads the results already at `out`, if any, refusing foreign files. */
function existingCases(out: string, platform: string): CaseResult[] {
  try {
    Deno.statSync(out);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw new UsageError(`cannot use --out ${out}: ${(e as Error).message}`);
  }
  let existing: Results;
  try {
    existing = readResults(out);
  } catch (e) {
    if (!(e instanceof ResultsError)) throw e;
    throw new UsageError(
      `refusing to replace ${e.message} (move it away or pick another --out)`,
    );
  }
  if (existing.platform.id !== platform) {
    throw new UsageError(
      `refusing to replace ${out}: it holds results for ${existing.platform.id}, not ${platform}`,
    );
  }
  return existing.cases;
}

function cell(value: unknown): string {
  return value === undefined ? "-" : String(value);
}

/**
 * The terminal table: one block per experiment, titled with its name; the
 * factors' values as the key columns, then the headline keys and whether
 * the trials agreed; no line wider than `width` (columns that do not fit
 * continue in a block below, the key columns repeated).
 */
export function formatTable(
  experiments: readonly Experiment[],
  cases: readonly CaseResult[],
  width: number,
): string {
  return experiments.flatMap((experiment) => {
    const rows = cases.filter((c) => c.experiment === experiment.name);
    if (rows.length === 0) return [];
    const factors = experiment.factors.map((f) => f.name);
    const header = [...factors, ...experiment.headline, "stable"];
    const unstable = rows.filter((c) => !c.stable);
    return [
      [
        `${experiment.name}: ${plural(rows.length, "case")}`,
        renderFittedTable(
          header,
          rows.map((c) => [
            ...factors.map((f) => c.params[f] ?? "-"),
            ...experiment.headline.map((k) => cell(c.observations[k])),
            c.stable ? "yes" : "NO",
          ]),
          { width, keep: factors.length },
        ),
        ...unstable.map((c) =>
          `unstable: ${c.id}: ${c.unstableKeys?.join(" ")}`
        ),
        ...errorLines(rows),
      ].join("\n"),
    ];
  }).join("\n\n");
}

/**
 * The errors of `cases`' trials, one line per distinct message with how
 * many trials it ended: `error in 12 trials: not run: …`.
 */
export function errorLines(cases: readonly CaseResult[]): string[] {
  const counts = new Map<string, number>();
  for (const t of cases.flatMap((c) => c.trials)) {
    if (t.error) counts.set(t.error, (counts.get(t.error) ?? 0) + 1);
  }
  return [...counts].map(([error, n]) =>
    `error in ${plural(n, "trial")}: ${error}`
  );
}

/**
 * Rebuilds the matrix and the reports when `out` is in the project's
 * results folder (a file elsewhere is the user's own); says what happened.
 */
function updateDocuments(
  out: string,
  experiments: readonly Experiment[],
): string {
  if (!isResultsDir(dirname(out))) {
    return "not rebuilt (the results are outside results/; see deno task report --help)";
  }
  try {
    return regenerateDocuments(RESULTS_DIR, experiments)
      .map((p) => basename(p)).join(", ");
  } catch (e) {
    if (!(e instanceof ResultsError)) throw e;
    return `not rebuilt: ${e.message}`;
  }
}

/** Where the results go, and why there if not where asked. */
export interface Destination {
  readonly out: string;
  readonly existing: readonly CaseResult[];
  /** Set when the results go to results/local/ instead of `--out`. */
  readonly redirected?: string;
}

/** The kinds of evidence a run cannot record, each with why not. */
export type Unrecordable = Partial<Record<EvidenceKind, string>>;

/** What this run cannot record: the wire without a capture, the
 * transitions without a tracer. */
export function unrecordable(
  tap: { readonly unavailable: string } | object,
  tracer: { readonly unavailable: string } | object,
): Unrecordable {
  return {
    ...("unavailable" in tap
      ? { wire: `cannot capture (${tap.unavailable})` }
      : {}),
    ...("unavailable" in tracer
      ? { transitions: `cannot trace the kernel (${tracer.unavailable})` }
      : {}),
  };
}

/**
 * Decides where the results go. Without the privilege to capture or to
 * trace, cases holding that evidence are never replaced by cases without:
 * the default file's results go to results/local/ instead; an explicit
 * `--out` is refused.
 */
export function destination(
  options: RunAllOptions,
  cases: readonly Case[],
  cannot: Unrecordable,
  localDir: string = LOCAL_DIR,
): Destination {
  const existing = existingCases(options.out, options.platform);
  const kinds = (Object.keys(cannot) as EvidenceKind[]).filter((k) =>
    existing.some((c) =>
      cases.some((r) => r.id === c.id) && evidenceOf(c).has(k)
    )
  );
  if (kinds.length === 0 || options.allowLessEvidence) {
    return { out: options.out, existing };
  }
  const holding = existing.filter((c) =>
    cases.some((r) => r.id === c.id) &&
    kinds.some((k) => evidenceOf(c).has(k))
  );
  const why = `${plural(holding.length, "case")} in ${options.out} ` +
    `hold ${kinds.join(" and ")} evidence and this run ${
      kinds.map((k) => cannot[k]).join(" or ")
    }`;
  if (options.outGiven) {
    throw new UsageError(
      `refusing to replace them: ${why}; run as root, choose another ` +
        `--out, or pass --allow-less-evidence`,
    );
  }
  return aside(
    options.out,
    options.platform,
    why,
    "run as root to replace it, or pass --allow-less-evidence",
    localDir,
  );
}

/** The results sent to `localDir` instead of `from`, which is kept; why. */
function aside(
  from: string,
  platform: string,
  why: string,
  hint: string,
  localDir: string = LOCAL_DIR,
): Destination {
  const out = `${localDir}/${basename(from)}`;
  return {
    out,
    existing: existingCases(out, platform),
    redirected: `${why}; kept it and wrote ${out} instead (${hint})`,
  };
}

/** Cases of `existing` that `ran` does not replace, and `ran`, sorted. */
function merge(
  existing: readonly CaseResult[],
  ran: readonly CaseResult[],
): { cases: CaseResult[]; kept: number } {
  const kept = existing.filter((c) => !ran.some((r) => r.id === c.id));
  return {
    cases: [...kept, ...ran].sort((a, b) => compareIds(a.id, b.id)),
    kept: kept.length,
  };
}

/** How many of `ran` observed the same as the committed file at `path`. */
function agreement(path: string, ran: readonly CaseResult[]): string {
  let committed: Results;
  try {
    committed = readResults(path);
  } catch {
    return "";
  }
  const byId = new Map(committed.cases.map((c) => [c.id, c]));
  const compared = ran.filter((c) => byId.has(c.id));
  const same = compared.filter((c) =>
    JSON.stringify(canonical(c.observations)) ===
      JSON.stringify(canonical(byId.get(c.id)!.observations))
  );
  return `observations: ${same.length} of ${
    plural(compared.length, "case")
  } agree with ${path}`;
}

/**
 * Runs run-all with `args`; returns the exit code. `posixFor` gives the
 * socket API to run on (the host's; tests pass one with a wrong table).
 */
export async function main(
  args: string[],
  experiments: readonly Experiment[],
  posixFor: () => Posix = hostPosix,
): Promise<number> {
  // Milliseconds since the process's time origin: Deno's start and the
  // loading of run-all's modules.
  const startMs = performance.now();
  let capture: ReturnType<typeof openCapture> | undefined;
  let tracer: ReturnType<typeof openTracer> | undefined;
  // Ctrl-C stops the workers, closes their fds and removes every trace
  // instance (see the finally below) before the run ends with exit 130.
  const interrupt = new AbortController();
  const onInterrupt = () => interrupt.abort(new Interrupted());
  Deno.addSignalListener("SIGINT", onInterrupt);
  try {
    const options = parseRunAllArgs(args);
    if (options === null) {
      console.log(USAGE);
      return 0;
    }
    const cases = selectCases(experiments, options.only);
    if (options.list) {
      console.log(cases.map((c) => c.id).join("\n"));
      return 0;
    }
    if (options.stack !== "host") return await onStack(options.stack, args);
    const posix = posixFor();
    const checkStarted = performance.now();
    const selfCheck = runSelfCheck(posix);
    const checkMs = performance.now() - checkStarted;
    if (selfCheck.some((e) => !e.ok)) throw new SelfCheckFailed(selfCheck);
    const stack = thisStack(posix);
    const slowTrials = options.trials *
      cases.filter((c) => isSlowTrial(c.experiment.steps(c.params))).length;
    const { jobs, quickJobs } = jobsFor(
      options.jobs,
      stackJobs(stack).jobs,
      slowTrials,
    );
    capture = options.noWire
      ? { unavailable: "not captured: run with --no-wire" }
      : openCapture(posix);
    const tap = capture;
    tracer = options.noTrace
      ? { unavailable: "not traced: run with --no-trace" }
      : openTracer(posix, instanceName(0));
    const trace = tracer;
    let target = destination(options, cases, unrecordable(tap, trace));
    prepareOutputFile(target.out, "--out");
    if (options.pcap !== null) {
      if ("unavailable" in tap) {
        throw new UsageError(
          `cannot write --pcap: no capture: ${tap.unavailable}`,
        );
      }
      prepareOutputDir(options.pcap, "--pcap");
    }
    if (target.redirected) printError(PROGRAM, target.redirected);
    const pcapDir = options.pcap;
    const trialOptions = {
      ...DEFAULT_TRIAL_OPTIONS,
      leftovers: true,
      wire: tap,
    };
    const trialCount = cases.length * options.trials;
    const progress = startProgress(trialCount);
    let done = 0;
    const started = performance.now();
    // With workers, each opens its own capture: this one would only queue
    // a copy of every frame that nobody reads. The tracer stays here.
    if (
      workersFor(jobs, trialCount, undefined, slowTrials) > 1 &&
      "close" in tap
    ) tap.close();
    const outcome = await runCases(posix, cases, {
      jobs,
      quickJobs,
      trials: options.trials,
      trial: trialOptions,
      trace,
      frames: pcapDir !== null,
      signal: interrupt.signal,
      onTrial: (c, trial, result, frames) => {
        if (pcapDir !== null && frames !== null && result.endpoints) {
          writeTrialPcap(pcapDir, c.id, trial + 1, frames);
        }
        progress.update(++done, `${c.id} #${trial + 1}`);
      },
    });
    const ran = outcome.cases;
    progress.done();
    const seconds = (performance.now() - started) / 1000;

    // A kind of evidence lost that the capture check could not foresee
    // (leftovers where sock_diag failed): keep the old file, write aside.
    const lost = lostEvidence(target.existing, ran);
    if (
      lost.length && !options.allowLessEvidence && !target.redirected
    ) {
      target = aside(
        target.out,
        options.platform,
        `${plural(lost.length, "case")} in ${target.out} hold ` +
          `${[...new Set(lost.flatMap((l) => l.kinds))].join(" and ")} ` +
          `evidence this run did not record`,
        "pass --allow-less-evidence to replace it",
      );
      prepareOutputFile(target.out, "--out");
      printError(PROGRAM, target.redirected!);
    }
    const merged = merge(target.existing, ran);
    const results: Results = {
      schemaVersion: SCHEMA_VERSION,
      platform: describePlatform(
        posix,
        `deno task run-all ${args.join(" ")}`.trim(),
        stack,
        pollReportsRdhup(posix),
        selfCheck,
      ),
      cases: merged.cases,
    };
    const writeStarted = performance.now();
    writeResults(target.out, results);
    const writeMs = performance.now() - writeStarted;
    const documents = updateDocuments(target.out, experiments);
    const documentsMs = performance.now() - writeStarted - writeMs;

    const width = outputWidth();
    console.log(formatTable(experiments, ran, width));
    const trials = ran.flatMap((c) => c.trials);
    const errors = trials.filter((t) => t.error).length;
    const unstable = ran.filter((c) => !c.stable).length;
    console.log(
      [
        "",
        `${plural(ran.length, "case")} × ${
          plural(options.trials, "trial")
        } in ${seconds.toFixed(2)} s` +
        (errors ? `, ${plural(errors, "trial")} with errors` : "") +
        (unstable ? `, ${plural(unstable, "unstable case")}` : "") +
        (outcome.stopped
          ? `, ${plural(outcome.stopped, "worker")} stopped (see the errors)`
          : "") +
        (merged.kept ? `, ${plural(merged.kept, "earlier case")} kept` : ""),
        selfCheckSummary(selfCheck, checkMs),
        ...(options.jobs === null && jobs === 1
          ? [`jobs: 1, ${stackJobs(stack).why} (--jobs N to override)`]
          : []),
        timeSummary({
          startMs,
          selfCheckMs: checkMs,
          trialsMs: seconds * 1000,
          workers: outcome.workers,
          workersReadyMs: outcome.workersReadyMs,
          trialMs: outcome.trialMs,
          writeMs,
          documentsMs,
        }),
        wireSummary(cases, ran, tap, outcome.dropped),
        traceSummary(cases, ran, trace),
        ...(pcapDir !== null ? [`pcap files: ${pcapDir}`] : []),
        `results: ${target.out}`,
        ...(target.redirected
          ? [agreement(options.out, ran)].filter((l) => l)
          : []),
        `documents: ${documents}`,
      ].map((line) => wrapText(line, width)).join("\n"),
    );
    return 0;
  } catch (e) {
    return failureExitCode(PROGRAM, "run-all", e);
  } finally {
    Deno.removeSignalListener("SIGINT", onInterrupt);
    if (capture && "close" in capture) capture.close();
    if (tracer && "close" in tracer) tracer.close();
  }
}

/**
 * Runs run-all with `args` on a launched stack; a stack this machine cannot
 * run is bad input: one line, exit 2.
 */
async function onStack(
  stack: Exclude<StackName, "host">,
  args: readonly string[],
): Promise<number> {
  const log = (line: string) => printError(PROGRAM, line);
  try {
    const ran = await launch(stack, args, invocationDir(), log);
    if ("code" in ran) return ran.code;
    throw new UsageError(`cannot run --stack ${stack} here: ${ran.skipped}`);
  } catch (e) {
    return failureExitCode(PROGRAM, "run-all", e);
  }
}

/**
 * Trials in flight by default on a stack, and why. On Linux's own kernel a
 * loopback segment reaches its socket within the sending call, so what a
 * trial observes does not depend on what runs beside it (the determinism
 * test in lib/engine/jobs_test.ts holds it to that); 12 jobs ran the
 * article and teardown fastest on 2 cores (deno task bench). Everywhere
 * else the serial engine is the default. Measured with 12 jobs, gVisor's
 * netstack, which hands segments to sockets asynchronously, made 30 of 108
 * cases unstable (4 at most serially), and the emulated CPUs of the Linux
 * 6.1 guest let the peer's delayed ACK (40 ms) slip between a shutdown()
 * and a close() that run back to back, which changed one case's
 * observations. On macOS and the BSDs concurrency has not been compared
 * with the serial engine (macOS's loopback hands packets to an input
 * thread, so it may well matter there).
 */
export function stackJobs(stack: Stack): { jobs: number; why: string } {
  if (stack.name === "gvisor") {
    return {
      jobs: 1,
      why: "serial by default: gVisor's netstack hands segments to " +
        "sockets asynchronously, and beside concurrent trials an observer " +
        "right after a send sees another moment",
    };
  }
  if (stack.name === "linux-6.1") {
    return {
      jobs: 1,
      why: "serial by default: under QEMU's emulated CPUs concurrent " +
        "trials let a delayed ACK slip between calls made back to back",
    };
  }
  if (stack.kind !== "linux") {
    return {
      jobs: 1,
      why: `serial by default: concurrent trials have not been compared ` +
        `with serial ones on ${stack.kind}`,
    };
  }
  return { jobs: DEFAULT_JOBS, why: "the default on Linux's own kernel" };
}

/**
 * Trials in flight, and quick trials in flight, for a run with
 * `slowTrials` slow ones (lib/engine/jobs.ts `isSlowTrial`): `--jobs N`
 * caps both; by default quick trials keep the stack's default and every
 * slow trial, which spends seconds waiting on the kernel's timers, gets a
 * worker of its own besides, up to {@linkcode MAX_JOBS} in all. A stack
 * that runs serially by default runs everything serially.
 */
export function jobsFor(
  asked: number | null,
  stackDefault: number,
  slowTrials: number,
): { jobs: number; quickJobs: number } {
  if (asked !== null) return { jobs: asked, quickJobs: asked };
  if (stackDefault <= 1) return { jobs: 1, quickJobs: 1 };
  return {
    jobs: Math.min(MAX_JOBS, stackDefault + slowTrials),
    quickJobs: stackDefault,
  };
}

/** The summary line of the self-check that passed. */
function selfCheckSummary(
  entries: readonly SelfCheckEntry[],
  ms: number,
): string {
  return `self-check: all ${plural(entries.length, "check")} passed in ${
    ms.toFixed(1)
  } ms`;
}

/** The summary line saying whether the wire was captured, or why not. */
function wireSummary(
  selected: readonly Case[],
  cases: readonly CaseResult[],
  tap: ReturnType<typeof openCapture>,
  dropped: number,
): string {
  if ("unavailable" in tap) return `wire: not captured: ${tap.unavailable}`;
  // runCases returns the cases in the order they were given.
  const linked = (i: number) =>
    selected[i]!.experiment.network === "namespaces";
  const trials = cases.flatMap((c) => c.trials);
  const captured = trials.filter((t) => Array.isArray(t.wire)).length;
  const which = captured === trials.length ? "all" : `${captured} of`;
  const between = cases.flatMap((c, i) => linked(i) ? c.trials : []);
  const where = between.length === 0
    ? "on lo"
    : between.length === trials.length
    ? "on the watcher's veth"
    : `on lo (${between.length} between namespaces on the watcher's veth)`;
  return `wire: captured ${where} for ${which} ${trials.length} trials` +
    (dropped
      ? ` (the kernel dropped ${dropped} frames: some wires are incomplete)`
      : "");
}

/** The summary line saying whether the kernel was traced, or why not. */
function traceSummary(
  selected: readonly Case[],
  cases: readonly CaseResult[],
  tracer: ReturnType<typeof openTracer>,
): string {
  if ("unavailable" in tracer) {
    return `transitions: not traced: ${tracer.unavailable}`;
  }
  const trials = cases.flatMap((c) => c.trials);
  const traced = trials.filter((t) => Array.isArray(t.transitions)).length;
  const which = traced === trials.length ? "all" : `${traced} of`;
  const resets = trials.reduce((n, t) => n + (t.resets?.length ?? 0), 0);
  // runCases returns the cases in the order they were given.
  const disagreeing = cases.flatMap((c, i) => {
    const given = selected[i]!;
    const roles = rolesOf(given.experiment.steps(given.params));
    return c.trials.filter((t) => storyDisagreements(t, roles).length);
  }).length;
  const untraced = new Map<string, number>();
  for (const t of trials) {
    const why = t.transitionsUnavailable;
    if (why !== undefined) untraced.set(why, (untraced.get(why) ?? 0) + 1);
  }
  const whyNot = [...untraced].map(([why, n]) => `; ${n} not: ${why}`)
    .join("");
  return `transitions: traced in tracefs for ${which} ${trials.length} ` +
    `trials${whyNot}; ${plural(resets, "reset")} with the kernel's reasons; ` +
    (disagreeing
      ? `${plural(disagreeing, "trial")} disagree with the tcp_state ` +
        `observers or the wire (see lib/engine/story_checks.ts)`
      : `consistent with the tcp_state observers and the wire`);
}

if (import.meta.main) Deno.exit(await main(Deno.args, EXPERIMENTS));
