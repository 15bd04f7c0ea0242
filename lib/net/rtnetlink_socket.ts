/**
 * One rtnetlink socket (`NETLINK_ROUTE`), made in the calling thread's
 * network namespace, which is the namespace its requests configure: a
 * request is sent with `NLM_F_ACK` and waits for its acknowledgement, a
 * query for its one reply, each within a deadline; the kernel's refusal
 * becomes {@linkcode RtnetlinkError} with the request's name, the errno
 * and the kernel's own message where it gives one (extended acks). The
 * messages themselves are encoded in `ffi/linux/rtnetlink.ts`.
 *
 * @module
 */

import { type Errno, errnoName } from "../../ffi/errno.ts";
import type { Posix } from "../../ffi/posix.ts";
import {
  AF_NETLINK,
  MSG_TRUNC,
  readReplyDatagram,
  SOCK_RAW,
  startReply,
} from "../../ffi/linux/netlink.ts";
import {
  findAck,
  NETLINK_CAP_ACK,
  NETLINK_EXT_ACK,
  NETLINK_ROUTE,
  SOL_NETLINK,
} from "../../ffi/linux/rtnetlink.ts";
import { Deadline } from "./deadline.ts";

/** How long a request waits for its ack: it is queued before send returns. */
const ACK_BUDGET_MS = 1000;
/** Receive buffer for one ack or dump datagram. */
const REPLY_BUFFER = 32 * 1024;
/** A rtnetlink request the kernel refused. */
export class RtnetlinkError extends Error {
  constructor(
    /** What was asked, e.g. `RTM_NEWLINK veth`. */
    readonly request: string,
    readonly errno: Errno,
    detail: string,
    /** The kernel's extended ack, when it gave one. */
    readonly kernelMessage: string | null = null,
  ) {
    super(
      `${request}: ${errno} (${detail})${
        kernelMessage ? `: ${kernelMessage}` : ""
      }`,
    );
    this.name = "RtnetlinkError";
  }
}

/**
 * A `NETLINK_ROUTE` socket in the calling thread's current namespace (it
 * stays in that namespace whatever the thread does next). Each request
 * waits for its ack; a refusal throws {@linkcode RtnetlinkError}.
 */
export class RtnetlinkSocket {
  #seq = 0;
  #closed = false;

  private constructor(readonly posix: Posix, readonly fd: number) {}

  /**
   * Opens the socket, with extended acks (the kernel's reason in an error)
   * and capped acks (an error does not echo the whole request).
   *
   * @throws {RtnetlinkError} when `socket()` fails.
   */
  static open(posix: Posix): RtnetlinkSocket {
    const flags = posix.table.constants.SOCK_CLOEXEC ?? 0;
    const out = posix.rawSocket(AF_NETLINK, SOCK_RAW | flags, NETLINK_ROUTE);
    if (out.ret < 0) {
      const errno = out.errno ?? "E#0";
      throw new RtnetlinkError(
        "socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE)",
        errno,
        posix.strerror(errno),
      );
    }
    // Both are comforts: without them errors are plainer, not wrong.
    posix.setIntOption(out.ret, SOL_NETLINK, NETLINK_EXT_ACK, 1);
    posix.setIntOption(out.ret, SOL_NETLINK, NETLINK_CAP_ACK, 1);
    return new RtnetlinkSocket(posix, out.ret);
  }

  /** Runs `fn` with a fresh socket, closed on every path. */
  static with<T>(posix: Posix, fn: (socket: RtnetlinkSocket) => T): T {
    const socket = RtnetlinkSocket.open(posix);
    try {
      return fn(socket);
    } finally {
      socket.close();
    }
  }

  /**
   * Sends the request `build(seq)` makes and waits for its ack.
   *
   * @throws {RtnetlinkError} when the kernel refuses it (or send/recv
   * fails); `Error` when no ack comes within a second.
   */
  request(what: string, build: (seq: number) => Uint8Array<ArrayBuffer>): void {
    const seq = this.#send(what, build);
    const deadline = new Deadline(ACK_BUDGET_MS);
    for (;;) {
      const datagram = this.#receive(what, deadline);
      const ack = findAck(datagram, seq);
      if (ack === null) continue;
      if (ack.errno === 0) return;
      const errno = this.#errnoName(ack.errno);
      throw new RtnetlinkError(
        what,
        errno,
        this.posix.strerror(errno),
        ack.message,
      );
    }
  }

  /**
   * Sends the query `build(seq)` makes and returns the payloads of its
   * reply: one message for a lookup, every message up to `NLMSG_DONE` for
   * a dump.
   *
   * @throws {RtnetlinkError} when the kernel refuses it.
   */
  query(
    what: string,
    build: (seq: number) => Uint8Array<ArrayBuffer>,
  ): Uint8Array[] {
    const seq = this.#send(what, build);
    const deadline = new Deadline(ACK_BUDGET_MS);
    const progress = startReply();
    while (!progress.done) {
      readReplyDatagram(progress, this.#receive(what, deadline), seq);
    }
    if (progress.errno !== null) {
      const errno = this.#errnoName(progress.errno);
      throw new RtnetlinkError(what, errno, this.posix.strerror(errno));
    }
    return progress.payloads;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.posix.close(this.fd);
  }

  #send(what: string, build: (seq: number) => Uint8Array<ArrayBuffer>) {
    const seq = ++this.#seq;
    const sent = this.posix.send(this.fd, build(seq));
    if (sent.ret < 0) {
      const errno = sent.errno ?? "E#0";
      throw new RtnetlinkError(
        `${what}: send()`,
        errno,
        this.posix.strerror(errno),
      );
    }
    return seq;
  }

  /** The next datagram, waiting in `poll()` until `deadline`. */
  #receive(what: string, deadline: Deadline): Uint8Array {
    for (;;) {
      const got = this.posix.recv(this.fd, REPLY_BUFFER, MSG_TRUNC);
      if (got.value !== null) {
        if (got.ret > REPLY_BUFFER) {
          throw new RangeError(
            `${what}: reply of ${got.ret} bytes truncated to ${REPLY_BUFFER}`,
          );
        }
        return got.value;
      }
      if (got.errno !== "EAGAIN" && got.errno !== "EINTR") {
        const errno = got.errno ?? "E#0";
        throw new RtnetlinkError(
          `${what}: recv()`,
          errno,
          this.posix.strerror(errno),
        );
      }
      if (deadline.passed()) {
        throw new Error(`${what}: no ack within ${deadline.budgetMs} ms`);
      }
      this.posix.poll(
        [{ fd: this.fd, events: this.posix.table.constants.POLLIN }],
        deadline.remaining(),
      );
    }
  }

  #errnoName(number: number): Errno {
    return errnoName(this.posix.table, number);
  }
}
