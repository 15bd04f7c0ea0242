/**
 * Lists the kernel's TCP sockets on Linux through sock_diag netlink, as
 * `ss` does: `socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, NETLINK_SOCK_DIAG)`,
 * one `SOCK_DIAG_BY_FAMILY` request after another, each reply read to its
 * end: one message or `NLMSG_ERROR` for an exact lookup, messages up to
 * `NLMSG_DONE` for a dump. No privilege is needed and, unlike
 * `/proc/net/tcp`, Deno grants it with `--allow-ffi` alone.
 *
 * Every call opens its own netlink socket and closes it before it returns.
 * A socket kept open for the process would save the `socket()` and
 * `close()` calls: 10 µs of the 50 to 90 µs that `readLeftovers()` costs
 * (two lookups; `deno task bench` prints it). It would also show up as an
 * extra fd in every test that counts them, and it would have to discard
 * the rest of a reply abandoned at its deadline. Per call, nothing
 * outlives the call.
 *
 * Expected failures (no netlink, a kernel without `tcp_diag`, no reply
 * before the deadline, a malformed reply) come back as `unavailable`.
 *
 * @module
 */

import { errnoName } from "../../ffi/errno.ts";
import { LINUX } from "../../ffi/tables/linux.ts";
import {
  AF_NETLINK,
  MSG_TRUNC,
  NETLINK_SOCK_DIAG,
  readReplyDatagram,
  SOCK_RAW,
  startReply,
} from "../../ffi/linux/netlink.ts";
import type { Posix } from "../../ffi/posix.ts";
import {
  decodeInetDiagMsg,
  encodeSockDiagRequest,
  type InetDiagRequest,
  type InetDiagSocket,
} from "../../ffi/linux/sock_diag.ts";
import type { Deadline } from "../net/deadline.ts";

/** A lookup's answer when no socket has the 4-tuple. */
const ENOENT = LINUX.errno.ENOENT;

/**
 * Receive buffer for one datagram of a lookup's reply: one message of a few
 * hundred bytes. Each `recv()` allocates its buffer, and the size shows: a
 * 64 KiB buffer cost 25 µs a call on the development machine, 8 KiB 3 µs.
 */
const LOOKUP_BUFFER_SIZE = 8 * 1024;

/**
 * Receive buffer for a dump's datagrams: the kernel fills them up to the
 * largest `recv()` the socket has seen, at most 32 KiB
 * (`net/netlink/af_netlink.c`, `netlink_recvmsg` and `netlink_dump`).
 * `MSG_TRUNC` would make a truncated datagram visible as an error anyway.
 */
const DUMP_BUFFER_SIZE = 32 * 1024;

/** What the requests found, or why they could not be answered. */
export type QueryResult =
  | { readonly sockets: InetDiagSocket[] }
  | { readonly unavailable: string };

/**
 * Sends each request in turn over one netlink socket, reads its whole
 * reply, and returns every socket reported, in order. Waits for replies in
 * `poll()` until `deadline`.
 */
export function queryTcpSockets(
  posix: Posix,
  requests: readonly InetDiagRequest[],
  deadline: Deadline,
): QueryResult {
  if (posix.table.os !== "linux") {
    return { unavailable: `sock_diag is Linux only (${posix.table.os})` };
  }
  const opened = posix.rawSocket(
    AF_NETLINK,
    SOCK_RAW | (posix.table.constants.SOCK_CLOEXEC ?? 0),
    NETLINK_SOCK_DIAG,
  );
  if (opened.ret < 0) {
    return {
      unavailable:
        `socket(AF_NETLINK, SOCK_RAW, NETLINK_SOCK_DIAG) failed: ${opened.errno}`,
    };
  }
  const fd = opened.ret;
  try {
    const sockets: InetDiagSocket[] = [];
    for (const [index, request] of requests.entries()) {
      const found = askOne(posix, fd, request, index + 1, deadline);
      if ("unavailable" in found) return found;
      sockets.push(...found.sockets);
    }
    return { sockets };
  } catch (e) {
    // The codecs throw RangeError for bytes that do not parse.
    if (!(e instanceof RangeError)) throw e;
    return { unavailable: `Cannot read the sock_diag reply: ${e.message}` };
  } finally {
    posix.close(fd);
  }
}

/** Sends one request and reads its reply to the end. */
function askOne(
  posix: Posix,
  fd: number,
  request: InetDiagRequest,
  seq: number,
  deadline: Deadline,
): QueryResult {
  const sent = posix.send(fd, encodeSockDiagRequest(request, seq));
  if (sent.ret < 0) {
    return { unavailable: `send() to sock_diag failed: ${sent.errno}` };
  }
  const progress = startReply();
  const size = request.dump ? DUMP_BUFFER_SIZE : LOOKUP_BUFFER_SIZE;
  while (!progress.done) {
    const got = posix.recv(fd, size, MSG_TRUNC);
    if (got.value !== null) {
      if (got.ret > size) {
        return {
          unavailable:
            `sock_diag datagram of ${got.ret} bytes truncated to ${size}`,
        };
      }
      readReplyDatagram(progress, got.value, seq);
      continue;
    }
    if (got.errno !== "EAGAIN" && got.errno !== "EINTR") {
      return { unavailable: `recv() from sock_diag failed: ${got.errno}` };
    }
    if (deadline.passed()) {
      return {
        unavailable: `sock_diag: no reply within ${deadline.budgetMs} ms`,
      };
    }
    posix.poll(
      [{ fd, events: posix.table.constants.POLLIN }],
      deadline.remaining(),
    );
  }
  if (progress.errno === ENOENT && !request.dump) return { sockets: [] };
  if (progress.errno !== null) {
    return {
      unavailable: `sock_diag request failed: ${
        errnoName(LINUX, progress.errno)
      }`,
    };
  }
  if (progress.interrupted) {
    return { unavailable: "sock_diag dump interrupted: the table changed" };
  }
  return { sockets: progress.payloads.map(decodeInetDiagMsg) };
}
