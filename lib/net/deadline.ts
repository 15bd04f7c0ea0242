/**
 * Deadlines on the monotonic clock. Every wait in escoteria has one; a wait
 * that passes it throws {@linkcode DeadlineExceeded}, which the engine
 * records as the trial's error before going on with the next trial.
 *
 * @module
 */

/** A wait did not see its event before its deadline. */
export class DeadlineExceeded extends Error {
  constructor(what: string, readonly budgetMs: number) {
    super(`${what}: nothing within ${budgetMs} ms`);
    this.name = "DeadlineExceeded";
  }
}

/** A point in monotonic time by which something must have happened. */
export class Deadline {
  readonly #end: number;

  constructor(readonly budgetMs: number) {
    this.#end = performance.now() + budgetMs;
  }

  /** Milliseconds left, never negative. */
  remaining(): number {
    return Math.max(0, this.#end - performance.now());
  }

  /** Whether the deadline has passed. */
  passed(): boolean {
    return this.remaining() === 0;
  }

  /** Throws {@linkcode DeadlineExceeded} for `what` if the deadline passed. */
  check(what: string): void {
    if (this.passed()) throw new DeadlineExceeded(what, this.budgetMs);
  }
}

/** Milliseconds `fn` took, and what it returned. */
export function timed<T>(fn: () => T): { value: T; ms: number } {
  const start = performance.now();
  const value = fn();
  return { value, ms: performance.now() - start };
}
