/**
 * One trial: establish a loopback connection, interpret a case's steps on
 * both endpoints, record what each step observed, and close every socket at
 * the end whatever happened. A missed deadline or a failed set-up call ends
 * the trial with `error` set; the run goes on. Where a wire tap is given,
 * the trial's segments are recorded too, and after both sides have closed
 * the kernel's leftover sockets for its 4-tuple; the tap is focused on
 * the trial's listener port as soon as it is bound, so a trial running
 * beside others reads none of their frames. Where a trace clock is given,
 * the trial notes its window on it (from its listener bound to its wire
 * quiet, with the kernel's stamps of its segments), so that the thread
 * holding the kernel tracer can tell its transitions and resets
 * (`lib/kernel/tracer.ts`), and when each checkpoint was reached. The tap also says when a
 * FIN or RST is on its way to a socket: before a settle looks, a teardown
 * wait ends, or the engine closes the next socket, the receiving socket
 * takes it in (gVisor hands segments to sockets asynchronously).
 *
 * An experiment whose `network` is `namespaces` gets a trial of its own
 * between two network namespaces joined by a veth pair
 * (`lib/net/namespaces.ts`): the listener is made in the peer's, the
 * client in the watcher's, the wire is captured on the watcher's link, the
 * leftovers are read in both, nothing is traced, and the engine's own
 * closing is abortive, so that no orphan keeps the namespaces alive.
 *
 * @module
 */

import { formatLinger } from "../../ffi/linger.ts";
import { pollNames } from "../../ffi/pollfd.ts";
import { type Posix, unwrap } from "../../ffi/posix.ts";
import type { SocketAddress } from "../../ffi/sockaddr.ts";
import type { TraceStart, TraceWindow } from "../kernel/kernel_story.ts";
import { type Leftover, readLeftovers } from "../kernel/leftovers.ts";
import { Deadline, timed } from "../net/deadline.ts";
import type { Endpoints, Side } from "../net/endpoints.ts";
import { pollReportsRdhup } from "../net/rdhup.ts";
import { connectLoopback } from "../net/loopback.ts";
import { waitReadable } from "../net/wait.ts";
import { drain, fill } from "../net/fill_drain.ts";
import { setKeepalive, setUserTimeout } from "../net/dead_peer_options.ts";
import {
  teardownArrived,
  teardownEvents,
  waitTeardown,
  waitUntil,
} from "../net/teardown_wait.ts";
import { LoopbackCapture, type WireTap } from "../wire/capture.ts";
import type { Frame, Segment } from "../wire/segments.ts";
import { observationKey as key } from "./keys.ts";
import { type Observation, observe, pollEverything } from "./observers.ts";
import {
  type Fate,
  type Network,
  type Step,
  stepCheckpoint,
} from "./scenario.ts";
import {
  NamespacePair,
  type NamespacesUnavailable,
  PEER_ADDRESS,
  WATCHER_LINK,
} from "../net/namespaces.ts";

/** What the engine asks of a trace clock (`TraceClock`, lib/kernel). */
export interface TraceClockLike {
  /** Now on the trace clock and on the realtime clock, in microseconds. */
  begin(): TraceStart;
  /** Now on the trace clock, in microseconds. */
  now(): number;
}

/** How a trial runs. */
export interface TrialOptions {
  /** Budget of each wait, in milliseconds. */
  readonly waitMs: number;
  /** Quiet window of a settle, in milliseconds. */
  readonly quietMs: number;
  /** Loopback address to listen on. */
  readonly address: SocketAddress["address"];
  readonly family: SocketAddress["family"];
  /** The wire tap, or why there is none. */
  readonly wire: WireTap | { readonly unavailable: string } | null;
  /** Whether to read the kernel's leftover sockets after the trial. */
  readonly leftovers: boolean;
  /** The trace clock, where the kernel is traced; absent: not asked. */
  readonly clock?: TraceClockLike | null;
  /**
   * Where the connection runs (the experiment says): loopback by default,
   * or between two network namespaces of the trial's own.
   */
  readonly network?: Network;
}

