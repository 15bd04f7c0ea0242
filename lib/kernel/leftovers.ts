/**
 * What the kernel keeps after both sides have closed: the sockets still
 * held for a trial's 4-tuple, with their TCP states (TIME_WAIT, FIN_WAIT2,
 * LAST_ACK, …). On Linux it asks the kernel through sock_diag netlink
 * (`tcp_sockets.ts`), which `ss` uses too; elsewhere it says that it is
 * unavailable.
 *
 * Two exact lookups, one per side (client → server, server → client), find
 * a socket whether a file still refers to it or not: orphans and TIME_WAIT
 * included. A dump would find the same sockets, but it walks the kernel's
 * whole established table whatever its filter: 2.3 ms a call on the
 * development machine, against about 70 µs for the two lookups, and
 * the engine reads the leftovers at every step of a settle.
 *
 * `/proc/net/tcp` is no longer read: Deno 2.9 refuses it without
 * `--allow-all`, so it was unavailable in every real run.
 *
 * @module
 */

import { hostPosix, type Posix } from "../../ffi/posix.ts";
import type { SocketAddress } from "../../ffi/sockaddr.ts";
import {
  type InetDiagRequest,
  type InetDiagSocket,
  TCP_ALL_STATES,
} from "../../ffi/linux/sock_diag.ts";
import { LINUX } from "../../ffi/tables/linux.ts";
import { decodeTcpState } from "../../ffi/tcp_state.ts";
import { Deadline } from "../net/deadline.ts";
import { type Endpoints, senderOf, type Side } from "../net/endpoints.ts";
import { queryTcpSockets } from "./tcp_sockets.ts";

/** A socket the kernel still held after both sides closed. */
export interface Leftover {
  side: Side;
  state: string;
}

/** One socket the kernel listed, with its Linux state named. */
export interface KernelSocketRow {
  readonly local: SocketAddress;
  readonly remote: SocketAddress;
  readonly state: string;
}

/** How long to wait for the kernel's answer: it normally comes at once. */
const REPLY_BUDGET_MS = 1000;

/** A socket as the kernel reported it, with its Linux state named. */
export function rowOf(socket: InetDiagSocket): KernelSocketRow {
  return {
    local: socket.local,
    remote: socket.remote,
    state: decodeTcpState(LINUX, socket.state) ?? `state ${socket.state}`,
  };
}

/**
 * The two lookups for a trial: the client's socket and the server's.
 *
 * @throws {RangeError} for endpoints whose families differ.
 */
export function leftoverRequests(endpoints: Endpoints): InetDiagRequest[] {
  const { client, server } = endpoints;
  if (client.family !== server.family) {
    throw new RangeError(
      `Cannot look up ${client.family} ${client.port} to ${server.family} ${server.port}: families differ`,
    );
  }
  const lookup = (local: SocketAddress, remote: SocketAddress) => ({
    family: local.family,
    states: TCP_ALL_STATES,
    local,
    remote,
    dump: false,
  });
  return [lookup(client, server), lookup(server, client)];
}

/**
 * The rows that belong to the connection between `client` and `server`,
 * sorted by side, then state. Anything else is dropped, such as a listener
 * the kernel falls back to when the 4-tuple has no socket.
 */
export function leftoversOf(
  rows: readonly KernelSocketRow[],
  endpoints: Endpoints,
): Leftover[] {
  const out: Leftover[] = [];
  for (const row of rows) {
    // The socket bound to the client's address speaks for the client.
    const side = senderOf(endpoints, row.local, row.remote);
    if (side !== null) out.push({ side, state: row.state });
  }
  return out.sort((a, b) =>
    a.side < b.side
      ? -1
      : a.side > b.side
      ? 1
      : a.state < b.state
      ? -1
      : a.state > b.state
      ? 1
      : 0
  );
}

/**
 * Reads the kernel's sockets for a trial, or why it cannot. Never throws
 * for what can go wrong on a host (another OS, no netlink, no FFI
 * permission); endpoints of two families are a caller's bug and throw
 * RangeError.
 */
export function readLeftovers(
  endpoints: Endpoints,
  posix?: Posix,
): { leftovers: Leftover[] } | { unavailable: string } {
  if (Deno.build.os !== "linux") {
    return {
      unavailable:
        `reading kernel sockets is implemented on Linux only (${Deno.build.os})`,
    };
  }
  const requests = leftoverRequests(endpoints);
  let api: Posix;
  try {
    api = posix ?? hostPosix();
  } catch (e) {
    if (!(e instanceof Deno.errors.NotCapable)) throw e;
    return { unavailable: `sock_diag needs --allow-ffi: ${e.message}` };
  }
  const found = queryTcpSockets(api, requests, new Deadline(REPLY_BUDGET_MS));
  if ("unavailable" in found) return found;
  return { leftovers: leftoversOf(found.sockets.map(rowOf), endpoints) };
}
