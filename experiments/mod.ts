/**
 * Every experiment escoteria runs, in the order `run-all` runs them.
 *
 * @module
 */

import type { Experiment } from "../lib/engine/scenario.ts";
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
