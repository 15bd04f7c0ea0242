/**
 * errno number ↔ name, per OS table.
 *
 * @module
 */

import {
  ERRNO_NAMES,
  type ErrnoName,
  type PlatformTable,
} from "./tables/platform.ts";

/**
 * An errno as escoteria names it: one of {@linkcode ERRNO_NAMES}, or
 * `E#<number>` for a number the table does not know.
 */
export type Errno = ErrnoName | `E#${number}`;

const byTable = new WeakMap<PlatformTable, Map<number, ErrnoName>>();

/** The name of errno `number` on `table`'s OS, or `"E#<number>"`. */
export function errnoName(table: PlatformTable, number: number): Errno {
  let names = byTable.get(table);
  if (!names) {
    names = new Map();
    for (const name of ERRNO_NAMES) {
      // EAGAIN first: where EWOULDBLOCK shares its number it reads as EAGAIN.
      if (!names.has(table.errno[name])) names.set(table.errno[name], name);
    }
    byTable.set(table, names);
  }
  return names.get(number) ?? `E#${number}`;
}

/** The number of errno `name` on `table`'s OS. */
export function errnoNumber(table: PlatformTable, name: ErrnoName): number {
  return table.errno[name];
}
