/**
 * A trial worker: its own isolate with its own libc binding and, where the
 * run captures the wire, its own capture socket on lo (and where the run
 * traces the kernel, a view of the trace clock: each trial notes its
 * window on it for the main thread, which holds the tracer). It runs the
 * trials
 * the main thread hands it one at a time, with the same engine as a serial
 * run ({@linkcode runTrial}); each trial is on its own port pair and the
 * capture attributes frames by endpoints, so what else runs beside it does
 * not enter its record. Every fd it opens is noted in the ledger the main
 * thread gave it, so nothing leaks if it has to be stopped.
 *
 * @module
 */

import { hostPosix, type Posix } from "../../ffi/posix.ts";
import { TraceClock } from "../kernel/tracer.ts";
import { openCapture } from "../wire/capture.ts";
import { FdLedger } from "./fd_ledger.ts";
import { trialResult } from "./run.ts";
import { runTrial, trialFrames, type TrialOptions } from "./trial.ts";
import type { FromWorker, ToWorker } from "./worker_protocol.ts";

/** The worker's global scope, as far as this file uses it. */
const scope = globalThis as unknown as {
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
  postMessage(message: FromWorker): void;
  close(): void;
};

let posix: Posix | null = null;
let options: TrialOptions | null = null;
let capture: ReturnType<typeof openCapture> | null = null;
let sendFrames = false;

function post(message: FromWorker): void {
  scope.postMessage(message);
}

scope.onmessage = (e) => {
  const message = e.data;
  const job = message.kind === "trial" ? message.job : null;
  try {
    switch (message.kind) {
      case "setup": {
        posix = hostPosix();
        posix.trackFds(new FdLedger(message.ledger));
        sendFrames = message.frames;
        capture = message.wire === "capture"
          ? openCapture(posix)
          : message.wire;
        options = {
          ...message.options,
          wire: capture,
          clock: message.clock ? new TraceClock(posix) : null,
        };
        post({ kind: "ready" });
        return;
      }
      case "trial": {
        if (posix === null || options === null) {
          throw new Error("trial worker: a trial before its setup");
        }
        const started = performance.now();
        const record = runTrial(posix, message.steps, {
          ...options,
          network: message.network,
        });
        const ms = performance.now() - started;
        const frames = sendFrames ? trialFrames(options, record) : null;
        post({
          kind: "trial",
          job: message.job,
          result: trialResult(record),
          frames,
          ms,
          ...(record.traceWindow ? { window: record.traceWindow } : {}),
          ...(record.traceUnavailable !== undefined
            ? { traceUnavailable: record.traceUnavailable }
            : {}),
          ...(record.checkpointTimes
            ? { checkpointTimes: record.checkpointTimes }
            : {}),
        });
        return;
      }
      case "stop": {
        let dropped = 0;
        if (capture && "close" in capture) {
          dropped = capture.dropped;
          capture.close();
        }
        post({ kind: "stopped", dropped });
        scope.close();
        return;
      }
    }
  } catch (e) {
    post({
      kind: "failed",
      job,
      error: e instanceof Error ? e.message : String(e),
      notCapable: e instanceof Deno.errors.NotCapable,
    });
  }
};
