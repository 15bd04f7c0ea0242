/**
 * The results format (schema version 2): types, validation against
 * `results/schema.json` on write and on read, canonical serialisation and
 * atomic writes. The format is a contract documented in `results/README.md`.
 *
 * @module
 */

import Ajv from "ajv";
import type { CaseResult } from "../engine/run.ts";
import { caseId } from "../engine/scenario.ts";
import type { Stack } from "./stack.ts";

export type { CaseResult, TrialResult } from "../engine/run.ts";
export type { Leftover } from "../kernel/leftovers.ts";
export type { Segment } from "../wire/segments.ts";
export type { Stack } from "./stack.ts";

/** The schema version this code writes and reads. */
/**
 * Version 2: observers run `recv` before `so_error` (in version 1 `so_error`
 * ran first and took a pending error, so the two files' values mean
 * different things), trials may carry `wireCheckpoints`, the platform
 * `sysctlsUnreadable` and `sysctlsUnavailable`.
 */
export const SCHEMA_VERSION = 2;

/** Where and how the results were made. */
export interface Platform {
  id: string;
  os: "linux" | "darwin" | "freebsd" | "openbsd";
  osRelease: string;
  arch: string;
  deno: string | null;
  libc?: string | null;
  source: "run" | "transcribed";
  note?: string;
  command?: string;
  root?: boolean | null;
  sysctls?: Record<string, string | number>;
  /** Sysctls tried but not read: name → reason (`ENOENT: not on this kernel`). */
  sysctlsUnreadable?: Record<string, string>;
  /** Why no sysctl was tried on this OS (OpenBSD). */
  sysctlsUnavailable?: string;
  /** The TCP stack that answered (absent in files made before stacks). */
  stack?: Stack;
  /** Whether poll() reported POLLRDHUP for a FIN when the run probed. */
  pollRdhup?: boolean;
  /** The self-check this run passed (absent in files made before it). */
  selfCheck?: SelfCheckRecord[];
}

/** One self-check entry as a results file holds it. */
export interface SelfCheckRecord {
  check: string;
  ok: boolean;
  detail: string;
}

/** A whole results file. */
export interface Results {
  schemaVersion: typeof SCHEMA_VERSION;
  platform: Platform;
  cases: CaseResult[];
}

/**
 * A results file that cannot be used; the message names file and field.
 * Commands report it as bad input: one line, exit code 2.
 */
export class ResultsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ResultsError";
  }
}

const schema = JSON.parse(
  Deno.readTextFileSync(new URL("../../results/schema.json", import.meta.url)),
);
const ajv = new Ajv.default({
  allErrors: false,
  strict: true,
  allowUnionTypes: true,
});
const validateSchema = ajv.compile(schema);

/**
 * Checks `data` against the schema and the rules it cannot express (case id
 * matches its params, ids unique, platform id is `<os>-<arch>`).
 *
 * @throws {ResultsError} `<where>: <field>: <problem>`, one line.
 */
export function validateResults(data: unknown, where: string): Results {
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new ResultsError(
      `${where}: not an escoteria results file (not a JSON object)`,
    );
  }
  const version = (data as Record<string, unknown>).schemaVersion;
  if (version === undefined) {
    throw new ResultsError(
      `${where}: /schemaVersion: missing; not an escoteria results file`,
    );
  }
  if (typeof version === "number" && version < SCHEMA_VERSION) {
    throw new ResultsError(
      `${where}: /schemaVersion: ${version} is older than this escoteria reads (${SCHEMA_VERSION}); run the experiments again`,
    );
  }
  if (typeof version === "number" && version > SCHEMA_VERSION) {
    throw new ResultsError(
      `${where}: /schemaVersion: ${version} is newer than this escoteria reads (${SCHEMA_VERSION})`,
    );
  }
  if (!validateSchema(data)) {
    const e = validateSchema.errors?.[0];
    const field = e?.instancePath || "/";
    const extra = e?.keyword === "additionalProperties"
      ? ` (${(e.params as { additionalProperty: string }).additionalProperty})`
      : e?.keyword === "enum"
      ? ` (${
        JSON.stringify((e.params as { allowedValues: unknown }).allowedValues)
      })`
      : "";
    throw new ResultsError(
      `${where}: ${field}: ${e?.message ?? "invalid"}${extra}`,
    );
  }
  const results = data as unknown as Results;
  const p = results.platform;
  if (p.id !== `${p.os}-${p.arch}` && !p.id.startsWith(`${p.os}-${p.arch}-`)) {
    throw new ResultsError(
      `${where}: /platform/id: "${p.id}" does not start with "${p.os}-${p.arch}"`,
    );
  }
  const seen = new Set<string>();
  results.cases.forEach((c, i) => {
    const expected = caseId(c.experiment, c.params);
    if (c.id !== expected) {
      throw new ResultsError(
        `${where}: /cases/${i}/id: "${c.id}" does not match its experiment and params ("${expected}")`,
      );
    }
    if (seen.has(c.id)) {
      throw new ResultsError(
        `${where}: /cases/${i}/id: "${c.id}" appears twice`,
      );
    }
    seen.add(c.id);
  });
  return results;
}

/**
 * Reads and validates a results file.
 *
 * @throws {ResultsError} for a missing, unreadable, malformed or foreign file.
 */
export function readResults(path: string): Results {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable) throw e;
    throw new ResultsError(`${path}: cannot read: ${(e as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new ResultsError(`${path}: malformed JSON: ${(e as Error).message}`);
  }
  return validateResults(data, path);
}

/** Sorts object keys at every depth, so equal data serialises equally. */
export function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value).sort().map((k) => [
        k,
        canonical((value as Record<string, unknown>)[k]),
      ]),
    );
  }
  return value;
}

/** Canonical JSON text of a results file: sorted keys and cases, 2-space indent. */
export function formatResults(results: Results): string {
  const sorted = {
    ...results,
    cases: [...results.cases].sort((a, b) => compareIds(a.id, b.id)),
  };
  return JSON.stringify(canonical(sorted), null, 2) + "\n";
}

/** Orders case ids by code unit, so the order never depends on locale. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Writes `data` (text, or bytes) to `path` atomically: a temporary file
 * beside it, then rename. A failure leaves `path` as it was.
 */
export function writeAtomically(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${Deno.pid}`;
  try {
    if (typeof data === "string") Deno.writeTextFileSync(tmp, data);
    else Deno.writeFileSync(tmp, data);
    Deno.renameSync(tmp, path);
  } catch (e) {
    try {
      Deno.removeSync(tmp);
    } catch { /* nothing was written */ }
    throw e;
  }
}

/** Validates, then writes a results file atomically. */
export function writeResults(path: string, results: Results): void {
  const text = formatResults(results);
  validateResults(JSON.parse(text), path);
  writeAtomically(path, text);
}
