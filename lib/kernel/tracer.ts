/**
 * The kernel's tracer: a private tracefs instance per thread of a run
 * (`/sys/kernel/tracing/instances/escoteria-<pid>-<n>`), so nothing global
 * is changed, with two events enabled (`sock/inet_sock_set_state` and
 * `tcp/tcp_send_reset`, see `trace_events.ts`) on the `mono` clock
 * (CLOCK_MONOTONIC, so a trial's start can be read on the same clock).
 * The state changes are filtered in the kernel to the trial's listener
 * port as soon as it is bound ({@linkcode KernelTracer.focus}); resets
 * carry no port field to filter on (Linux 6.10 prints addresses), so
 * every reset is read and told apart by its ports here. `trace_pipe` is
 * opened non-blocking and drained at the trial's start and end.
 *
 * Every path removes the instance: `close()` after a run, the main thread
 * after stopping a worker ({@linkcode removeInstance}), a Ctrl-C handler in
 * run-all, and, for a run killed outright, the next run, which removes the
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
import { type KernelStory, kernelStory } from "./kernel_story.ts";
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
        unavailable: `this kernel has no ${TRACEFS} (mount: ENOENT)`,
      };
    case "ENODEV":
      return { unavailable: "this kernel has no tracefs (mount: ENODEV)" };
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

/** A private trace instance and its open `trace_pipe`. */
export class KernelTracer {
  readonly #files: LinuxFiles;
  readonly #fd: number;
  readonly #buffer = new Uint8Array(64 * 1024);
  #partial = "";
  #events: TraceEvent[] = [];
  #start = 0;
  #startUnix = 0;
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
      // Nothing of the state changes until a trial's port is known.
      ["events/sock/inet_sock_set_state/filter", "sport == 0 && dport == 0"],
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
   * Keeps only state changes to or from `port` (the trial's listener, just
   * bound): the trial's times count from now, as the client connects.
   */
  focus(port: number): void {
    const out = this.#files.writeFile(
      `${instancePath(this.name)}/events/sock/inet_sock_set_state/filter`,
      `sport == ${port} || dport == ${port}`,
    );
    if (out.ret < 0) {
      throw new Error(`cannot filter trace to port ${port}: ${out.errno}`);
    }
    this.#started();
  }

  /** Forgets what was traced so far; a trial starts now. */
  reset(): void {
    this.#drain();
    this.#events = [];
    this.#started();
  }

  /**
   * The trial's start, on the trace clock and on the realtime clock (that
   * of packet stamps): the realtime read between two monotonic reads, the
   * closest of three pairs, stands for their middle.
   */
  #started(): void {
    let best = Infinity;
    for (let i = 0; i < 3; i++) {
      const before = this.#files.monotonicMicros();
      const real = this.#files.realtimeMicros();
      const after = this.#files.monotonicMicros();
      if (after - before < best) {
        best = after - before;
        this.#start = before;
        this.#startUnix = real - (after - before) / 2;
      }
    }
  }

  /** Microseconds since the trial's start, on the trace's clock. */
  now(): number {
    return Math.round(this.#files.monotonicMicros() - this.#start);
  }

  /**
   * The trial's story so far: its sockets' changes and resets; with the
   * kernel's stamps of the trial's segments (microseconds since the Unix
   * epoch), each placed among them.
   */
  story(endpoints: Endpoints, stamps?: readonly number[]): KernelStory {
    this.#drain();
    return kernelStory(
      this.#events,
      endpoints,
      this.#start,
      stamps && { stamps, startUnixMicros: this.#startUnix },
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