/** Default options: IPv4 loopback, 2 s per wait (the article slept 3 s). */
export const DEFAULT_TRIAL_OPTIONS: TrialOptions = {
  waitMs: 2000,
  quietMs: 3,
  address: "127.0.0.1",
  family: "inet",
  wire: null,
  leftovers: false,
};

/** Everything one trial recorded. */
export interface TrialRecord {
  readonly endpoints: Endpoints | null;
  readonly observations: Record<string, Observation>;
  /** Milliseconds per timed step; kept out of `observations`. */
  readonly durations: Record<string, number>;
  readonly error: string | null;
  readonly wire?: Segment[] | null;
  readonly wireUnavailable?: string;
  /** Index of the first segment the engine's own closing caused. */
  readonly wireCleanupAt?: number;
  /**
   * Per checkpoint, how many of the trial's segments had crossed the wire
   * when the steps first reached it: where it sits on a ladder.
   */
  readonly wireCheckpoints?: Record<string, number>;
  readonly leftovers?: Leftover[] | null;
  readonly leftoversUnavailable?: string;
  /**
   * The trial's window on the trace clock, where one was given: for the
   * thread holding the tracer (never written to results).
   */
  readonly traceWindow?: TraceWindow;
  /**
   * Microseconds from the trial's start when each checkpoint was first
   * reached, on the trace clock.
   */
  readonly checkpointTimes?: Record<string, number>;
  /** Why the trial kept no trace window although a clock was given. */
  readonly traceUnavailable?: string;
}

/** Sockets a trial opened; every one is closed by `closeInTurn`. */
class Sockets {
  readonly #open = new Set<number>();
  readonly fd: Record<Side, number> = { client: -1, server: -1 };

  constructor(readonly posix: Posix) {}

  add(fd: number): number {
    this.#open.add(fd);
    return fd;
  }

  isOpen(fd: number): boolean {
    return this.#open.has(fd);
  }

  close(fd: number) {
    this.#open.delete(fd);
    return this.posix.close(fd);
  }

