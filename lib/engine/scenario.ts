/**
 * Scenarios as data: an experiment names its factors, and for each
 * combination of their values (a case) gives the steps both endpoints take.
 * The engine interprets the steps; {@linkcode describeStep} puts them in
 * words for reports. Case ids are `<experiment>/<k>=<v>,…` with keys sorted.
 *
 * @module
 */

import type { Linger } from "../../ffi/linger.ts";
import type { ShutdownHow } from "../../ffi/posix.ts";
import type { Side } from "../net/endpoints.ts";
import { observationKey as key } from "./keys.ts";
import { type ObserverName, OBSERVERS } from "./observers.ts";

export type { Side };

/** Fields every step has: which socket acts, and the name its keys use. */
interface StepBase {
  readonly side: Side;
  /** Prefix of the observation keys; defaults to the side ("actor", …). */
  readonly as?: string;
}

/** One thing an endpoint does; its observations are recorded under keys. */
export type Step =
  | StepBase & {
    /** `send()` the text; records `<as>.send.<checkpoint>` if given. */
    readonly op: "send";
    readonly data: string;
    readonly checkpoint?: string;
  }
  | StepBase & {
    /** Waits for and `recv()`s exactly `bytes`; records `<as>.recv`. */
    readonly op: "recv";
    readonly bytes: number;
  }
  | StepBase & {
    /** Waits until data is readable, and leaves it unread. */
    readonly op: "await_data";
  }
  | StepBase & {
    /** `getsockopt(SO_LINGER)`; records `<as>.linger.<checkpoint>`. */
    readonly op: "get_linger";
    readonly checkpoint: string;
  }
  | StepBase & {
    /** `setsockopt(SO_LINGER, linger)`. */
    readonly op: "set_linger";
    readonly linger: Linger;
  }
  | StepBase & {
    /**
     * The article's `connected()`: `getpeername()`; records
     * `<as>.connected.<checkpoint>` (1/0), `<as>.getpeername.<checkpoint>`
     * (ok or errno) and `<as>.tcp_state.<checkpoint>`.
     */
    readonly op: "connected";
    readonly checkpoint: string;
  }
  | StepBase & {
    /** `shutdown(how)`; records `<as>.shutdown` (ok or errno). */
    readonly op: "shutdown";
    readonly how: ShutdownHow;
  }
  | StepBase & {
    /** `close()`; records `<as>.close` (ok or errno) and its duration. */
    readonly op: "close";
  }
  | StepBase & {
    /**
     * Waits until the peer's FIN or RST has arrived; records
     * `<as>.poll.<checkpoint>`, the revents seen then.
     */
    readonly op: "await_teardown";
    readonly checkpoint: string;
  }
  | StepBase & {
    /**
     * Runs the observers on this side; keys `<as>.<observer>.<checkpoint>`.
     * Every observer in their usual order unless `observers` names some, in
     * the order to run them.
     */
    readonly op: "observe";
    readonly checkpoint: string;
    readonly observers?: readonly ObserverName[];
  }
  | StepBase & {
    /**
     * Waits until the connection is quiet: no segment on the wire and no
     * change in what this side's poll and both TCP states report for a
     * short window. Loopback delivers synchronously, so this is brief.
     */
    readonly op: "settle";
  }
  | StepBase & {
    /**
     * `setsockopt(SO_KEEPALIVE, 1)` with the idle time, the interval and
     * the count of unanswered probes (TCP_KEEPIDLE, TCP_KEEPINTVL,
     * TCP_KEEPCNT).
     */
    readonly op: "set_keepalive";
    readonly idleS: number;
    readonly intervalS: number;
    readonly count: number;
  }
  | StepBase & {
    /** `setsockopt(TCP_USER_TIMEOUT, ms)` (Linux). */
    readonly op: "set_user_timeout";
    readonly ms: number;
  }
  | StepBase & {
    /** `setsockopt(SO_SNDBUF or SO_RCVBUF, bytes)` (the kernel may double it). */
    readonly op: "set_buffer";
    readonly buffer: "send" | "receive";
    readonly bytes: number;
  }
  | StepBase & {
    /** Clears (or sets) O_NONBLOCK: a blocking socket's close() may wait. */
    readonly op: "set_blocking";
    readonly blocking: boolean;
  }
  | StepBase & {
    /**
     * `send()`s until the send buffer is full (EAGAIN, and still no room a
     * moment later) towards a peer that does not read: its window closes
     * and what remains is unsent. Records `<as>.fill` (how the last send
     * failed).
     */
    readonly op: "fill";
  }
  | StepBase & {
    /**
     * Reads until end of file or an error, within the wait's budget;
     * records `<as>.drain` (`eof` or the errno) and `<as>.received`: `all`,
     * `part` or `none` of what the other side's fill queued.
     */
    readonly op: "drain";
  }
  | StepBase & {
    /**
     * What befalls the peer's host (the connection runs between network
     * namespaces): `hung` (its process stops, its kernel still answers),
     * `vanished` (the host drops every packet) or `rebooted` (the host
     * comes back without the connection, so it answers with RST).
     */
    readonly op: "fate";
    readonly fate: Fate;
  }
  | StepBase & {
    /**
     * Waits up to `windowMs` for poll() to report anything on this side,
     * then reads what it reports. Records `<as>.detected` (the error the
     * socket gave, `eof`, or `none` when the window passed quietly) and
     * `<as>.detected_by` (`poll`, `send` when a send of this trial already
     * failed, or `none`), and the time from the fate in `durations`.
     */
    readonly op: "watch";
    readonly windowMs: number;
  };

