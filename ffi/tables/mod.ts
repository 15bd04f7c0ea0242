/**
 * Every OS table behind one {@linkcode OsRecord}, and the one for the OS this
 * process runs on.
 *
 * @module
 */

import { DARWIN } from "./darwin.ts";
import { FREEBSD } from "./freebsd.ts";
import { LINUX } from "./linux.ts";
import { OPENBSD } from "./openbsd.ts";
import {
  type Os,
  OSES,
  type OsRecord,
  type PlatformTable,
} from "./platform.ts";

/** The libc table of every supported OS. */
export const TABLES: OsRecord<PlatformTable> = {
  linux: LINUX,
  darwin: DARWIN,
  freebsd: FREEBSD,
  openbsd: OPENBSD,
};

/** Whether `os` (a `Deno.build.os` value) has a table. */
export function isSupportedOs(os: string): os is Os {
  return (OSES as readonly string[]).includes(os);
}

/**
 * The table for the running OS.
 *
 * @throws {Error} on an OS escoteria has no table for.
 */
export function hostTable(): PlatformTable {
  const os = Deno.build.os;
  if (!isSupportedOs(os)) {
    throw new Error(
      `Cannot run on ${os}: escoteria has libc tables for ${OSES.join(", ")}`,
    );
  }
  return TABLES[os];
}
