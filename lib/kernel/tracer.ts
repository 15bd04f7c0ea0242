/**
 * The kernel's tracer: one private tracefs instance per run
 * (`/sys/kernel/tracing/instances/escoteria-<pid>-0`), so nothing global
 * is changed, with two events enabled (`sock/inet_sock_set_state` and
 * `tcp/tcp_send_reset`, see `trace_events.ts`) on the `mono` clock
 * (CLOCK_MONOTONIC, which every thread can read: {@linkcode TraceClock}).
 * The state changes are filtered in the kernel to TCP sockets with a port
 * in the ephemeral range, where every trial's ports are; resets carry no
 * port field to filter on (Linux 6.10 prints addresses). The thread that
 * opened the instance reads `trace_pipe` (non-blocking, through libc)
 * after each trial, and tells the trial's events from the others' by its
 * port pair and its window on the trace clock: trials in workers only note
 * their window. One instance for a whole run, because creating one and
 * removing it each take about 34 ms, one at a time in the kernel: an
 * instance per worker cost 0.8 s a run.
 *
 * Every path removes the instance: `close()` after a run, run-all's Ctrl-C
 * handler, and, for a run killed outright, the next run, which removes the
 * instances of processes that no longer exist
 * ({@linkcode removeStaleInstances}).
 *
 * Root only: tracefs is root's. Without it, on another OS or in a stack
 * without tracefs (gVisor), {@linkcode openTracer} says why.
 *
 * @module
 */

import { LinuxFiles } from "../../ffi/linux/files.ts";
import type { Posix } from "../../ffi/posix.ts";
import type { Endpoints } from "../net/endpoints.ts";
import {
  type KernelStory,
  kernelStory,
  type StoryFields,
  type TraceStart,
  type TraceWindow,
} from "./kernel_story.ts";
import { parseTraceLine, type TraceEvent } from "./trace_events.ts";

/** Where tracefs is mounted on current systems. */
export const TRACEFS = "/sys/kernel/tracing";
/** Every instance escoteria creates starts so. */
export const INSTANCE_PREFIX = "escoteria-";
/** The events each instance enables, as `events/<system>/<event>`. */
export const TRACE_EVENTS = [
  "sock/inet_sock_set_state",
  "tcp/tcp_send_reset",
] as const;
/** Per-CPU ring buffer of an instance: a trial's events are a few KB. */
export const BUFFER_KB = 64;

/** Why there is no tracer. */
export interface TracerUnavailable {
  readonly unavailable: string;
}

/** The instance name for thread `n` of process `pid`. */
export function instanceName(n: number, pid = Deno.pid): string {
  return `${INSTANCE_PREFIX}${pid}-${n}`;
}

/** The directory of instance `name`. */
export function instancePath(name: string): string {
  return `${TRACEFS}/instances/${name}`;
}

/**
 * Makes sure tracefs is mounted (mounting it needs root), or says why it
 * cannot be.
 */
function ensureMounted(files: LinuxFiles): TracerUnavailable | null {
  if ("names" in files.listDir(`${TRACEFS}/instances`)) return null;
  const mounted = files.mount("nodev", TRACEFS, "tracefs");
  if (mounted.ret === 0) return null;
  switch (mounted.errno) {
    case "EPERM":
    case "EACCES":
      return {
        unavailable:
          `the kernel's trace events need root: tracefs is not readable at ${TRACEFS} and mounting it was refused (${mounted.errno})`,
      };
    case "ENOENT":
      return {
        unavailable: `no ${TRACEFS} here to mount tracefs on (ENOENT)`,
      };
    case "ENODEV":
      return {
        unavailable: "no tracefs here: mounting it failed ENODEV",
      };
    default:
      return {
        unavailable: `cannot mount tracefs at ${TRACEFS}: ${mounted.errno}`,
      };
  }
}

/**
 * Removes instance `name`, if it exists. It fails EBUSY while a file in it
 * is open (close the fds first).
 */
export function removeInstance(posix: Posix, name: string): string | null {
  const files = new LinuxFiles(posix);
  const out = files.rmdir(instancePath(name));
  return out.ret === 0 || out.errno === "ENOENT" ? null : out.errno;
}

