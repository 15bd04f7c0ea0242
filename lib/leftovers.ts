/**
 * What the kernel keeps after both sides have closed: the sockets still
 * listed for a trial's 4-tuple, with their TCP states (TIME_WAIT, FIN_WAIT2,
 * LAST_ACK, …). On Linux this reads `/proc/net/tcp` and `/proc/net/tcp6`
 * (format: linux `net/ipv4/tcp_ipv4.c` `get_tcp4_sock`/`get_timewait4_sock`,
 * `net/ipv6/tcp_ipv6.c`); elsewhere it says that it is unavailable.
 *
 * @module
 */

import { LINUX } from "../ffi/linux.ts";
import { formatIpv6 } from "../ffi/sockaddr.ts";
import { decodeTcpState } from "../ffi/tcp_state.ts";
import type { Leftover } from "./results.ts";

/** One row of `/proc/net/tcp{,6}`. */
export interface ProcTcpRow {
  readonly local: string;
  readonly remote: string;
  readonly state: string;
}

/** Decodes procfs's hex address: IPv4 as one host-order u32, IPv6 as four. */
function decodeProcAddress(hex: string): string {
  const [addr = "", port = ""] = hex.split(":");
  const words = addr.match(/.{8}/g) ?? [];
  // Each 32-bit word is printed as a host-order (little-endian) integer.
  const bytes = new Uint8Array(
    words.flatMap((w) => {
      const n = parseInt(w, 16);
      return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
    }),
  );
  const p = parseInt(port, 16);
  return bytes.length === 4
    ? `${bytes.join(".")}:${p}`
    : `[${formatIpv6(bytes)}]:${p}`;
}

/** Parses the text of `/proc/net/tcp` or `/proc/net/tcp6`. */
export function parseProcNetTcp(text: string): ProcTcpRow[] {
  return text.split("\n").slice(1).flatMap((line) => {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 4) return [];
    const state = decodeTcpState(LINUX, parseInt(fields[3]!, 16));
    return [{
      local: decodeProcAddress(fields[1]!),
      remote: decodeProcAddress(fields[2]!),
      state: state ?? `0x${fields[3]}`,
    }];
  });
}

/** The rows that belong to the connection between `client` and `server`. */
export function leftoversOf(
  rows: readonly ProcTcpRow[],
  endpoints: { client: string; server: string },
): Leftover[] {
  const out: Leftover[] = [];
  for (const row of rows) {
    if (row.local === endpoints.client && row.remote === endpoints.server) {
      out.push({ side: "client", state: row.state });
    } else if (
      row.local === endpoints.server && row.remote === endpoints.client
    ) {
      out.push({ side: "server", state: row.state });
    }
  }
  return out.sort((a, b) =>
    a.side < b.side ? -1 : a.side > b.side ? 1 : a.state < b.state ? -1 : 1
  );
}

/** Reads the kernel's sockets for a trial, or why it cannot. */
export function readLeftovers(
  endpoints: { client: string; server: string },
): { leftovers: Leftover[] } | { unavailable: string } {
  if (Deno.build.os !== "linux") {
    return {
      unavailable:
        `reading kernel sockets is implemented on Linux only (${Deno.build.os})`,
    };
  }
  try {
    const rows = ["/proc/net/tcp", "/proc/net/tcp6"].flatMap((path) =>
      parseProcNetTcp(Deno.readTextFileSync(path))
    );
    return { leftovers: leftoversOf(rows, endpoints) };
  } catch (e) {
    return {
      unavailable: `cannot read /proc/net/tcp: ${(e as Error).message}`,
    };
  }
}
