/**
 * The socket options a watcher can lean on to find a dead peer: keepalive
 * probes with their timing (`SO_KEEPALIVE`, `TCP_KEEPIDLE` — `TCP_KEEPALIVE`
 * on macOS —, `TCP_KEEPINTVL`, `TCP_KEEPCNT`) and Linux's
 * `TCP_USER_TIMEOUT`, how long sent data may stay unacknowledged. Where the
 * OS sets them system-wide only (OpenBSD's keepalive timing) or lacks them
 * (TCP_USER_TIMEOUT outside Linux), the call throws and names that.
 *
 * @module
 */

import { type Posix, unwrap } from "../../ffi/posix.ts";

/** Keepalive timing: idle seconds, seconds between probes, probes. */
export interface Keepalive {
  readonly idleS: number;
  readonly intervalS: number;
  readonly count: number;
}

/**
 * Turns keepalive on with `timing`.
 *
 * @throws {Error} where a call fails or the OS has no per-socket timing.
 */
export function setKeepalive(posix: Posix, fd: number, timing: Keepalive) {
  const c = posix.table.constants;
  const { TCP_KEEPIDLE: idle, TCP_KEEPINTVL: interval, TCP_KEEPCNT: count } = c;
  if (idle === null || interval === null || count === null) {
    throw new Error(
      `keepalive timing is system-wide on ${posix.table.os} (no TCP_KEEPIDLE)`,
    );
  }
  const set = (name: string, level: number, option: number, value: number) =>
    unwrap(
      posix,
      `setsockopt(${name})`,
      posix.setIntOption(fd, level, option, value),
    );
  set("SO_KEEPALIVE", c.SOL_SOCKET, c.SO_KEEPALIVE, 1);
  set("TCP_KEEPIDLE", c.IPPROTO_TCP, idle, timing.idleS);
  set("TCP_KEEPINTVL", c.IPPROTO_TCP, interval, timing.intervalS);
  set("TCP_KEEPCNT", c.IPPROTO_TCP, count, timing.count);
}

/**
 * Sets TCP_USER_TIMEOUT to `ms`.
 *
 * @throws {Error} where the call fails or the OS has no such option.
 */
export function setUserTimeout(posix: Posix, fd: number, ms: number) {
  const c = posix.table.constants;
  if (c.TCP_USER_TIMEOUT === null) {
    throw new Error(`TCP_USER_TIMEOUT does not exist on ${posix.table.os}`);
  }
  unwrap(
    posix,
    "setsockopt(TCP_USER_TIMEOUT)",
    posix.setIntOption(fd, c.IPPROTO_TCP, c.TCP_USER_TIMEOUT, ms),
  );
}
