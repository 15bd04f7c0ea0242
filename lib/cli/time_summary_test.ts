import assert from "node:assert/strict";
import { wrapText } from "./table.ts";
import { parseTimeSummary, timeSummary } from "./time_summary.ts";

const phases = {
  startMs: 94.4,
  selfCheckMs: 3.2,
  trialsMs: 1062.1,
  workers: 12,
  workersReadyMs: 232.4,
  trialMs: [20, 31, 78, 25.6],
  writeMs: 21,
  documentsMs: 179.4,
};

Deno.test("timeSummary() says where the time went, and parseTimeSummary() reads it back from wrapped output", () => {
  const line = timeSummary(phases);
  assert.equal(
    line,
    "time: start 94 ms, self-check 3 ms, trials 1062 ms (12 workers, all " +
      "ready after 232 ms; 155 ms of trial time, median trial 31 ms, " +
      "longest 78 ms), results 21 ms, documents 179 ms",
  );
  const stdout = `wire: captured\n${wrapText(line, 60)}\nresults: x.json\n`;
  assert.ok(stdout.split("\n").length > 4, "the line was wrapped");
  assert.deepEqual(parseTimeSummary(stdout), {
    startMs: 94,
    selfCheckMs: 3,
    trialsMs: 1062,
    workers: 12,
    workersReadyMs: 232,
    trialTimeMs: 155,
    medianTrialMs: 31,
    longestTrialMs: 78,
    writeMs: 21,
    documentsMs: 179,
  });
});

Deno.test("a serial run's summary has no workers, and output without one parses to null", () => {
  const serial = timeSummary({ ...phases, workers: 1, workersReadyMs: 0 });
  assert.match(serial, /\(serial; 155 ms of trial time/);
  assert.equal(parseTimeSummary(serial)?.workersReadyMs, null);
  assert.equal(parseTimeSummary(serial)?.workers, 1);
  assert.equal(parseTimeSummary("102 cases × 3 trials in 1.06 s\n"), null);
});
