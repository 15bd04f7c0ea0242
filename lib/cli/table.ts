/**
 * Plain-text tables for the terminal: a header row, a rule, and rows, each
 * column as wide as its widest cell. {@linkcode renderTable} never limits
 * the width; {@linkcode renderFittedTable} keeps every line within a width
 * (see {@linkcode outputWidth}) by stacking the columns in several tables
 * and wrapping overlong cells.
 *
 * Widths are counted in code points: cells are expected to be single-line
 * text without double-width characters. Control characters (a tab, a line
 * break, an escape) would break the layout, so each is shown as a space.
 *
 * @module
 */

/** The width tables are fitted to when there is no terminal to measure. */
export const DEFAULT_TABLE_WIDTH = 100;

/** The narrowest width {@linkcode renderFittedTable} accepts. */
export const MIN_TABLE_WIDTH = 10;

/** What separates two columns. */
const GAP = "  ";

/**
 * A wrapped cell may break after one of these characters, the first group
 * preferred to the second, and so on.
 */
const BREAKS = [" ", ",|/;:", ".", "_=-"].map((group) => new Set(group));

/** Renders rows of cells under `header`, columns padded to fit. */
export function renderTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  return renderFittedTable(header, rows, { width: Infinity });
}

/** How {@linkcode renderFittedTable} fits a table. */
export interface FitOptions {
  /**
   * The longest line allowed, in columns: an integer of at least
   * {@linkcode MIN_TABLE_WIDTH}, or `Infinity` (default
   * {@linkcode DEFAULT_TABLE_WIDTH}).
   */
  readonly width?: number;
  /**
   * How many leading columns identify a row and are repeated in every
   * stacked table (default 1). When they cannot all fit beside another
   * column, fewer are repeated.
   */
  readonly keep?: number;
}

/**
 * Renders rows of cells under `header` as {@linkcode renderTable} does, but
 * with no line longer than `options.width`. When the columns do not fit
 * side by side, they are split into several tables stacked vertically and
 * separated by a blank line; each table repeats the first `options.keep`
 * columns, so that every row can still be told apart (as wide data frames
 * are printed). Every cell appears once, in the first table that has room
 * for its column.
 *
 * A cell (or a header) wider than its column can ever be is wrapped, never
 * truncated: nothing is lost. It continues on the lines below, breaking
 * after the last space in the second half of the line, else the last of
 * `, | / ; :`, else the last `.`, else the last of `_ = -`, else in
 * mid-word; the row's other cells are blank on those lines. The repeated
 * columns are narrowed first when they alone would take more than the room
 * they leave for the others.
 *
 * @throws {RangeError} for a width or `keep` out of range, or a row with
 * more cells than the header. A row with fewer has blanks.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderFittedTable } from "./table.ts";
 * const text = renderFittedTable(
 *   ["case", "first observation", "second observation"],
 *   [["a", "yes", "no"], ["b", "no", "yes"]],
 *   { width: 25 },
 * );
 * assert.equal(
 *   text,
 *   [
 *     "case  first observation",
 *     "----  -----------------",
 *     "a     yes",
 *     "b     no",
 *     "",
 *     "case  second observation",
 *     "----  ------------------",
 *     "a     no",
 *     "b     yes",
 *   ].join("\n"),
 * );
 * ```
 */
export function renderFittedTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  options: FitOptions = {},
): string {
  const width = options.width ?? DEFAULT_TABLE_WIDTH;
  if (
    width !== Infinity &&
    !(Number.isInteger(width) && width >= MIN_TABLE_WIDTH)
  ) {
    throw new RangeError(
      `table width must be an integer of at least ${MIN_TABLE_WIDTH}, not ${width}`,
    );
  }
  const wantedKeep = options.keep ?? 1;
  if (!Number.isInteger(wantedKeep) || wantedKeep < 0) {
    throw new RangeError(`keep must be a whole number, not ${wantedKeep}`);
  }
  rows.forEach((row, i) => {
    if (row.length > header.length) {
      throw new RangeError(
        `row ${i} has ${row.length} cells, the header ${header.length}`,
      );
    }
  });
  const head = header.map(clean);
  const body = rows.map((row) => head.map((_, i) => clean(row[i] ?? "")));
  const natural = head.map((h, i) =>
    body.reduce((w, row) => Math.max(w, textWidth(row[i]!)), textWidth(h))
  );
  const all = natural.map((_, i) => i);
  if (lineWidth(natural) <= width) {
    return renderBand(head, body, all, natural);
  }

  // The repeated columns, narrowed until they leave room for the widest
  // other column, or for half the width when that column is wider.
  let keep = Math.min(wantedKeep, natural.length - 1);
  const widths = [...natural];
  while (keep > 0) {
    const widest = Math.max(...natural.slice(keep));
    const room = Math.min(widest, Math.ceil(width / 2));
    // The widest the repeated columns' part of a line may be, gaps included.
    const budget = width - room - GAP.length;
    if (budget >= lineWidth(new Array(keep).fill(1))) {
      narrow(widths, keep, budget);
      break;
    }
    keep--;
  }
  const keys = all.slice(0, keep);
  const keyWidth = keep === 0 ? 0 : lineWidth(widths.slice(0, keep));
  const cap = width - keyWidth - (keep === 0 ? 0 : GAP.length);
  for (let i = keep; i < widths.length; i++) {
    widths[i] = Math.min(widths[i]!, cap);
  }

  const bands: number[][] = [];
  let band: number[] = [];
  for (let i = keep; i < widths.length; i++) {
    const tried = [...keys, ...band, i].map((c) => widths[c]!);
    if (band.length > 0 && lineWidth(tried) > width) {
      bands.push(band);
      band = [];
    }
    band.push(i);
  }
  bands.push(band);
  return bands.map((b) => {
    const columns = [...keys, ...b];
    return renderBand(head, body, columns, columns.map((c) => widths[c]!));
  }).join("\n\n");
}

