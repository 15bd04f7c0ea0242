/**
 * A progress line for long runs: `[done/total] label` on stderr, rewritten
 * in place, only when stderr is a terminal. Piped or redirected, it writes
 * nothing at all, so logs and test output stay clean.
 *
 * @module
 */

/** What {@linkcode startProgress} draws on, and how often. */
export interface ProgressOptions {
  /** Whether to draw at all (default: whether stderr is a terminal). */
  readonly isTerminal?: boolean;
  /** Writes `text` to the terminal (default: to stderr, synchronously). */
  readonly write?: (text: string) => void;
  /**
   * The terminal's width in columns, asked before each redraw (default:
   * `Deno.consoleSize()`; 80 when it throws or says 0).
   */
  readonly columns?: () => number;
  /** The clock, in milliseconds (default `performance.now()`). */
  readonly now?: () => number;
  /** The least time between two redraws, in milliseconds (default 80). */
  readonly intervalMs?: number;
}

/** A progress line; see {@linkcode startProgress}. */
export interface Progress {
  /**
   * Sets how much is done and what is being done. The line is redrawn at
   * once the first time and after {@linkcode Progress.clear}, then at most
   * once per interval: an update in between only records the state, so
   * calling it for every step of a tight loop costs next to nothing.
   */
  update(done: number, label: string): void;
  /**
   * Erases the line, e.g. before printing to the same terminal; the next
   * update draws it again at once.
   */
  clear(): void;
  /** Erases the line for good: later updates and clears write nothing. */
  done(): void;
}

/** Moves to the start of the line and erases it. */
const ERASE = "\r\x1b[K";

const SILENT: Progress = { update() {}, clear() {}, done() {} };

/**
 * Starts a progress line counting up to `total`. Each redraw writes
 * `"\r\x1b[K[done/total] label"`, the visible part cut (ending in `…`) to
 * one column less than the terminal's width, so that the terminal never
 * wraps it onto a second line. Control characters in the label are shown
 * as spaces. Nothing is written until the first update, and nothing at all
 * when `options.isTerminal` is false.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { startProgress } from "./progress.ts";
 * const written: string[] = [];
 * const progress = startProgress(2, {
 *   isTerminal: true,
 *   write: (text) => written.push(text),
 *   columns: () => 80,
 * });
 * progress.update(1, "article");
 * progress.done();
 * assert.deepEqual(written, ["\r\x1b[K[1/2] article", "\r\x1b[K"]);
 * ```
 */
export function startProgress(
  total: number,
  options: ProgressOptions = {},
): Progress {
  if (!(options.isTerminal ?? Deno.stderr.isTerminal())) return SILENT;
  const write = options.write ?? writeStderr;
  const columns = options.columns ?? consoleColumns;
  const now = options.now ?? (() => performance.now());
  const interval = options.intervalMs ?? 80;
  let shown = false;
  let finished = false;
  let drawnAt = -Infinity;
  const clear = () => {
    if (!shown) return;
    write(ERASE);
    shown = false;
  };
  return {
    update(done, label) {
      if (finished) return;
      const at = now();
      if (shown && at - drawnAt < interval) return;
      write(ERASE + fit(`[${done}/${total}] ${label}`, widthOf(columns)));
      shown = true;
      drawnAt = at;
    },
    clear,
    done() {
      clear();
      finished = true;
    },
  };
}

/** The columns a redraw may use: one less than the terminal's width. */
function widthOf(columns: () => number): number {
  let width: number;
  try {
    width = columns();
  } catch {
    width = 0;
  }
  if (!Number.isInteger(width) || width < 1) width = 80;
  return Math.max(width - 1, 1);
}

/** `text` without control characters, cut to `width` code points. */
function fit(text: string, width: number): string {
  const chars = [...text.replace(/\p{Cc}/gu, " ")];
  return chars.length <= width
    ? chars.join("")
    : chars.slice(0, width - 1).join("") + "…";
}

function consoleColumns(): number {
  return Deno.consoleSize().columns;
}

const encoder = new TextEncoder();

function writeStderr(text: string): void {
  const bytes = encoder.encode(text);
  for (let at = 0; at < bytes.length;) {
    at += Deno.stderr.writeSync(bytes.subarray(at));
  }
}
