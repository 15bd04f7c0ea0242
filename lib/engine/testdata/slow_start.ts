/**
 * The setup's `waitMs` that makes `misbehaving_worker.ts` slow to say it
 * is ready (shared with `jobs_test.ts`, which must not import the worker).
 *
 * @module
 */

/** A `waitMs` no real run uses. */
export const SLOW_START_WAIT_MS = 4321;
