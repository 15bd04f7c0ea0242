/**
 * Decodes the TCP state byte: the first byte of Linux/FreeBSD/OpenBSD
 * `struct tcp_info` and of macOS `struct tcp_connection_info`, numbered as
 * Linux `include/net/tcp_states.h` or BSD `netinet/tcp_fsm.h`.
 *
 * @module
 */

import type { PlatformTable, TcpStateName } from "./tables/platform.ts";

/** Buffer size passed to getsockopt for the state struct. */
export const TCP_INFO_BUFFER_SIZE = 256;

/** The state named by `byte` under `table`'s numbering, or `null`. */
export function decodeTcpState(
  table: PlatformTable,
  byte: number,
): TcpStateName | null {
  return table.tcpStates[byte] ?? null;
}

/** The byte `table` uses for `state` (the first, where two share a name). */
export function encodeTcpState(
  table: PlatformTable,
  state: TcpStateName,
): number {
  const byte = table.tcpStates.indexOf(state);
  if (byte < 0) throw new RangeError(`No byte for TCP state ${state}`);
  return byte;
}