/** The names of the instances process `pid` holds (none where unreadable). */
export function instancesOf(posix: Posix, pid = Deno.pid): string[] {
  const listed = new LinuxFiles(posix).listDir(`${TRACEFS}/instances`);
  if (!("names" in listed)) return [];
  return listed.names.filter((n) => n.startsWith(`${INSTANCE_PREFIX}${pid}-`))
    .sort();
}

/**
 * Removes the escoteria instances whose process no longer exists (a run
 * killed before it could remove its own); returns their names.
 */
export function removeStaleInstances(posix: Posix): string[] {
  const files = new LinuxFiles(posix);
  const listed = files.listDir(`${TRACEFS}/instances`);
  if (!("names" in listed)) return [];
  const removed: string[] = [];
  for (const name of listed.names) {
    const match = /^escoteria-(\d+)-\d+$/.exec(name);
    if (!match) continue;
    const pid = Number(match[1]);
    if (pid === Deno.pid || files.processExists(pid)) continue;
    if (files.rmdir(instancePath(name)).ret === 0) removed.push(name);
  }
  return removed;
}

/** The ephemeral port range (`net.ipv4.ip_local_port_range`), if readable. */
function ephemeralPorts(posix: Posix): [number, number] | null {
  const read = posix.readTextFile("/proc/sys/net/ipv4/ip_local_port_range");
  const m = read.value === null ? null : /^(\d+)\s+(\d+)/.exec(read.value);
  return m ? [Number(m[1]), Number(m[2])] : null;
}

/**
 * The kernel filter of the state changes: TCP, and where the ephemeral
 * range is known, a port in it (a trial's listener binds port 0, so both
 * of its ports are ephemeral).
 */
export function stateFilter(ports: [number, number] | null): string {
  if (ports === null) return "protocol == 6";
  const [lo, hi] = ports;
  return `protocol == 6 && ((sport >= ${lo} && sport <= ${hi}) || ` +
    `(dport >= ${lo} && dport <= ${hi}))`;
}

/** How long traced events are kept for trials still running. */
const KEEP_MICROS = 10 * 60 * 1e6;

/**
 * A thread's view of the trace clock (`mono`, that is CLOCK_MONOTONIC) and
 * of the realtime clock packet stamps are on: each trial's window is taken
 * on it, in whatever thread runs the trial.
 */
export class TraceClock {
  readonly #files: LinuxFiles;

  constructor(posix: Posix) {
    this.#files = new LinuxFiles(posix);
  }

  /**
   * Now on both clocks: the realtime read between two monotonic reads, the
   * closest of three pairs, stands for their middle.
   */
  begin(): TraceStart {
    let best = Infinity;
    let start = 0;
    let startUnix = 0;
    for (let i = 0; i < 3; i++) {
      const before = this.#files.monotonicMicros();
      const real = this.#files.realtimeMicros();
      const after = this.#files.monotonicMicros();
      if (after - before < best) {
        best = after - before;
        start = before;
        startUnix = real - (after - before) / 2;
      }
    }
    return { start, startUnix };
  }

  /** Now on the trace clock, in microseconds. */
  now(): number {
    return this.#files.monotonicMicros();
  }
}

/**
 * A private trace instance and its open `trace_pipe`, read by the thread
 * that opened it; trials in any thread are told apart by their port pair
 * and their window on the trace clock ({@linkcode KernelTracer.storyOf}).
 */
export class KernelTracer {
  readonly #files: LinuxFiles;
  readonly #fd: number;
  readonly #buffer = new Uint8Array(64 * 1024);
  #partial = "";
  #events: TraceEvent[] = [];
  #closed = false;

  private constructor(
    files: LinuxFiles,
    readonly name: string,
    fd: number,
  ) {
    this.#files = files;
    this.#fd = fd;
  }

