/**
 * `deno task run-all`: runs every case of every experiment (or those
 * `--only` selects), prints a table of cases × observations and writes the
 * platform's results file atomically. Cases not run are kept from the
 * existing file, so `--only` never destroys earlier results.
 *
 * @module
 */

import { dirname } from "node:path";
import { EXPERIMENTS } from "../../experiments/mod.ts";
import { hostPosix } from "../../ffi/posix.ts";
import { runCase } from "../engine/run.ts";
import { type Case, expandCases, type Experiment } from "../engine/scenario.ts";
import { DEFAULT_TRIAL_OPTIONS } from "../engine/trial.ts";
import {
  type CaseResult,
  compareIds,
  readResults,
  type Results,
  ResultsError,
  SCHEMA_VERSION,
  writeResults,
} from "../results/format.ts";
import { describePlatform, platformId } from "../results/platform_info.ts";
import { openCapture } from "../wire/capture.ts";
import { failureExitCode } from "./ending.ts";
import { parseFlags, positiveInteger, UsageError } from "./flags.ts";
import { regenerateMatrix } from "./matrix.ts";
import { prepareOutputDir, prepareOutputFile } from "./output.ts";
import { isResultsDir, platformFile, RESULTS_DIR } from "./paths.ts";
import { writeTrialPcap } from "./pcap_dir.ts";
import { renderTable } from "./table.ts";

const PROGRAM = "run-all";

const USAGE =
  `Usage: deno task run-all [--only PREFIX]... [--trials N] [--out FILE]
                          [--pcap DIR]

Runs escoteria's TCP teardown experiments over raw libc and writes the
platform's results as JSON.

  --only PREFIX  run only cases whose experiment name is PREFIX or whose id
                 starts with PREFIX (repeatable), e.g. article/linger=0
  --trials N     trials per case (default 3)
  --out FILE     results file (default results/<os>-<arch>.json); cases not
                 run are kept from the file already there
  --pcap DIR     also write each trial's segments as a pcap file,
                 DIR/<case id>.<trial>.pcap (needs the capture, see below)
  --help         show this help

On Linux each trial's TCP segments are captured on lo through an AF_PACKET
socket, which needs CAP_NET_RAW (root); without it "wire" is null and
"wireUnavailable" says why.`;

/** Parsed run-all flags. */
export interface RunAllOptions {
  readonly only: readonly string[];
  readonly trials: number;
  readonly out: string;
  readonly pcap: string | null;
}

