/**
 * The shape of an answer: one question, answered as a table with a column
 * per platform and a cell per row, each cell naming the case it comes from.
 * `answers.ts` builds them; the documents render them.
 *
 * @module
 */

import type { Experiment } from "../engine/scenario.ts";
import type { CaseResult, Platform } from "../results/format.ts";

/** One cell: its text, and the case it comes from (to link), if any. */
export interface AnswerCell {
  readonly text: string;
  readonly caseId?: string;
}

/** One row of an answer table: a label and a cell per platform. */
export interface AnswerRow {
  readonly label: string;
  readonly cells: readonly AnswerCell[];
}

/** One question, answered as a table. */
export interface Answer {
  /** The platforms with data for it, in the order of the cells. */
  readonly platforms: readonly Platform[];
  /** A stable anchor, e.g. `find-out`. */
  readonly id: string;
  readonly question: string;
  /** How to read the table, in one or two sentences. */
  readonly how: string;
  /** The first column's heading. */
  readonly rowHeading: string;
  /** Per platform, one sentence of counts; empty where there is none. */
  readonly summary: readonly string[];
  readonly rows: readonly AnswerRow[];
}

/** Every answer. */
export interface Answers {
  readonly answers: readonly Answer[];
}

/** An answer before its columns are narrowed to the platforms with data. */
export type Draft = Omit<Answer, "platforms">;

/** Per platform, its cases by id. */
export type CaseIndex = readonly ReadonlyMap<string, CaseResult>[];

/** Text of a platform that has not run a case. */
export const NOT_RUN = "not run";

/**
 * The experiment `name` of `experiments` and the values of its `factors`,
 * in that order; `null` when it or one of the factors is missing (an
 * answer about it is then left out).
 */
export function experimentFactors<const F extends readonly string[]>(
  experiments: readonly Experiment[],
  name: string,
  factors: F,
): {
  experiment: Experiment;
  values: { readonly [K in keyof F]: readonly string[] };
} | null {
  const experiment = experiments.find((e) => e.name === name);
  if (!experiment) return null;
  const values = factors.map((f) =>
    experiment.factors.find((x) => x.name === f)?.values
  );
  if (values.some((v) => v === undefined)) return null;
  return {
    experiment,
    values: values as unknown as { readonly [K in keyof F]: readonly string[] },
  };
}