/**
 * The width to fit tables printed on stdout to: the terminal's, when stdout
 * is one (at least {@linkcode MIN_TABLE_WIDTH}), else
 * {@linkcode DEFAULT_TABLE_WIDTH} (a pipe, a file, or a terminal that
 * cannot say).
 */
export function outputWidth(
  stdout: { isTerminal(): boolean } = Deno.stdout,
  consoleSize: () => { columns: number } = () => Deno.consoleSize(),
): number {
  if (!stdout.isTerminal()) return DEFAULT_TABLE_WIDTH;
  let columns: number;
  try {
    columns = consoleSize().columns;
  } catch {
    return DEFAULT_TABLE_WIDTH;
  }
  return Number.isInteger(columns) && columns > 0
    ? Math.max(columns, MIN_TABLE_WIDTH)
    : DEFAULT_TABLE_WIDTH;
}

/** The columns `text` takes: one per code point. */
function textWidth(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** `text` with every control character shown as a space. */
function clean(text: string): string {
  return text.replace(/\p{Cc}/gu, " ");
}

/** The width of a line of columns `widths` wide. */
function lineWidth(widths: readonly number[]): number {
  return widths.reduce((sum, w) => sum + w, 0) +
    GAP.length * Math.max(widths.length - 1, 0);
}

/**
 * Narrows the first `count` of `widths`, widest first, until they take at
 * most `budget` columns with the gaps between them (each keeps at least 1).
 */
function narrow(widths: number[], count: number, budget: number): void {
  const room = budget - GAP.length * (count - 1);
  const used = (limit: number) =>
    widths.slice(0, count).reduce((sum, w) => sum + Math.min(w, limit), 0);
  // The largest limit that fits, by bisection: used(1) = count <= room.
  let low = 1;
  let high = Math.max(...widths.slice(0, count));
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (used(mid) <= room) low = mid;
    else high = mid - 1;
  }
  for (let i = 0; i < count; i++) widths[i] = Math.min(widths[i]!, low);
}

/**
 * `text` as lines of at most `width` columns, broken where table cells
 * break (after a space first), continuation lines indented by `indent`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { wrapText } from "./table.ts";
 * assert.equal(wrapText("wire: not captured: no privilege", 20), "wire: not captured:\n  no privilege");
 * ```
 */
export function wrapText(text: string, width: number, indent = "  "): string {
  const [first = "", ...rest] = wrap(clean(text), width);
  if (rest.length === 0) return first;
  const tail = wrap(
    rest.join("").trimStart(),
    Math.max(width - indent.length, MIN_TABLE_WIDTH),
  );
  return [first.trimEnd(), ...tail.map((l) => indent + l.trimEnd())].join(
    "\n",
  );
}

/**
 * `text` cut into pieces of at most `width` code points, each ending after
 * the last break character of the most preferred group found in its second
 * half, when there is one.
 */
function wrap(text: string, width: number): string[] {
  const chars = [...text];
  const pieces: string[] = [];
  let start = 0;
  while (chars.length - start > width) {
    const last = start + width;
    let end = last;
    for (const group of BREAKS) {
      const at = lastBreak(chars, group, start + width / 2, last);
      if (at !== undefined) {
        end = at;
        break;
      }
    }
    pieces.push(chars.slice(start, end).join(""));
    start = end;
  }
  pieces.push(chars.slice(start).join(""));
  return pieces;
}

/**
 * The largest `end` in (`after`, `last`] whose character before is in
 * `group`, if any.
 */
function lastBreak(
  chars: readonly string[],
  group: ReadonlySet<string>,
  after: number,
  last: number,
): number | undefined {
  for (let end = last; end > after; end--) {
    if (group.has(chars[end - 1]!)) return end;
  }
  return undefined;
}

/** One table: the header, a rule, the rows; `columns` at `widths`. */
function renderBand(
  head: readonly string[],
  body: readonly (readonly string[])[],
  columns: readonly number[],
  widths: readonly number[],
): string {
  const lines = (cells: readonly string[]): string[] => {
    const pieces = columns.map((c, i) => wrap(cells[c]!, widths[i]!));
    const height = Math.max(1, ...pieces.map((p) => p.length));
    return Array.from(
      { length: height },
      (_, line) =>
        pieces.map((p, i) => pad(p[line] ?? "", widths[i]!)).join(GAP)
          .trimEnd(),
    );
  };
  const rule = widths.map((w) => "-".repeat(w)).join(GAP);
  return [...lines(head), rule, ...body.flatMap(lines)].join("\n");
}

/** `text` padded with spaces to `width` columns. */
function pad(text: string, width: number): string {
  return text + " ".repeat(Math.max(width - textWidth(text), 0));
}