/** Parses run-all's flags; `null` means `--help`. */
export function parseRunAllArgs(args: string[]): RunAllOptions | null {
  const { values } = parseFlags(args, {
    only: { type: "string", multiple: true },
    trials: { type: "string" },
    out: { type: "string" },
    pcap: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) return null;
  return {
    only: values.only ?? [],
    trials: positiveInteger("--trials", values.trials ?? "3"),
    out: values.out ?? platformFile(platformId()),
    pcap: values.pcap ?? null,
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

/** The terminal table: one block per experiment, headline keys as columns. */
export function formatTable(
  experiments: readonly Experiment[],
  cases: readonly CaseResult[],
): string {
  return experiments.flatMap((experiment) => {
    const rows = cases.filter((c) => c.experiment === experiment.name);
    if (rows.length === 0) return [];
    const header = ["case", ...experiment.headline, "stable"];
    return [
      renderTable(
        header,
        rows.map((c) => [
          c.id,
          ...experiment.headline.map((k) => cell(c.observations[k])),
          c.stable ? "yes" : `NO: ${c.unstableKeys?.join(" ")}`,
        ]),
      ),
    ];
  }).join("\n\n");
}

/**
 * Rebuilds the matrix when `out` is in the project's results folder (a file
 * elsewhere is the user's own); says what happened.
 */
function updateMatrix(out: string, experiments: readonly Experiment[]): string {
  if (!isResultsDir(dirname(out))) {
    return "not rebuilt (--out is outside results/; deno task matrix --dir)";
  }
  try {
    regenerateMatrix(RESULTS_DIR, experiments);
    return `${RESULTS_DIR}/MATRIX.md`;
  } catch (e) {
    if (!(e instanceof ResultsError)) throw e;
    return `not rebuilt: ${e.message}`;
  }
}

/** Runs run-all with `args`; returns the exit code. */
export function main(
  args: string[],
  experiments: readonly Experiment[],
): number {
  let capture: ReturnType<typeof openCapture> | undefined;
  try {
    const options = parseRunAllArgs(args);
    if (options === null) {
      console.log(USAGE);
      return 0;
    }
    const cases = selectCases(experiments, options.only);
    const posix = hostPosix();
    const kept = existingCases(options.out, platformId())
      .filter((c) => !cases.some((r) => r.id === c.id));
    prepareOutputFile(options.out, "--out");
    capture = openCapture(posix);
    if (options.pcap !== null) {
      if ("unavailable" in capture) {
        throw new UsageError(
          `cannot write --pcap: no capture: ${capture.unavailable}`,
        );
      }
      prepareOutputDir(options.pcap, "--pcap", { create: true });
    }
    const tap = capture;
    const pcapDir = options.pcap;
    const trialOptions = {
      ...DEFAULT_TRIAL_OPTIONS,
      leftovers: true,
      wire: tap,
    };
    const progress = Deno.stderr.isTerminal();
    const total = cases.length * options.trials;
    let done = 0;
    const started = performance.now();
    const ran = cases.map((c) =>
      runCase(
        posix,
        c,
        options.trials,
        trialOptions,
        (_, trial, __, record) => {
          if (pcapDir !== null && "frames" in tap && record.endpoints) {
            writeTrialPcap(
              pcapDir,
              c.id,
              trial + 1,
              tap.frames(record.endpoints),
            );
          }
          done++;
          if (progress) {
            const line = `\r\x1b[K[${done}/${total}] ${c.id}`;
            Deno.stderr.writeSync(new TextEncoder().encode(line));
          }
        },
      )
    );
    if (progress) Deno.stderr.writeSync(new TextEncoder().encode("\r\x1b[K"));
    const seconds = (performance.now() - started) / 1000;

    const results: Results = {
      schemaVersion: SCHEMA_VERSION,
      platform: describePlatform(
        posix,
        `deno task run-all ${args.join(" ")}`.trim(),
      ),
      cases: [...kept, ...ran].sort((a, b) => compareIds(a.id, b.id)),
    };
    writeResults(options.out, results);
    const matrix = updateMatrix(options.out, experiments);

    console.log(formatTable(experiments, ran));
    const errors = ran.flatMap((c) => c.trials).filter((t) => t.error).length;
    const unstable = ran.filter((c) => !c.stable).length;
    console.log(
      `\n${ran.length} cases × ${options.trials} trials in ${
        seconds.toFixed(2)
      } s` +
        (errors ? `, ${errors} trials with errors` : "") +
        (unstable ? `, ${unstable} unstable cases` : "") +
        (kept.length ? `, ${kept.length} earlier cases kept` : "") +
        `\n${wireSummary(ran, tap)}` +
        (pcapDir !== null ? `\npcap files: ${pcapDir}` : "") +
        `\nresults: ${options.out}\nmatrix: ${matrix}`,
    );
    return 0;
  } catch (e) {
    return failureExitCode(PROGRAM, "run-all", e);
  } finally {
    if (capture && "close" in capture) capture.close();
  }
}

/** The summary line saying whether the wire was captured, or why not. */
function wireSummary(
  cases: readonly CaseResult[],
  tap: ReturnType<typeof openCapture>,
): string {
  if ("unavailable" in tap) return `wire: not captured: ${tap.unavailable}`;
  const trials = cases.flatMap((c) => c.trials);
  const captured = trials.filter((t) => Array.isArray(t.wire)).length;
  const dropped = tap.dropped;
  const which = captured === trials.length ? "all" : `${captured} of`;
  return `wire: captured on lo for ${which} ${trials.length} trials` +
    (dropped
      ? ` (the kernel dropped ${dropped} frames: some wires are incomplete)`
      : "");
}

if (import.meta.main) Deno.exit(main(Deno.args, EXPERIMENTS));
