/**
 * A connection's two ends, kept as socket addresses from `getsockname()`
 * until they are written to a results file as text (`127.0.0.1:40000`,
 * `[::1]:40000`). The wire decoder, the kernel's socket table and the engine
 * all compare addresses in this typed form.
 *
 * @module
 */

import {
  formatEndpoint,
  parseIpv4,
  parseIpv6,
  type SocketAddress,
} from "../../ffi/sockaddr.ts";

/** One end of the connection: the connecting or the accepting socket. */
export type Side = "client" | "server";

/** The connection's two ends. */
export interface Endpoints {
  readonly client: SocketAddress;
  readonly server: SocketAddress;
}

/** The two ends as results files write them. */
export interface WrittenEndpoints {
  readonly client: string;
  readonly server: string;
}

/**
 * The ends as text, for a results file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeEndpoints } from "./endpoints.ts";
 * assert.deepEqual(
 *   writeEndpoints({
 *     client: { family: "inet", address: "127.0.0.1", port: 40000 },
 *     server: { family: "inet", address: "127.0.0.1", port: 5000 },
 *   }),
 *   { client: "127.0.0.1:40000", server: "127.0.0.1:5000" },
 * );
 * ```
 */
export function writeEndpoints(endpoints: Endpoints): WrittenEndpoints {
  return {
    client: formatEndpoint(endpoints.client),
    server: formatEndpoint(endpoints.server),
  };
}

/**
 * Parses `"127.0.0.1:80"` or `"[::1]:80"`, the inverse of `formatEndpoint`
 * (for reading other tools' output, such as `ss`).
 *
 * @throws {RangeError} for anything else.
 */
export function parseEndpoint(text: string): SocketAddress {
  const match = /^(?:\[([0-9a-fA-F:]+)\]|(\d+\.\d+\.\d+\.\d+)):(\d{1,5})$/
    .exec(text);
  const port = Number(match?.[3]);
  if (!match || port > 0xffff) {
    throw new RangeError(`Cannot parse endpoint ${text}`);
  }
  if (match[1] !== undefined) {
    parseIpv6(match[1]);
    return { family: "inet6", address: match[1], port };
  }
  parseIpv4(match[2]!);
  return { family: "inet", address: match[2]!, port };
}

/** Whether two socket addresses name the same end. */
export function sameAddress(a: SocketAddress, b: SocketAddress): boolean {
  return a.family === b.family && a.port === b.port && a.address === b.address;
}

/**
 * Which side sent a packet from `src` to `dst` on this connection, or
 * `null` when the packet belongs to another connection.
 */
export function senderOf(
  endpoints: Endpoints,
  src: SocketAddress,
  dst: SocketAddress,
): Side | null {
  if (
    sameAddress(src, endpoints.client) && sameAddress(dst, endpoints.server)
  ) {
    return "client";
  }
  if (
    sameAddress(src, endpoints.server) && sameAddress(dst, endpoints.client)
  ) {
    return "server";
  }
  return null;
}