  /**
   * Creates instance `name`, enables the events and opens its pipe, or
   * says why it cannot. Whatever it created is removed when a later step
   * fails.
   */
  static open(posix: Posix, name: string): KernelTracer | TracerUnavailable {
    if (posix.table.os !== "linux" || Deno.build.os !== "linux") {
      return {
        unavailable:
          `the kernel's transitions are read from Linux tracefs, which ${Deno.build.os} does not have`,
      };
    }
    const files = new LinuxFiles(posix);
    const notMounted = ensureMounted(files);
    if (notMounted) return notMounted;
    const dir = instancePath(name);
    const made = files.mkdir(dir);
    if (made.ret < 0) {
      return {
        unavailable: made.errno === "EACCES" || made.errno === "EPERM"
          ? `the kernel's trace events need root (mkdir ${dir}: ${made.errno})`
          : `cannot create trace instance ${dir}: ${made.errno}`,
      };
    }
    const fail = (why: string): TracerUnavailable => {
      files.rmdir(dir);
      return { unavailable: why };
    };
    const settings: [string, string][] = [
      ["buffer_size_kb", String(BUFFER_KB)],
      ["trace_clock", "mono"],
      [
        "events/sock/inet_sock_set_state/filter",
        stateFilter(ephemeralPorts(posix)),
      ],
      ...TRACE_EVENTS.map((e): [string, string] => [`events/${e}/enable`, "1"]),
    ];
    for (const [file, value] of settings) {
      const out = files.writeFile(`${dir}/${file}`, value);
      if (out.ret < 0) {
        return fail(
          out.errno === "ENOENT"
            ? `this kernel has no ${file.replace(/\/[a-z]+$/, "")}`
            : `cannot write ${value} to ${dir}/${file}: ${out.errno}`,
        );
      }
    }
    const pipe = files.openRead(`${dir}/trace_pipe`, true);
    if (pipe.ret < 0) {
      return fail(`cannot open ${dir}/trace_pipe: ${pipe.errno}`);
    }
    return new KernelTracer(files, name, pipe.ret);
  }

  /**
   * The story of the trial between `endpoints` in `window` (on the trace
   * clock; see {@linkcode TraceWindow}): its sockets' changes and the
   * resets the kernel sent, placed among the segments where the window
   * holds their stamps. Call it once the trial has ended: what the trial's
   * calls traced is in the ring buffer by then.
   */
  storyOf(endpoints: Endpoints, window: TraceWindow): KernelStory {
    this.#drain();
    const events = this.#events.filter((e) =>
      e.micros + 1 >= window.start && e.micros <= window.end
    );
    const newest = this.#events.at(-1)?.micros ?? 0;
    this.#events = this.#events.filter((e) => e.micros >= newest - KEEP_MICROS);
    return kernelStory(
      events,
      endpoints,
      window.start,
      window.stamps && {
        stamps: window.stamps,
        startUnixMicros: window.startUnix,
      },
    );
  }

  /** Reads `trace_pipe` until it has nothing more. */
  #drain(): void {
    const decoder = new TextDecoder();
    for (;;) {
      const got = this.#files.read(this.#fd, this.#buffer);
      if (got.ret < 0) {
        if (got.errno === "EAGAIN" || got.errno === "EINTR") break;
        throw new Error(`reading ${this.name}/trace_pipe: ${got.errno}`);
      }
      if (got.ret === 0 || got.bytes === null) break;
      const text = this.#partial + decoder.decode(got.bytes);
      const lines = text.split("\n");
      this.#partial = lines.pop() ?? "";
      for (const line of lines) {
        const event = parseTraceLine(line);
        if (event) this.#events.push(event);
      }
    }
  }

  /** Closes the pipe and removes the instance (which disables its events). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#files.posix.close(this.#fd);
    removeInstance(this.#files.posix, this.name);
  }
}

/**
 * A trial's transitions and resets from `tracer`, given its window, or
 * both `null` with the reason: no tracer, no window (the trial never
 * connected), or a failed read. Never throws.
 */
export function tellStory(
  tracer: KernelTracer | TracerUnavailable,
  endpoints: Endpoints | null,
  window: TraceWindow | undefined,
): StoryFields {
  const none = (why: string) => ({
    transitions: null,
    resets: null,
    transitionsUnavailable: why,
  });
  if ("unavailable" in tracer) return none(tracer.unavailable);
  if (endpoints === null) return {};
  if (window === undefined) return none("the trial kept no trace window");
  try {
    const story = tracer.storyOf(endpoints, window);
    return { transitions: story.transitions, resets: story.resets };
  } catch (e) {
    return none(e instanceof Error ? e.message : String(e));
  }
}

/**
 * Opens a tracer on instance `name` (see {@linkcode KernelTracer.open}),
 * after removing what killed runs left behind.
 */
export function openTracer(
  posix: Posix,
  name: string,
): KernelTracer | TracerUnavailable {
  if (posix.table.os === "linux" && Deno.build.os === "linux") {
    removeStaleInstances(posix);
  }
  return KernelTracer.open(posix, name);
}
