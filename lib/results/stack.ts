/**
 * Which TCP stack a run observed: the host's own kernel, or one that
 * escoteria launched (gVisor's netstack under `runsc`, an older Linux kernel
 * under QEMU). A launcher tells the run inside what it is through the
 * `ESCOTERIA_STACK` environment variable; a run without it is on the host.
 * The stack is part of the platform's identity: it names the results file.
 *
 * @module
 */

/** The stacks `run-all --stack` takes, in the order reports show them. */
export const STACK_NAMES = ["host", "linux-6.1", "gvisor"] as const;

/** One of {@linkcode STACK_NAMES}. */
export type StackName = typeof STACK_NAMES[number];

/** Whose TCP implementation answered: an OS kernel's, or gVisor's netstack. */
export type StackKind = "linux" | "darwin" | "freebsd" | "openbsd" | "gvisor";

/** The `stack` part of a platform block. */
export interface Stack {
  /** The name `--stack` takes (`host` for a run straight on the machine). */
  name: StackName;
  /** Whose TCP code it is. */
  kind: StackKind;
  /** The kernel release, or the gVisor (runsc) version. */
  version: string;
  /** How it ran, in one sentence, e.g. "in QEMU 7.2.15 (TCG), 2 vCPUs". */
  ran: string;
}

/** The environment variable a launcher sets for the run inside. */
export const STACK_ENV = "ESCOTERIA_STACK";

/** What a launcher hands to the run inside (`version` may be filled there). */
export interface StackHandOver {
  name: StackName;
  kind: StackKind;
  version?: string;
  ran: string;
}

/** Whether `name` is a stack escoteria knows. */
export function isStackName(name: string): name is StackName {
  return (STACK_NAMES as readonly string[]).includes(name);
}

/**
 * Parses a launcher's hand-over; `null` when `text` is not one (the
 * variable is escoteria's own, so anything else is a bug, not user input).
 */
export function parseHandOver(text: string): StackHandOver | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null) return null;
  const v = value as Record<string, unknown>;
  if (typeof v.name !== "string" || !isStackName(v.name)) return null;
  if (typeof v.kind !== "string" || typeof v.ran !== "string") return null;
  if (v.version !== undefined && typeof v.version !== "string") return null;
  return {
    name: v.name,
    kind: v.kind as StackKind,
    ran: v.ran,
    ...(typeof v.version === "string" ? { version: v.version } : {}),
  };
}

/**
 * The stack this process runs on: the launcher's hand-over when there is
 * one, else the host's own kernel (`os`, release `osRelease`).
 */
export function currentStack(
  os: "linux" | "darwin" | "freebsd" | "openbsd",
  osRelease: string,
  env: (name: string) => string | undefined = readEnv,
): Stack {
  const text = env(STACK_ENV);
  const handed = text === undefined ? null : parseHandOver(text);
  if (text !== undefined && handed === null) {
    throw new Error(`${STACK_ENV} is not a stack hand-over: ${text}`);
  }
  if (handed === null) {
    return { name: "host", kind: os, version: osRelease, ran: "on the host" };
  }
  return {
    name: handed.name,
    kind: handed.kind,
    version: handed.version ?? osRelease,
    ran: handed.ran,
  };
}

function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable) return undefined;
    throw e;
  }
}

/**
 * The part of the platform id that tells stacks apart: the kernel series
 * for Linux (`6.18`, `6.1`), `gvisor-<date>` for gVisor (from runsc's
 * `0.0~20221219.0`), nothing for other kernels (their id stays
 * `<os>-<arch>`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stackIdPart } from "./stack.ts";
 * assert.equal(
 *   stackIdPart({ name: "host", kind: "linux", version: "6.18.44-fc", ran: "" }),
 *   "6.18",
 * );
 * assert.equal(
 *   stackIdPart({ name: "gvisor", kind: "gvisor", version: "0.0~20221219.0", ran: "" }),
 *   "gvisor-20221219",
 * );
 * ```
 */
export function stackIdPart(stack: Stack): string | null {
  switch (stack.kind) {
    case "linux": {
      const series = /^(\d+\.\d+)/.exec(stack.version)?.[1];
      return series ?? null;
    }
    case "gvisor": {
      const date = /(\d{8})/.exec(stack.version)?.[1];
      return `gvisor-${
        (date ?? stack.version).toLowerCase().replace(/[^a-z0-9_.]+/g, "_")
      }`;
    }
    default:
      return null;
  }
}
