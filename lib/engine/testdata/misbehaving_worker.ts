/**
 * Test double of the trial worker for `jobs_test.ts`: it answers setup,
 * trials and stop as the real one does, except for the trials whose steps
 * start with a marker step naming a fault: `hang` opens a socket (noted in
 * its ledger) and spins forever, `throw` fails outside the engine, and
 * `wait` answers after 40 ms (a slow step's trial after 150 ms). A setup
 * whose `waitMs` is {@linkcode SLOW_START_WAIT_MS} says it is ready only
 * 200 ms later, as a worker whose module loads slowly would. Every other trial gets an empty result naming
 * its job.
 *
 * @module
 */

import { hostPosix, unwrap } from "../../../ffi/posix.ts";
import { FdLedger } from "../fd_ledger.ts";
import { SLOW_START_WAIT_MS } from "./slow_start.ts";
import type { FromWorker, ToWorker } from "../worker_protocol.ts";

const scope = globalThis as unknown as {
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
  postMessage(message: FromWorker): void;
  close(): void;
};

const posix = hostPosix();

/** An empty result for `job`, naming it. */
function answer(job: number): void {
  scope.postMessage({
    kind: "trial",
    job,
    result: { endpoints: null, observations: { job }, error: null },
    frames: null,
    ms: 0,
  });
}

/** Resolves once the setup is done: everything after it waits for it. */
let loaded: Promise<void> = Promise.resolve();

scope.onmessage = (e) => {
  const message = e.data;
  if (message.kind === "setup") {
    posix.trackFds(new FdLedger(message.ledger));
    const ms = message.options.waitMs === SLOW_START_WAIT_MS ? 200 : 0;
    loaded = new Promise((resolve) => setTimeout(resolve, ms));
    loaded.then(() => scope.postMessage({ kind: "ready" }));
    return;
  }
  loaded.then(() => handle(message));
};

/** Everything but the setup, once the worker has "loaded". */
function handle(message: ToWorker): void {
  switch (message.kind) {
    case "setup":
      return;
    case "trial": {
      const fault = (message.steps[0] as { as?: string } | undefined)?.as;
      if (fault === "hang") {
        unwrap(posix, "socket", posix.socket("inet"));
        for (;;) { /* stuck where no deadline reaches */ }
      }
      if (fault === "wait") {
        const slow = message.steps.some((s) => s.op === "watch");
        setTimeout(() => answer(message.job), slow ? 150 : 40);
        return;
      }
      if (fault === "throw") {
        scope.postMessage({
          kind: "failed",
          job: message.job,
          error: "thrown outside the engine",
          notCapable: false,
        });
        return;
      }
      answer(message.job);
      return;
    }
    case "stop":
      scope.postMessage({ kind: "stopped", dropped: 0 });
      scope.close();
  }
}
