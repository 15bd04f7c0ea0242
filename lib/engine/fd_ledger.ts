/**
 * Which file descriptors a trial worker holds, kept in shared memory (a
 * `SharedArrayBuffer`) that the main thread can read at any moment: a
 * worker stopped mid-trial (its trial overran every deadline, or it
 * crashed) cannot close its own sockets, so the main thread closes what
 * the ledger says it left open. Descriptors are process-wide, so closing
 * them from another thread is the same as closing them in the worker.
 *
 * An fd is struck from the ledger before `close()`: a worker stopped in
 * between leaks that one fd, but the main thread never closes a number the
 * kernel may already have given to someone else. The main thread takes a
 * stopped worker's fds over by marking their slots (a tombstone, the fd's
 * entry negated) rather than freeing them: a worker that is still running
 * for a moment after `terminate()` then finds its fd taken and does not
 * close it too, so no fd is closed twice (a second close could hit a
 * number reused meanwhile, e.g. by a Deno runtime's own event fd).
 *
 * @module
 */

import type { FdTracker } from "../../ffi/posix.ts";

/** Descriptors one worker may hold at once: a trial holds four at most. */
export const LEDGER_SLOTS = 64;

/** A worker's open descriptors, in memory shared with the main thread. */
export class FdLedger implements FdTracker {
  /** Each slot holds fd + 1; 0 is a free slot. */
  readonly #slots: Int32Array;

  /** A fresh ledger, or a view of the one `buffer` holds (in the worker). */
  constructor(
    readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(
      LEDGER_SLOTS * Int32Array.BYTES_PER_ELEMENT,
    ),
  ) {
    this.#slots = new Int32Array(buffer);
  }

  /** Notes `fd` as open (a number taken over before is free again). */
  opened(fd: number): void {
    for (let i = 0; i < this.#slots.length; i++) {
      if (Atomics.compareExchange(this.#slots, i, 0, fd + 1) === 0) return;
    }
    throw new RangeError(`fd ledger full: more than ${LEDGER_SLOTS} fds open`);
  }

  /**
   * Strikes `fd` out before it is closed; says whether the caller may
   * close it: `false` when the main thread has taken it over
   * ({@linkcode takeOver}).
   */
  closed(fd: number): boolean {
    for (let i = 0; i < this.#slots.length; i++) {
      if (Atomics.compareExchange(this.#slots, i, fd + 1, 0) === fd + 1) {
        return true;
      }
    }
    return !this.#slots.includes(-(fd + 1));
  }

  /**
   * For the main thread, once the worker is stopped: the fds the ledger
   * still held, each now marked as taken over, so the worker never closes
   * them itself; the caller closes every one.
   */
  takeOver(): number[] {
    const fds: number[] = [];
    for (let i = 0; i < this.#slots.length; i++) {
      const v = Atomics.load(this.#slots, i);
      if (v > 0 && Atomics.compareExchange(this.#slots, i, v, -v) === v) {
        fds.push(v - 1);
      }
    }
    return fds;
  }

  /** The descriptors noted as open (not taken over), in slot order. */
  held(): number[] {
    const fds: number[] = [];
    for (let i = 0; i < this.#slots.length; i++) {
      const v = Atomics.load(this.#slots, i);
      if (v > 0) fds.push(v - 1);
    }
    return fds;
  }
}