/** The fates a peer's host can suffer (the `fate` step). */
export const FATES = ["hung", "vanished", "rebooted"] as const;
/** One of {@linkcode FATES}. */
export type Fate = typeof FATES[number];

/**
 * Where a trial's connection runs: over loopback, or between two network
 * namespaces joined by a veth pair (`lib/net/namespaces.ts`), so that the
 * peer's host can hang, vanish or reboot.
 */
export type Network = "loopback" | "namespaces";

/**
 * How long `step` may wait at most, beyond the engine's usual budget of
 * one wait per step: a watch's window, a close()'s linger time.
 */
export function stepExtraWaitMs(step: Step): number {
  if (step.op === "watch") return step.windowMs;
  if (step.op === "set_linger") return step.linger.seconds * 1000;
  return 0;
}

/**
 * The checkpoint `step` reaches, if any. A send's `checkpoint` is the label
 * of its result (`first`, `second`), not a checkpoint.
 */
export function stepCheckpoint(step: Step): string | undefined {
  return step.op !== "send" && "checkpoint" in step
    ? step.checkpoint
    : undefined;
}

/** A factor of an experiment and the values it takes. */
export interface Factor {
  readonly name: string;
  readonly values: readonly string[];
}

/** Parameter values of one case, all strings. */
export type Params = Readonly<Record<string, string>>;

/**
 * For an experiment where one side tears the connection down and the other
 * watches: which factor says the acting side, and the roles (the steps'
 * `as`) of the one that acts and the one that watches. The documents use
 * it to answer "how does the peer find out?" without knowing the
 * experiment's names.
 */
export interface Watch {
  /** The factor whose value is the acting side (`client` or `server`). */
  readonly factor: string;
  /** The role of the side that tears down. */
  readonly actor: string;
  /** The role of the side that watches. */
  readonly watcher: string;
}

/** An experiment: factors and, per case, the steps. */
export interface Experiment {
  readonly name: string;
  /** One sentence of intent, like a packetdrill script's first line. */
  readonly intent: string;
  readonly factors: readonly Factor[];
  /** The roles its observation keys start with, e.g. `client`, `server`. */
  readonly roles: readonly string[];
  /**
   * Checkpoint names in the order the steps reach them; the first is the
   * baseline that later observations are compared with.
   */
  readonly checkpoints: readonly string[];
  /** Present where one role acts and another watches. */
  readonly watch?: Watch;
  /** Observation keys the terminal table shows (the JSON has them all). */
  readonly headline: readonly string[];
  /** Where its trials' connections run; loopback when absent. */
  readonly network?: Network;
  readonly steps: (params: Params) => readonly Step[];
}

/** One case: an experiment with every factor fixed. */
export interface Case {
  readonly id: string;
  readonly experiment: Experiment;
  readonly params: Params;
}

/** `<experiment>/<k>=<v>,…` with keys sorted. */
export function caseId(experiment: string, params: Params): string {
  const pairs = Object.keys(params).sort().map((k) => `${k}=${params[k]}`);
  return `${experiment}/${pairs.join(",")}`;
}

/** Every combination of the experiment's factor values, in factor order. */
export function expandCases(experiment: Experiment): Case[] {
  let combos: Record<string, string>[] = [{}];
  for (const factor of experiment.factors) {
    combos = combos.flatMap((combo) =>
      factor.values.map((value) => ({ ...combo, [factor.name]: value }))
    );
  }
  return combos.map((params) => ({
    id: caseId(experiment.name, params),
    experiment,
    params,
  }));
}

const HOW_NAMES: Record<ShutdownHow, string> = {
  rd: "SHUT_RD",
  wr: "SHUT_WR",
  rdwr: "SHUT_RDWR",
};

