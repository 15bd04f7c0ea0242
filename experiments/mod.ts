/**
 * Every experiment escoteria runs, in the order `run-all` runs them.
 *
 * @module
 */

import { isSlowTrial } from "../lib/engine/jobs.ts";
import { expandCases, type Experiment } from "../lib/engine/scenario.ts";
import { article } from "./article.ts";
import { deadpeer } from "./deadpeer.ts";
import { reset } from "./reset.ts";
import { slowclose } from "./slowclose.ts";
import { teardown } from "./teardown.ts";

/** All experiments. */
export const EXPERIMENTS: readonly Experiment[] = [
  article,
  teardown,
  reset,
  slowclose,
  deadpeer,
];

/**
 * Whether some trial of `experiment` is slow (it waits seconds on the
 * kernel's timers, `isSlowTrial`) or runs between namespaces: tests run
 * such experiments with trials side by side, not one after another.
 */
export function isSlowExperiment(experiment: Experiment): boolean {
  return experiment.network === "namespaces" ||
    expandCases(experiment).some((c) =>
      isSlowTrial(experiment.steps(c.params))
    );
}
