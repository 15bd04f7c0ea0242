import assert from "node:assert/strict";
import type { Results } from "../results/format.ts";
import { answer, cell, couldNotRun, LINUX } from "../testing/answers.ts";

/** The Linux results as a run without root would have its dead peers. */
function unprivilegedTwin(): Results {
  const copy = structuredClone(LINUX);
  copy.platform.id = "linux-x86_64-unprivileged";
  couldNotRun(
    copy,
    "deadpeer",
    "not run: network namespaces need root (CAP_SYS_ADMIN)",
  );
  return copy;
}

Deno.test("the dead-peer answer says per detector and fate what was found, by what, after how long", () => {
  const a = answer([LINUX], "dead-peer");
  assert.equal(a.rows.length, 12);
  assert.match(cell(a, "keepalive: vanished"), /^ETIMEDOUT \(poll\) after \d/);
  assert.match(cell(a, "user_timeout: vanished"), /^ETIMEDOUT \(poll\) after/);
  assert.match(cell(a, "write: rebooted"), /^ECONNRESET \(poll\) after/);
  assert.equal(cell(a, "keepalive: hung"), "nothing within 4.5 s");
  assert.equal(cell(a, "none: vanished"), "nothing within 4.5 s");
  // Each cell links its case.
  assert.equal(
    a.rows.find((r) => r.label === "keepalive: vanished")!.cells[0]!.caseId,
    "deadpeer/detector=keepalive,fate=vanished",
  );
  // The times come from the trials' durations, in seconds here.
  const c = LINUX.cases.find((c) =>
    c.id === "deadpeer/detector=keepalive,fate=vanished"
  )!;
  const ms = c.trials.map((t) => t.durations!["watcher.detected"]!);
  const shown = cell(a, "keepalive: vanished").match(/after (.*)$/)![1]!;
  const low = (Math.min(...ms) / 1000).toFixed(2);
  assert.ok(shown.startsWith(low), `${shown} from ${ms}`);
  const found = LINUX.cases.filter((c) =>
    c.experiment === "deadpeer" &&
    c.observations["watcher.detected"] !== "none"
  ).length;
  assert.equal(
    a.summary[0],
    `${found} of 12 cases that ran found the dead peer within the window.`,
  );
});

Deno.test("a platform whose dead-peer trials could not run says why, once, and no cell claims nothing was found", () => {
  const a = answer([LINUX, unprivilegedTwin()], "dead-peer");
  assert.equal(a.platforms.length, 2);
  assert.equal(
    cell(a, "keepalive: vanished", 1),
    "could not run here (see above)",
  );
  assert.equal(
    a.summary[1],
    "none of the 12 cases could run here: not run: network namespaces " +
      "need root (CAP_SYS_ADMIN).",
  );
});
