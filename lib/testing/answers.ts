/**
 * Test helper: the committed Linux results, and the answers and cells the
 * documents build from them, so that answer tests read like the tables.
 *
 * @module
 */

import assert from "node:assert/strict";
import { EXPERIMENTS } from "../../experiments/mod.ts";
import { type Answer, buildAnswers } from "../documents/answers.ts";
import { readResults, type Results } from "../results/format.ts";

/**
 * Makes every case of `experiment` in `results` one that could not run:
 * no observations, and each trial's error `why`, as a run without the
 * privilege or the kernel interface records them.
 */
export function couldNotRun(
  results: Results,
  experiment: string,
  why: string,
): void {
  for (const c of results.cases) {
    if (c.experiment !== experiment) continue;
    c.observations = {};
    c.trials = c.trials.map(() => ({
      endpoints: null,
      observations: {},
      durations: {},
      error: why,
    }));
  }
}

/** The committed results of the Linux host these answers are tested on. */
export const LINUX: Results = readResults(
  new URL("../../results/linux-x86_64-6.18.json", import.meta.url).pathname,
);

/** The answer `id` over `results`; fails the test when there is none. */
export function answer(results: readonly Results[], id: string): Answer {
  const found = buildAnswers(results, EXPERIMENTS).answers.find((a) =>
    a.id === id
  );
  assert.ok(found, `no answer ${id}`);
  return found;
}

/** The text of the cell of `row` for platform column `column`. */
export function cell(a: Answer, row: string, column = 0): string {
  const r = a.rows.find((r) => r.label === row);
  assert.ok(r, `no row ${row} in ${a.rows.map((r) => r.label)}`);
  return r.cells[column]!.text;
}