  /** The sockets still open, in the order they were opened. */
  openFds(): number[] {
    return [...this.#open];
  }

  /** Whether any socket is still open. */
  anyOpen(): boolean {
    return this.#open.size > 0;
  }
}

/** State shared by the steps of one trial. */
interface Context {
  readonly sockets: Sockets;
  readonly options: TrialOptions;
  readonly obs: Record<string, Observation>;
  readonly durations: Record<string, number>;
  /** When the last shutdown() or close() returned. */
  actionAt: number | null;
  endpoints: Endpoints | null;
  /** Segments seen when each checkpoint was first reached. */
  readonly checkpoints: Record<string, number>;
  /** When each checkpoint was first reached, on the trace clock. */
  readonly checkpointTimes: Record<string, number>;
  /** The trial's start on the trace clock, once its listener is bound. */
  traceStart: TraceStart | null;
  /** The namespaces the connection runs between, if it does. */
  readonly link: NamespacePair | null;
  /** Bytes each side's fill queued. */
  readonly filled: Partial<Record<Side, number>>;
  /** When the peer's fate was complete. */
  fateAt: number | null;
  /** The first send that failed, and when. */
  failedSend: { readonly errno: string; readonly at: number } | null;
}

/**
 * Listens, connects and accepts on loopback ({@linkcode connectLoopback});
 * every socket is in `sockets` from the moment it is opened; returns the
 * endpoints.
 */
function establish(
  sockets: Sockets,
  options: TrialOptions,
  link: NamespacePair | null,
  started: (start: TraceStart) => void,
): Endpoints {
  const { client, server, endpoints } = connectLoopback(sockets.posix, {
    family: link ? "inet" : options.family,
    address: link ? PEER_ADDRESS : options.address,
    // The listener is the peer's, in the peer's namespace; the client is
    // the watcher's.
    ...(link
      ? {
        within: <T>(role: "listener" | "client", open: () => T) =>
          role === "listener" ? link.inPeer(open) : link.inWatcher(open),
      }
      : {}),
    reuseAddress: true,
    deadline: new Deadline(options.waitMs),
    opened: (fd) => sockets.add(fd),
    closed: (fd) => sockets.close(fd),
    listening: (address) => {
      const wire = options.wire;
      if (wire && "segments" in wire) wire.focus?.(address.port);
      if (options.clock) started(options.clock.begin());
    },
  });
  sockets.fd.client = client;
  sockets.fd.server = server;
  return endpoints;
}

/**
 * Records how long after the last teardown action `who` first saw it on
 * `fd`, given the revents of a poll just made there (see
 * {@linkcode teardownArrived}: POLLRDHUP where the stack reports it, else
 * the TCP state).
 */
function noteTeardownSeen(
  ctx: Context,
  who: string,
  fd: number,
  revents: number,
): void {
  const seen = key(who, "teardown_seen");
  if (
    ctx.actionAt !== null && !(seen in ctx.durations) &&
    teardownArrived(ctx.sockets.posix, fd, revents)
  ) {
    ctx.durations[seen] = performance.now() - ctx.actionAt;
  }
}

/**
 * Waits until every open socket of the trial has taken in the FINs and
 * RSTs the wire shows sent to it: after an RST its state is CLOSED, after a
 * FIN its teardown has arrived ({@linkcode teardownArrived}). Both are
 * states a socket never leaves, so the check needs no notion of "since".
 * Linux hands a loopback segment to its socket within the sending call, so
 * there nothing is ever behind. gVisor's netstack puts the segment on the
 * wire in the sending call but lets the receiving socket's goroutine take
 * it in later (at times tens of milliseconds later), so a quiet window on
 * the wire does not say the socket has it. Without a wire tap there is
 * nothing to go by and it returns at once. Returns whether it waited.
 *
 * @throws {DeadlineExceeded} when a socket has not taken it in by then.
 */
function catchUp(ctx: Context, what: string, deadline: Deadline): boolean {
  const wire = ctx.options.wire;
  if (!wire || !("segments" in wire) || !ctx.endpoints) return false;
  const { posix, fd } = ctx.sockets;
  const segments = wire.segments(ctx.endpoints);
  let waited = false;
  // Between namespaces the wire is seen from the client's (the watcher's)
  // side: what it sent may never have reached the peer's host.
  const sides = ctx.link ? ["client"] as const : ["client", "server"] as const;
  for (const side of sides) {
    if (!ctx.sockets.isOpen(fd[side])) continue;
    const received = segments.filter((s) => s.from !== side);
    const rst = received.some((s) => s.flags.includes("R"));
    const fin = received.some((s) => s.flags.includes("F"));
    if (!rst && !fin) continue;
    const done = (revents: number) =>
      rst
        ? posix.tcpState(fd[side]).value === "CLOSED"
        : teardownArrived(posix, fd[side], revents);
    const events = teardownEvents(posix);
    if (done(posix.poll([{ fd: fd[side], events }], 0).value?.[0] ?? 0)) {
      continue;
    }
    waitUntil(
      posix,
      fd[side],
      events,
      `${what}: ${side} taking in the ${rst ? "RST" : "FIN"} on the wire`,
      deadline,
      done,
    );
    waited = true;
  }
  return waited;
}

/** States that wait for an ACK that loopback may delay (delayed ACK). */
const AWAITING_ACK: ReadonlySet<string> = new Set([
  "SYN_SENT",
  "SYN_RECEIVED",
  "FIN_WAIT1",
  "CLOSING",
  "LAST_ACK",
]);

/**
 * The TCP states of the connection's sockets: from the kernel's table where
 * it can be read (so closed, orphaned sockets count too), else from the
 * trial's open fds.
 */
function connectionStates(ctx: Context): string[] {
  if (ctx.options.leftovers && ctx.endpoints) {
    const found = kernelSockets(ctx.link, ctx.endpoints);
    if ("leftovers" in found) {
      return found.leftovers.map((l) => `${l.side}:${l.state}`);
    }
  }
  const { posix } = ctx.sockets;
  return (["client", "server"] as const)
    .filter((side) => ctx.sockets.isOpen(ctx.sockets.fd[side]))
    .map((side) => `${side}:${posix.tcpState(ctx.sockets.fd[side]).value}`);
}

/**
 * Waits until the connection is quiet: nothing new on the wire for a quiet
 * window, no change in the states or in what `who` polls, and no socket
 * still waiting for an ACK (a delayed ACK takes up to 200 ms on Linux).
 */
function settle(ctx: Context, fd: number, who: string): void {
  const { posix } = ctx.sockets;
  const deadline = new Deadline(ctx.options.waitMs);
  const wire = ctx.options.wire;
  let awaitingAck = false;
  const snapshot = () => {
    catchUp(ctx, `${who}: settle`, deadline);
    const states = connectionStates(ctx);
    awaitingAck = states.some((s) => AWAITING_ACK.has(s.split(":")[1]!));
    if (ctx.sockets.isOpen(fd)) {
      const revents = pollEverything(posix, fd);
      noteTeardownSeen(ctx, who, fd, revents);
      states.push(pollNames(posix.table, revents));
    }
    return states.join(" ");
  };
  let before = snapshot();
  for (;;) {
    if (wire && "waitQuiet" in wire) {
      wire.waitQuiet(ctx.options.quietMs, deadline, ctx.endpoints ?? undefined);
    } else {
      posix.poll([], ctx.options.quietMs); // a quiet window with nothing to watch
    }
    const after = snapshot();
    if (after === before && !awaitingAck) return;
    before = after;
    deadline.check(`${who}: settle`);
  }
}

/**
 * Notes how many segments have crossed the wire when a checkpoint is first
 * reached. Loopback hands a frame to the capture socket while the sending
 * call runs, so every segment sent so far is already there.
 */
function reachCheckpoint(ctx: Context, checkpoint: string): void {
  const wire = ctx.options.wire;
  if (!wire || !("segments" in wire) || !ctx.endpoints) return;
  if (checkpoint in ctx.checkpoints) return;
  ctx.checkpoints[checkpoint] = wire.segments(ctx.endpoints).length;
  const clock = ctx.options.clock;
  if (clock && ctx.traceStart) {
    ctx.checkpointTimes[checkpoint] = Math.round(
      clock.now() - ctx.traceStart.start,
    );
  }
}

/** Interprets one step, recording into the context. */
function perform(ctx: Context, step: Step): void {
  const checkpoint = stepCheckpoint(step);
  if (checkpoint) reachCheckpoint(ctx, checkpoint);
  const { sockets, obs, durations, options } = ctx;
  const { posix } = sockets;
  const fd = sockets.fd[step.side];
  const who = step.as ?? step.side;
  const deadline = () => new Deadline(options.waitMs);
  const ok = (out: { errno: string | null }) => out.errno ?? "ok";
  switch (step.op) {
    case "send": {
      const out = posix.send(fd, new TextEncoder().encode(step.data));
      if (out.errno !== null && ctx.failedSend === null) {
        ctx.failedSend = { errno: out.errno, at: performance.now() };
      }
      if (step.checkpoint) {
        obs[key(who, "send", step.checkpoint)] = out.errno ?? out.ret;
      } else if (out.ret !== step.data.length) {
        throw new Error(`${who}: send() failed: ${out.errno ?? out.ret}`);
      }
      return;
    }
    case "recv": {
      const received: number[] = [];
      const limit = deadline();
      while (received.length < step.bytes) {
        waitReadable(posix, fd, `${who}: recv`, limit);
        const out = posix.recv(fd, step.bytes - received.length);
        if (out.value === null || out.ret === 0) {
          obs[key(who, "recv")] = out.errno ?? "eof";
          return;
        }
        received.push(...out.value);
      }
      obs[key(who, "recv")] = new TextDecoder().decode(
        new Uint8Array(received),
      );
      return;
    }
    case "await_data":
      waitReadable(posix, fd, `${who}: await data`, deadline());
      return;
    case "get_linger": {
      const out = posix.getLinger(fd);
      obs[key(who, "linger", step.checkpoint)] = out.value === null
        ? out.errno
        : formatLinger(out.value);
      return;
    }
    case "set_linger":
      unwrap(posix, "setsockopt(SO_LINGER)", posix.setLinger(fd, step.linger));
      return;
    case "connected": {
      const out = posix.getpeername(fd);
      obs[key(who, "connected", step.checkpoint)] = out.ret === 0 ? 1 : 0;
      obs[key(who, "getpeername", step.checkpoint)] = ok(out);
      const state = posix.tcpState(fd);
      obs[key(who, "tcp_state", step.checkpoint)] = state.value ??
        state.errno;
      return;
    }
    case "shutdown":
      obs[key(who, "shutdown")] = ok(posix.shutdown(fd, step.how));
      ctx.actionAt = performance.now();
      return;
    case "close": {
      const { value: out, ms } = timed(() => sockets.close(fd));
      obs[key(who, "close")] = ok(out);
      durations[key(who, "close")] = ms;
      ctx.actionAt = performance.now();
      return;
    }
    case "await_teardown": {
      const { value: revents, ms } = timed(() => {
        const what = `${who}: await teardown`;
        const limit = deadline();
        const seen = waitTeardown(posix, fd, what, limit);
        // What else the peer sent (an RST after its FIN) is on the wire
        // already, as it would have arrived during the article's sleep.
        return catchUp(ctx, what, limit)
          ? posix.poll([{ fd, events: teardownEvents(posix) }], 0).value?.[0] ??
            0
          : seen;
      });
      // The revents for the events the wait asked (POLLIN, and POLLRDHUP
      // where the stack reports it) when the teardown was seen.
      obs[key(who, "poll", step.checkpoint)] =
        pollNames(posix.table, revents) || "none";
      durations[key(who, "await_teardown")] = ms;
      return;
    }
    case "observe": {
      if (!sockets.isOpen(fd)) return;
      const seen = observe(posix, fd, step.observers);
      for (const [name, value] of Object.entries(seen)) {
        obs[key(who, name, step.checkpoint)] = value;
      }
      return;
    }
    case "settle":
      settle(ctx, fd, who);
      return;
    case "set_keepalive":
      setKeepalive(posix, fd, step);
      return;
    case "set_user_timeout":
      setUserTimeout(posix, fd, step.ms);
      return;
    case "set_blocking":
      unwrap(posix, "fcntl(F_SETFL)", posix.setNonblocking(fd, !step.blocking));
      return;
    case "set_buffer": {
      const c = posix.table.constants;
      const [name, option] = step.buffer === "send"
        ? ["SO_SNDBUF", c.SO_SNDBUF]
        : ["SO_RCVBUF", c.SO_RCVBUF];
      unwrap(
        posix,
        `setsockopt(${name})`,
        posix.setIntOption(fd, c.SOL_SOCKET, option, step.bytes),
      );
      return;
    }
    case "fill": {
      const { last, bytes } = fill(posix, fd, `${who}: fill`, deadline());
      obs[key(who, "fill")] = last;
      ctx.filled[step.side] = (ctx.filled[step.side] ?? 0) + bytes;
      return;
    }
    case "drain": {
      const { end, bytes } = drain(posix, fd, `${who}: drain`, deadline());
      const other = step.side === "client" ? "server" : "client";
      const queued = ctx.filled[other] ?? 0;
      obs[key(who, "drain")] = end;
      obs[key(who, "received")] = bytes === 0
        ? "none"
        : bytes >= queued
        ? "all"
        : "part";
      return;
    }
    case "fate":
      strike(ctx, step.fate);
      return;
    case "watch":
      watch(ctx, fd, who, step.windowMs);
      return;
    default:
      throw new Error(`Unknown step: ${JSON.stringify(step satisfies never)}`);
  }
}

/**
 * Makes the peer's host suffer `fate`. A rebooted host loses the peer's
 * socket without a word: it is closed with SO_LINGER {1, 0} inside the old
 * namespace, which by then has no route left for its RST.
 */
function strike(ctx: Context, fate: Fate): void {
  const link = ctx.link;
  if (link === null) {
    throw new Error(`fate ${fate}: the connection does not run between hosts`);
  }
  const { sockets } = ctx;
  // Detection is timed from the moment the fate is complete.
  const done = () => {
    ctx.fateAt = performance.now();
  };
  const { posix } = sockets;
  switch (fate) {
    case "hung":
      // The peer's process does nothing more; its kernel goes on.
      return done();
    case "vanished":
      link.vanish();
      return done();
    case "rebooted":
      link.reboot(() => {
        const fd = sockets.fd.server;
        if (!sockets.isOpen(fd)) return;
        posix.setLinger(fd, { onoff: 1, seconds: 0 });
        sockets.close(fd);
      });
      return done();
  }
}

/**
 * Waits for the first sign that the peer is gone: a failed send already
 * made, or anything poll() reports within `windowMs` of the fate (then
 * `recv(MSG_PEEK)` says what: the pending error, or `eof`). Records what
 * was detected, by what, and after how long.
 */
function watch(ctx: Context, fd: number, who: string, windowMs: number): void {
  const { posix } = ctx.sockets;
  const from = ctx.fateAt ?? performance.now();
  const record = (detected: string, by: string, at: number | null) => {
    ctx.obs[key(who, "detected")] = detected;
    ctx.obs[key(who, "detected_by")] = by;
    if (at !== null) ctx.durations[key(who, "detected")] = at - from;
  };
  const sent = ctx.failedSend;
  if (sent && (ctx.fateAt === null || sent.at >= ctx.fateAt)) {
    record(sent.errno, "send", sent.at);
    return;
  }
  const c = posix.table.constants;
  const events = teardownEvents(posix);
  const ends = from + windowMs;
  for (;;) {
    const left = ends - performance.now();
    if (left <= 0) return record("none", "none", null);
    const out = posix.poll([{ fd, events }], left);
    if (out.errno === "EINTR") continue;
    if (out.value === null) {
      throw new Error(`${who}: watch: poll() failed: ${out.errno}`);
    }
    const revents = out.value[0] ?? 0;
    if (revents === 0) continue;
    const at = performance.now();
    const peek = posix.recv(fd, 1, c.MSG_PEEK);
    const detected = peek.ret === 0
      ? "eof"
      : peek.ret > 0
      ? "data"
      : peek.errno ?? "?";
    return record(detected, "poll", at);
  }
}

/**
 * The kernel's sockets of the connection between `endpoints`: from this
 * thread's namespace, or where it runs between two namespaces, from each
 * (the peer's as it is now: after a reboot, the new one).
 */
function kernelSockets(
  link: NamespacePair | null,
  endpoints: Endpoints,
): ReturnType<typeof readLeftovers> {
  if (link === null) return readLeftovers(endpoints);
  const watcher = link.inWatcher(() => readLeftovers(endpoints));
  if (!("leftovers" in watcher)) return watcher;
  const peer = link.inPeer(() => readLeftovers(endpoints));
  if (!("leftovers" in peer)) return peer;
  return { leftovers: [...watcher.leftovers, ...peer.leftovers] };
}

/** Records the wire and the kernel's leftovers once both sides closed. */
function afterClose(
  posix: Posix,
  endpoints: Endpoints,
  options: TrialOptions,
  traceStart: TraceStart | null,
  link: NamespacePair | null,
): Partial<TrialRecord> {
  const out: {
    wire?: Segment[] | null;
    wireUnavailable?: string;
    leftovers?: Leftover[] | null;
    leftoversUnavailable?: string;
    traceWindow?: TraceWindow;
  } = {};
  const wire = options.wire;
  if (wire && "segments" in wire) {
    // The closing handshake may still be crossing loopback.
    wire.waitQuiet(options.quietMs, new Deadline(options.waitMs), endpoints);
    out.wire = wire.segments(endpoints);
  } else if (wire) {
    out.wire = null;
    out.wireUnavailable = wire.unavailable;
  } else {
    posix.poll([], options.quietMs);
  }
  if (options.leftovers) {
    const found = kernelSockets(link, endpoints);
    if ("leftovers" in found) out.leftovers = found.leftovers;
    else {
      out.leftovers = null;
      out.leftoversUnavailable = found.unavailable;
    }
  }
  const clock = options.clock;
  if (clock && traceStart) {
    // The frames of the segments just read, with the kernel's stamps.
    const frames = wire && "segments" in wire
      ? wire.frames?.(endpoints)
      : undefined;
    const stamps = frames?.map((f) => f.timeUs);
    out.traceWindow = {
      ...traceStart,
      end: clock.now(),
      ...(stamps?.every((s) => s !== undefined)
        ? { stamps: stamps as number[] }
        : {}),
    };
  }
  return out;
}

/**
 * Closes what the steps left open, one socket at a time in the order they
 * were opened (abortively between namespaces, see below). Before the next close, the sockets still open take in what
 * the last close sent ({@linkcode catchUp}), so that the engine's own
 * closing puts the same segments on the wire in every trial, also where
 * the stack hands segments over asynchronously. Every socket is closed
 * whatever happens; returns why a catch-up failed, if one did.
 */
function closeInTurn(ctx: Context): string | null {
  let error: string | null = null;
  for (const fd of ctx.sockets.openFds()) {
    // Between namespaces a socket closed in order may be left retrying
    // towards a host that is gone, for minutes, and an orphan holds its
    // namespace (and the veth) alive: the engine's closing there is
    // abortive, so everything ends with the trial.
    if (ctx.link) {
      ctx.sockets.posix.setLinger(fd, { onoff: 1, seconds: 0 });
    }
    ctx.sockets.close(fd);
    if (error !== null || !ctx.sockets.anyOpen()) continue;
    try {
      catchUp(ctx, "cleanup", new Deadline(ctx.options.waitMs));
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
  }
  return error;
}

/**
 * Runs `steps` on a fresh connection: over loopback, or between two
 * namespaces of the trial's own where `options.network` says so (where
 * they cannot be made, the trial's error says `not run: <why>`). Never
 * throws for what happens on the network: a missed deadline or failed call
 * becomes `error`. Every socket, capture and namespace it opened is closed
 * before it returns.
 */
export function runTrial(
  posix: Posix,
  steps: readonly Step[],
  options: TrialOptions = DEFAULT_TRIAL_OPTIONS,
): TrialRecord {
  if (options.network !== "namespaces") {
    return runOn(posix, steps, options, null);
  }
  let link: NamespacePair | NamespacesUnavailable;
  try {
    link = NamespacePair.open(posix);
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable) throw e;
    link = { unavailable: e instanceof Error ? e.message : String(e) };
  }
  if ("unavailable" in link) {
    return {
      endpoints: null,
      observations: {},
      durations: {},
      error: `not run: ${link.unavailable}`,
    };
  }
  const pair = link;
  const tap = linkTap(posix, options.wire, pair);
  try {
    const record = runOn(
      posix,
      steps,
      { ...options, wire: tap, clock: null },
      pair,
    );
    return options.clock
      ? { ...record, traceUnavailable: LINK_NOT_TRACED }
      : record;
  } finally {
    if (tap instanceof LoopbackCapture) tap.close();
    pair.close();
  }
}

/**
 * Where the run captures the wire, a capture of the trial's own on the
 * watcher's link (made inside the watcher's namespace); otherwise what the
 * run has (nothing, or why not).
 */
function linkTap(
  posix: Posix,
  wire: TrialOptions["wire"],
  pair: NamespacePair,
): TrialOptions["wire"] {
  if (!wire || !("segments" in wire)) return wire;
  return pair.inWatcher(() =>
    LoopbackCapture.openLink(posix, {
      name: WATCHER_LINK.name,
      ifindex: pair.watcherIndex,
      kernelStamps: "kernelStamps" in wire && wire.kernelStamps === true,
    })
  );
}

/** Why a trial between namespaces keeps no trace window. */
export const LINK_NOT_TRACED =
  "trials between network namespaces are not traced: trials side by side " +
  "there hold the same addresses and may pick the same ports";

/** Runs `steps` on a connection made over `link`, or over loopback. */
function runOn(
  posix: Posix,
  steps: readonly Step[],
  options: TrialOptions,
  link: NamespacePair | null,
): TrialRecord {
  const ctx: Context = {
    sockets: new Sockets(posix),
    options,
    obs: {},
    durations: {},
    actionAt: null,
    endpoints: null,
    checkpoints: {},
    checkpointTimes: {},
    traceStart: null,
    link,
    filled: {},
    fateAt: null,
    failedSend: null,
  };
  let endpoints: Endpoints | null = null;
  let error: string | null = null;
  let extra: Partial<TrialRecord> = {};
  let cleanupAt: number | undefined;
  const wire = options.wire;
  if (wire && "reset" in wire) wire.reset();
  try {
    // Probed once per process, before any trial's connection exists, so
    // the probe's own connection never runs in the middle of a trial.
    pollReportsRdhup(posix);
    endpoints = establish(ctx.sockets, options, link, (start) => {
      ctx.traceStart = start;
    });
    ctx.endpoints = endpoints;
    for (const step of steps) perform(ctx, step);
    cleanupAt = segmentsBeforeCleanup(ctx);
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable) throw e;
    error = e instanceof Error ? e.message : String(e);
    // What an interrupted trial left open is closed by the engine too.
    try {
      cleanupAt = segmentsBeforeCleanup(ctx);
    } catch { /* the error above already says what went wrong */ }
  } finally {
    const failed = closeInTurn(ctx);
    error ??= failed;
  }
  if (endpoints !== null) {
    try {
      extra = afterClose(posix, endpoints, options, ctx.traceStart, link);
    } catch (e) {
      error ??= e instanceof Error ? e.message : String(e);
    }
  }
  return {
    endpoints,
    observations: ctx.obs,
    durations: ctx.durations,
    error,
    ...extra,
    ...(cleanupAt !== undefined && extra.wire
      ? { wireCleanupAt: cleanupAt }
      : {}),
    ...(extra.wire && Object.keys(ctx.checkpoints).length
      ? { wireCheckpoints: ctx.checkpoints }
      : {}),
    ...(extra.traceWindow && Object.keys(ctx.checkpointTimes).length
      ? { checkpointTimes: ctx.checkpointTimes }
      : {}),
  };
}

/**
 * The frames of a trial's connection (for pcap files), where its options'
 * tap keeps frames; `null` when it does not or the trial never connected.
 * Call it before the tap's next trial resets it.
 */
export function trialFrames(
  options: TrialOptions,
  record: TrialRecord,
): Frame[] | null {
  const wire = options.wire;
  if (!wire || !("segments" in wire) || !record.endpoints) return null;
  return wire.frames?.(record.endpoints) ?? null;
}

/**
 * Where the steps left sockets open, the engine's closing of them puts
 * segments on the wire that no step asked for: this counts the segments
 * the steps caused (once the wire is quiet), so they can be told apart.
 */
function segmentsBeforeCleanup(ctx: Context): number | undefined {
  const wire = ctx.options.wire;
  if (!wire || !("segments" in wire) || !ctx.endpoints) return undefined;
  if (!ctx.sockets.anyOpen()) return undefined;
  const deadline = new Deadline(ctx.options.waitMs);
  wire.waitQuiet(ctx.options.quietMs, deadline, ctx.endpoints);
  return wire.segments(ctx.endpoints).length;
}
