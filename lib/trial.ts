/**
 * One trial: establish a loopback connection, interpret a case's steps on
 * both endpoints, record what each step observed, and close every socket at
 * the end whatever happened. A missed deadline or a failed set-up call ends
 * the trial with `error` set; the run goes on.
 *
 * @module
 */

import { formatLinger } from "../ffi/linger.ts";
import { pollNames } from "../ffi/pollfd.ts";
import { type Posix, unwrap } from "../ffi/posix.ts";
import { formatEndpoint, type SocketAddress } from "../ffi/sockaddr.ts";
import { Deadline, timed } from "./deadline.ts";
import { type Observation, observeAll } from "./observers.ts";
import type { Side, Step } from "./scenario.ts";
import { waitReadable, waitTeardown, waitWritable } from "./wait.ts";

/** How a trial runs. */
export interface TrialOptions {
  /** Budget of each wait, in milliseconds. */
  readonly waitMs: number;
  /** Loopback address to listen on. */
  readonly address: SocketAddress["address"];
  readonly family: SocketAddress["family"];
}

/** Default options: IPv4 loopback, 2 s per wait (the article slept 3 s). */
export const DEFAULT_TRIAL_OPTIONS: TrialOptions = {
  waitMs: 2000,
  address: "127.0.0.1",
  family: "inet",
};

/** The two ends as `address:port`. */
export interface Endpoints {
  readonly client: string;
  readonly server: string;
}

/** Everything one trial recorded. */
export interface TrialRecord {
  readonly endpoints: Endpoints | null;
  readonly observations: Record<string, Observation>;
  /** Milliseconds per timed step; kept out of `observations`. */
  readonly durations: Record<string, number>;
  readonly error: string | null;
}

/** Sockets a trial opened; every one is closed by {@linkcode closeAll}. */
class Sockets {
  readonly #open = new Set<number>();
  listener = -1;
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

  closeAll(): void {
    for (const fd of [...this.#open]) this.close(fd);
  }
}

/** Listens, connects and accepts on loopback; returns the endpoints. */
function establish(
  sockets: Sockets,
  options: TrialOptions,
): Endpoints {
  const { posix } = sockets;
  const c = posix.table.constants;
  const any = { family: options.family, address: options.address, port: 0 };
  const listener = sockets.add(
    unwrap(posix, "socket", posix.socket(options.family)),
  );
  sockets.listener = listener;
  unwrap(
    posix,
    "setsockopt(SO_REUSEADDR)",
    posix.setIntOption(listener, c.SOL_SOCKET, c.SO_REUSEADDR, 1),
  );
  unwrap(posix, "bind", posix.bind(listener, any));
  unwrap(posix, "listen", posix.listen(listener, 1));
  const bound = posix.getsockname(listener);
  unwrap(posix, "getsockname", bound);
  const serverAddr = bound.value!;

  const client = sockets.add(
    unwrap(posix, "socket", posix.socket(options.family)),
  );
  sockets.fd.client = client;
  const connecting = posix.connect(client, serverAddr);
  if (connecting.ret < 0 && connecting.errno !== "EINPROGRESS") {
    unwrap(posix, "connect", connecting);
  }
  const deadline = new Deadline(options.waitMs);
  waitWritable(posix, client, "connect", deadline);
  const soError = posix.soError(client);
  if (soError.value !== null) {
    throw new Error(`connect() failed: ${soError.value}`);
  }
  waitReadable(posix, listener, "accept", deadline);
  const server = sockets.add(unwrap(posix, "accept", posix.accept(listener)));
  sockets.fd.server = server;
  const clientAddr = posix.getsockname(client).value!;
  return {
    client: formatEndpoint(clientAddr),
    server: formatEndpoint(serverAddr),
  };
}

/** Interprets one step, recording into `obs` and `durations`. */
function perform(
  sockets: Sockets,
  step: Step,
  obs: Record<string, Observation>,
  durations: Record<string, number>,
  options: TrialOptions,
): void {
  const { posix } = sockets;
  const fd = sockets.fd[step.side];
  const who = step.as ?? step.side;
  const deadline = () => new Deadline(options.waitMs);
  const ok = (out: { errno: string | null }) => out.errno ?? "ok";
  switch (step.op) {
    case "send": {
      const out = posix.send(fd, new TextEncoder().encode(step.data));
      if (step.checkpoint) {
        obs[`${who}.send.${step.checkpoint}`] = out.errno ?? out.ret;
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
          obs[`${who}.recv`] = out.errno ?? "eof";
          return;
        }
        received.push(...out.value);
      }
      obs[`${who}.recv`] = new TextDecoder().decode(new Uint8Array(received));
      return;
    }
    case "await_data":
      waitReadable(posix, fd, `${who}: await data`, deadline());
      return;
    case "get_linger": {
      const out = posix.getLinger(fd);
      obs[`${who}.linger.${step.checkpoint}`] = out.value === null
        ? out.errno
        : formatLinger(out.value);
      return;
    }
    case "set_linger":
      unwrap(posix, "setsockopt(SO_LINGER)", posix.setLinger(fd, step.linger));
      return;
    case "connected": {
      const out = posix.getpeername(fd);
      obs[`${who}.connected.${step.checkpoint}`] = out.ret === 0 ? 1 : 0;
      obs[`${who}.getpeername.${step.checkpoint}`] = ok(out);
      const state = posix.tcpState(fd);
      obs[`${who}.tcp_state.${step.checkpoint}`] = state.value ?? state.errno;
      return;
    }
    case "shutdown":
      obs[`${who}.shutdown`] = ok(posix.shutdown(fd, step.how));
      return;
    case "close": {
      const { value: out, ms } = timed(() => sockets.close(fd));
      obs[`${who}.close`] = ok(out);
      durations[`${who}.close`] = ms;
      return;
    }
    case "await_teardown": {
      const { value: revents, ms } = timed(() =>
        waitTeardown(posix, fd, `${who}: await teardown`, deadline())
      );
      obs[`${who}.poll.${step.checkpoint}`] = pollNames(posix.table, revents);
      durations[`${who}.await_teardown`] = ms;
      return;
    }
    case "observe": {
      if (!sockets.isOpen(fd)) return;
      for (const [name, value] of Object.entries(observeAll(posix, fd))) {
        obs[`${who}.${name}.${step.checkpoint}`] = value;
      }
      return;
    }
  }
}

/**
 * Runs `steps` on a fresh loopback connection. Never throws for what
 * happens on the network: a missed deadline or failed call becomes `error`.
 * Every socket opened is closed before it returns.
 */
export function runTrial(
  posix: Posix,
  steps: readonly Step[],
  options: TrialOptions = DEFAULT_TRIAL_OPTIONS,
): TrialRecord {
  const sockets = new Sockets(posix);
  const observations: Record<string, Observation> = {};
  const durations: Record<string, number> = {};
  let endpoints: Endpoints | null = null;
  let error: string | null = null;
  try {
    endpoints = establish(sockets, options);
    for (const step of steps) {
      perform(sockets, step, observations, durations, options);
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable) throw e;
    error = e instanceof Error ? e.message : String(e);
  } finally {
    sockets.closeAll();
  }
  return { endpoints, observations, durations, error };
}