/** What an observer calls, in words. */
function describeObserver(observer: ObserverName): string {
  switch (observer) {
    case "poll":
      return "poll()";
    case "getpeername":
      return "getpeername()";
    case "tcp_state":
      return "read the TCP state";
    case "recv":
      return "recv(MSG_PEEK)";
    case "so_error":
      return "getsockopt(SO_ERROR)";
  }
}

/** A step in words: `server: shutdown(SHUT_WR)`. */
export function describeStep(step: Step): string {
  const who = step.as ? `${step.as} (${step.side})` : step.side;
  return `${who}: ${describeAction(step)}`;
}

/** A step's action in words, without who takes it: `shutdown(SHUT_WR)`. */
export function describeAction(step: Step): string {
  switch (step.op) {
    case "send":
      return `send("${step.data}")`;
    case "recv":
      return `recv() ${step.bytes} bytes`;
    case "await_data":
      return "wait until data has arrived, leave it unread";
    case "get_linger":
      return "getsockopt(SO_LINGER)";
    case "set_linger":
      return `setsockopt(SO_LINGER, {${step.linger.onoff}, ${step.linger.seconds}})`;
    case "connected":
      return "connected? (getpeername())";
    case "shutdown":
      return `shutdown(${HOW_NAMES[step.how]})`;
    case "close":
      return "close()";
    case "await_teardown":
      return "wait until the peer's FIN or RST has arrived";
    case "observe":
      return step.observers
        ? `${
          step.observers.map(describeObserver).join(", ")
        } (${step.checkpoint})`
        : `observe (${step.checkpoint})`;
    case "settle":
      return "wait until the connection is quiet";
    case "set_keepalive":
      return `setsockopt(SO_KEEPALIVE) with idle ${step.idleS} s, ` +
        `interval ${step.intervalS} s, count ${step.count}`;
    case "set_user_timeout":
      return `setsockopt(TCP_USER_TIMEOUT, ${step.ms} ms)`;
    case "set_blocking":
      return step.blocking ? "clear O_NONBLOCK" : "set O_NONBLOCK";
    case "set_buffer":
      return `setsockopt(${
        step.buffer === "send" ? "SO_SNDBUF" : "SO_RCVBUF"
      }, ${step.bytes})`;
    case "fill":
      return "send() until the send buffer is full";
    case "drain":
      return "recv() until end of file or an error";
    case "fate":
      return FATE_WORDS[step.fate];
    case "watch":
      return `poll() for up to ${
        step.windowMs / 1000
      } s, then read what it reports`;
  }
}

const FATE_WORDS: Record<Fate, string> = {
  hung: "the process stops reading and writing (its kernel still answers)",
  vanished: "the host drops every packet",
  rebooted: "the host comes back without the connection",
};

/**
 * The observation keys `step` can record, in the order it records them. A
 * step on a socket that is already closed records nothing; a failed one may
 * record fewer.
 */
export function stepKeys(step: Step): string[] {
  const who = step.as ?? step.side;
  switch (step.op) {
    case "send":
      return step.checkpoint ? [key(who, "send", step.checkpoint)] : [];
    case "recv":
      return [key(who, "recv")];
    case "get_linger":
      return [key(who, "linger", step.checkpoint)];
    case "connected":
      return ["connected", "getpeername", "tcp_state"].map((o) =>
        key(who, o, step.checkpoint)
      );
    case "shutdown":
      return [key(who, "shutdown")];
    case "close":
      return [key(who, "close")];
    case "await_teardown":
      return [key(who, "poll", step.checkpoint)];
    case "observe":
      return (step.observers ?? OBSERVERS).map((o) =>
        key(who, o, step.checkpoint)
      );
    case "fill":
      return [key(who, "fill")];
    case "drain":
      return [key(who, "drain"), key(who, "received")];
    case "watch":
      return [key(who, "detected"), key(who, "detected_by")];
    case "await_data":
    case "set_linger":
    case "settle":
    case "set_keepalive":
    case "set_user_timeout":
    case "set_blocking":
    case "set_buffer":
    case "fate":
      return [];
  }
}

/**
 * Orders observation keys as the steps record them (time order); keys the
 * steps do not record (another version's) follow in code-unit order.
 */
export function keysInStepOrder(
  keys: Iterable<string>,
  steps: readonly Step[],
): string[] {
  const rank = new Map<string, number>();
  for (const k of steps.flatMap(stepKeys)) {
    if (!rank.has(k)) rank.set(k, rank.size);
  }
  const at = (k: string) => rank.get(k) ?? rank.size;
  return [...new Set(keys)].sort((a, b) =>
    at(a) - at(b) || (a < b ? -1 : a > b ? 1 : 0)
  );
}
