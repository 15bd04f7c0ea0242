/**
 * Test helper: deliberately wrong libc tables for this machine's OS, each
 * one mistake of the kind a table can carry and still compile, and the
 * self-check that must catch it. Also a `deno run` entry point that runs
 * run-all over one of them: `wrong_tables.ts FAULT [run-all args...]`.
 *
 * @module
 */

import { EXPERIMENTS } from "../../experiments/mod.ts";
import { Posix } from "../../ffi/posix.ts";
import { hostTable } from "../../ffi/tables/mod.ts";
import type { PlatformTable } from "../../ffi/tables/platform.ts";
import { variadicAbi } from "../../ffi/variadic.ts";
import { main } from "../cli/run_all.ts";
import type { SelfCheckName } from "../self_check/self_check.ts";

/** One wrong table, and the first check that must fail on it. */
export interface Fault {
  readonly posix: () => Posix;
  readonly caughtBy: SelfCheckName;
}

/** The other OS family's value: Linux's where the host is a BSD, else BSD's. */
function foreign(linux: number, bsd: number, table: PlatformTable): number {
  return table.os === "linux" ? bsd : linux;
}

function withTable(change: (t: PlatformTable) => PlatformTable): () => Posix {
  return () => new Posix(change(hostTable()));
}

/** The faults by name. */
export const FAULTS = {
  /** O_NONBLOCK of the other OS family (0x4 on Linux, 0x800 on a BSD). */
  "o_nonblock": {
    posix: withTable((t) => ({
      ...t,
      constants: {
        ...t.constants,
        O_NONBLOCK: foreign(0o4000, 0x4, t),
      },
    })),
    caughtBy: "socket-nonblocking",
  },
  /** ENOTCONN numbered as the other OS family numbers it (107 / 57). */
  "errno": {
    posix: withTable((t) => ({
      ...t,
      errno: { ...t.errno, ENOTCONN: foreign(107, 57, t) },
    })),
    caughtBy: "getpeername-enotconn",
  },
  /**
   * The sockaddr layout of the other family: on Linux a table that writes
   * sin_len, on a BSD one that leaves it out where the kernel needs it.
   */
  "sin_len": {
    posix: withTable((t) => ({ ...t, sockaddrHasLen: !t.sockaddrHasLen })),
    caughtBy: "sockaddr",
  },
  /** MSG_DONTWAIT of the other family (0x40 on a BSD is not it). */
  "msg_dontwait": {
    posix: withTable((t) => ({
      ...t,
      constants: {
        ...t.constants,
        MSG_DONTWAIT: foreign(0x40, 0x80, t),
      },
    })),
    caughtBy: "msg-dontwait",
  },
  /** The TCP state numbering of the other family. */
  "tcp_states": {
    posix: withTable((t) => ({
      ...t,
      tcpStates: [...t.tcpStates].reverse(),
    })),
    caughtBy: "tcp-state",
  },
  /**
   * `fcntl` bound for the other variadic ABI: on x86_64 and Linux arm64 the
   * stack-shaped binding puts a filler (0) where F_SETFL reads its flags,
   * the mirror of a register binding on Apple arm64.
   */
  "variadic": {
    posix: () => {
      const table = hostTable();
      const right = variadicAbi(table.os, Deno.build.arch);
      return new Posix(
        table,
        undefined,
        right === "stack" ? "registers" : "stack",
      );
    },
    caughtBy: "fcntl-nonblocking",
  },
} as const satisfies Record<string, Fault>;

/** A fault's name. */
export type FaultName = keyof typeof FAULTS;

if (import.meta.main) {
  const [fault, ...args] = Deno.args;
  const chosen = (FAULTS as Record<string, Fault>)[fault ?? ""];
  if (chosen === undefined) {
    console.error(
      `wrong_tables: unknown fault ${fault} (faults: ${
        Object.keys(FAULTS).join(", ")
      })`,
    );
    Deno.exit(2);
  }
  Deno.exit(await main(args, EXPERIMENTS, chosen.posix));
}
