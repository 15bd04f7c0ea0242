/**
 * `deno task bench`: wall time of every experiment (all cases, 3 trials
 * each, as run-all runs them), time per case, the whole run, and the cost
 * of one FFI call and of one `readLeftovers()`. Speed is reported here,
 * never asserted in tests.
 *
 * @module
 */

import { hostPosix } from "../../ffi/posix.ts";
import { failureExitCode } from "./ending.ts";
import { parseFlags, positiveInteger } from "./flags.ts";
import { runCase } from "../engine/run.ts";
import { expandCases } from "../engine/scenario.ts";
import { openCapture } from "../wire/capture.ts";
import { readLeftovers } from "../kernel/leftovers.ts";
import { renderTable } from "./table.ts";
import { DEFAULT_TRIAL_OPTIONS } from "../engine/trial.ts";
import { EXPERIMENTS } from "../../experiments/mod.ts";

const USAGE = `Usage: deno task bench [--rounds N] [--trials N]

Times every experiment as run-all runs it (default: 3 trials per case),
over N rounds (default 5), the cost of one FFI call and of one
readLeftovers() (the kernel's sockets for a trial's 4-tuple).`;

/** Median of a non-empty list. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function main(args: string[]): number {
  const { values } = parseFlags(args, {
    rounds: { type: "string" },
    trials: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const rounds = positiveInteger("--rounds", values.rounds ?? "5");
  const trials = positiveInteger("--trials", values.trials ?? "3");
  const posix = hostPosix();

  // One FFI call: close(-1) fails at once with EBADF, then errno is read.
  const calls = 100_000;
  const start = performance.now();
  for (let i = 0; i < calls; i++) posix.close(-1);
  const nsPerCall = ((performance.now() - start) * 1e6) / calls;

  // One readLeftovers() call, as trials make it during a settle: a netlink
  // socket opened, two sock_diag lookups, the socket closed.
  const lookups = 2_000;
  const nowhere = {
    client: { family: "inet", address: "127.0.0.1", port: 1 },
    server: { family: "inet", address: "127.0.0.1", port: 2 },
  } as const;
  const leftoversStart = performance.now();
  let leftovers = readLeftovers(nowhere, posix);
  for (let i = 1; i < lookups; i++) leftovers = readLeftovers(nowhere, posix);
  const usPerLeftovers = ((performance.now() - leftoversStart) * 1e3) /
    lookups;

  // Trials run as run-all runs them: leftovers read, the wire captured
  // where the privilege allows.
  const capture = openCapture(posix);
  const options = {
    ...DEFAULT_TRIAL_OPTIONS,
    leftovers: true,
    wire: capture,
  };
  const rows: string[][] = [];
  const totals: number[] = new Array(rounds).fill(0);
  for (const experiment of EXPERIMENTS) {
    const cases = expandCases(experiment);
    const times: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const t0 = performance.now();
      for (const c of cases) runCase(posix, c, trials, options);
      const ms = performance.now() - t0;
      times.push(ms);
      totals[r]! += ms;
    }
    const ms = median(times);
    rows.push([
      experiment.name,
      String(cases.length),
      `${ms.toFixed(1)} ms`,
      `${(ms / cases.length).toFixed(2)} ms`,
      `${Math.min(...times).toFixed(1)}–${Math.max(...times).toFixed(1)} ms`,
    ]);
  }
  const all = median(totals);
  rows.push([
    "all",
    String(EXPERIMENTS.reduce((n, e) => n + expandCases(e).length, 0)),
    `${all.toFixed(1)} ms`,
    "",
    "",
  ]);
  console.log(
    renderTable([
      "experiment",
      "cases",
      `wall (median of ${rounds}, ${trials} trials)`,
      "per case",
      "range",
    ], rows),
  );
  if ("close" in capture) capture.close();
  console.log(
    "unavailable" in capture
      ? `\nwire: not captured (${capture.unavailable})`
      : "\nwire: captured on lo, as run-all does",
  );
  console.log(
    `FFI call (close(-1) + errno read): ${nsPerCall.toFixed(0)} ns`,
  );
  console.log(
    "unavailable" in leftovers
      ? `readLeftovers(): unavailable (${leftovers.unavailable})`
      : `readLeftovers() (2 sock_diag lookups): ${
        usPerLeftovers.toFixed(0)
      } µs`,
  );
  console.log(
    `The article's script sleeps 8 s per case: ${
      8 * expandCases(EXPERIMENTS[0]!).length
    } s for its cases.`,
  );
  return 0;
}

if (import.meta.main) {
  let code: number;
  try {
    code = main(Deno.args);
  } catch (e) {
    code = failureExitCode("bench", "bench", e);
  }
  Deno.exit(code);
}
