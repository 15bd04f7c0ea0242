/**
 * The wire tap trials use on Linux: an AF_PACKET `SOCK_RAW` socket bound to
 * the loopback interface, read through FFI. A classic BPF filter keeps only
 * TCP over IPv4/IPv6 and only the arriving copy of each loopback packet, so
 * the kernel queues once what tcpdump would show once; the decoder drops
 * outgoing copies again should the filter be missing. The receive buffer is
 * enlarged so a burst never overflows it, and the kernel's drop counter is
 * read so a loss would be reported rather than hidden.
 *
 * The socket is non-blocking; frames are read when a trial asks (reset,
 * quiet wait, segments), and every wait is a `poll()` with a deadline.
 * Opening it without CAP_NET_RAW, or on another OS, returns the reason
 * instead of a tap.
 *
 * @module
 */

import {
  type BpfInstruction,
  encodeFprog,
  encodeProgram,
  jumpIfEqual,
  load,
  loadHeaderLength,
  loadIndirect,
  ret,
  SKF_AD_OFF,
  SKF_AD_PKTTYPE,
  SO_ATTACH_FILTER,
} from "../../ffi/linux/bpf.ts";
import {
  AF_PACKET,
  decodeSockaddrLl,
  encodeSockaddrLl,
  ETH_HLEN,
  ETH_P_ALL,
  ETH_P_IP,
  ETH_P_IPV6,
  htons,
  loopbackIfindex,
  PACKET_HOST,
  PACKET_STATISTICS,
  SO_RCVBUFFORCE,
  SOCK_RAW,
  SOCKADDR_LL_SIZE,
  SOL_PACKET,
  TPACKET_STATS_SIZE,
} from "../../ffi/linux/packet.ts";
import { LinuxFiles } from "../../ffi/linux/files.ts";
import type { Posix } from "../../ffi/posix.ts";
import { Deadline, DeadlineExceeded } from "../net/deadline.ts";
import { waitWritable } from "../net/wait.ts";
import type { SocketAddress } from "../../ffi/sockaddr.ts";
import type { Endpoints } from "../net/endpoints.ts";
import { connectionFrames, type Frame, type Segment } from "./segments.ts";

/** A packet capture a trial can use; {@linkcode LoopbackCapture} is one. */
export interface WireTap {
  /** Forgets everything captured so far (before a trial starts). */
  reset(): void;
  /**
   * Returns once no frame arrived for `quietMs` (only frames between
   * `endpoints` count when they are given), or throws at the deadline.
   */
  waitQuiet(quietMs: number, deadline: Deadline, endpoints?: Endpoints): void;
  /** The segments between `endpoints` since the last reset, in order. */
  segments(endpoints: Endpoints): Segment[];
  /**
   * From now on, keeps only segments to or from `port` (a trial's
   * listener: every segment of its connection has it on one side), and
   * forgets what was queued before. Concurrent trials each focus their own
   * capture, so none reads the others' frames.
   */
  focus?(port: number): void;
  /** The frames the segments between `endpoints` came from (pcap files). */
  frames?(endpoints: Endpoints): Frame[];
}

/** How long a new capture waits for the kernel to stamp packets. */
const STAMPS_DEADLINE_MS = 500;
/** Receive buffer asked for: thousands of small loopback frames. */
export const CAPTURE_RCVBUF = 16 * 1024 * 1024;
/** Largest frame read whole: loopback's MTU (65536) plus Ethernet. */
const FRAME_BUFFER = 65536 + ETH_HLEN;
/** What the filter keeps of an accepted frame (tcpdump's snaplen). */
const SNAPLEN = 262144;

const IPPROTO_TCP = 6;

/**
 * The kernel-side filter: accept PACKET_HOST frames carrying TCP over IPv4
 * (protocol byte at 14 + 9) or IPv6 (next header at 14 + 6, no extension
 * headers); drop everything else. Jump offsets count from the next
 * instruction.
 */
export const LOOPBACK_TCP_FILTER = [
  /* 0 */ load("W", SKF_AD_OFF + SKF_AD_PKTTYPE),
  /* 1 */ jumpIfEqual(PACKET_HOST, 0, 8), // else drop (10)
  /* 2 */ load("H", 12), // EtherType
  /* 3 */ jumpIfEqual(ETH_P_IP, 0, 2), // else try IPv6 (6)
  /* 4 */ load("B", ETH_HLEN + 9),
  /* 5 */ jumpIfEqual(IPPROTO_TCP, 3, 4), // accept (9) or drop (10)
  /* 6 */ jumpIfEqual(ETH_P_IPV6, 0, 3), // else drop (10)
  /* 7 */ load("B", ETH_HLEN + 6),
  /* 8 */ jumpIfEqual(IPPROTO_TCP, 0, 1), // accept (9) or drop (10)
  /* 9 */ ret(SNAPLEN),
  /* 10 */ ret(0),
] as const;

/**
 * {@linkcode LOOPBACK_TCP_FILTER} narrowed to segments whose source or
 * destination port is `port`: over IPv4 the TCP header starts after the
 * IP header's own length (`ldxb 4*([14]&0xf)`), over IPv6 (no extension
 * headers, as above) 40 bytes in.
 */
export function portFilter(port: number) {
  const v4 = ETH_HLEN;
  const v6 = ETH_HLEN + 40;
  return [
    /* 0 */ load("W", SKF_AD_OFF + SKF_AD_PKTTYPE),
    /* 1 */ jumpIfEqual(PACKET_HOST, 0, 17), // else drop (19)
    /* 2 */ load("H", 12), // EtherType
    /* 3 */ jumpIfEqual(ETH_P_IP, 0, 7), // else try IPv6 (11)
    /* 4 */ load("B", v4 + 9),
    /* 5 */ jumpIfEqual(IPPROTO_TCP, 0, 13), // else drop (19)
    /* 6 */ loadHeaderLength(v4),
    /* 7 */ loadIndirect("H", v4), // source port
    /* 8 */ jumpIfEqual(port, 9, 0), // accept (18)
    /* 9 */ loadIndirect("H", v4 + 2), // destination port
    /* 10 */ jumpIfEqual(port, 7, 8), // accept (18) or drop (19)
    /* 11 */ jumpIfEqual(ETH_P_IPV6, 0, 7), // else drop (19)
    /* 12 */ load("B", ETH_HLEN + 6),
    /* 13 */ jumpIfEqual(IPPROTO_TCP, 0, 5), // else drop (19)
    /* 14 */ load("H", v6), // source port
    /* 15 */ jumpIfEqual(port, 2, 0), // accept (18)
    /* 16 */ load("H", v6 + 2), // destination port
    /* 17 */ jumpIfEqual(port, 0, 1), // accept (18) or drop (19)
    /* 18 */ ret(SNAPLEN),
    /* 19 */ ret(0),
  ] as const;
}

/** Why a capture could not be opened. */
export interface CaptureUnavailable {
  readonly unavailable: string;
}

/** An interface other than `lo` to capture on, from a socket made there. */
export interface LinkInterface {
  readonly name: string;
  readonly ifindex: number;
  /**
   * Whether the kernel's packet stamps are known to be on (another capture
   * of this process found them real and is still open): the stamp probe
   * needs loopback, which the link's namespace may not have up.
   */
  readonly kernelStamps: boolean;
}

/**
 * A packet capture on the loopback interface, or on one link of a trial's
 * own (a veth in a namespace: {@linkcode LoopbackCapture.openLink}).
 */
export class LoopbackCapture implements WireTap {
  readonly #posix: Posix;
  readonly #fd: number;
  readonly #ifindex: number;
  /** Whether frames come from `lo`, which shows each packet twice. */
  #loopback = true;
  readonly #buffer = new Uint8Array(FRAME_BUFFER);
  readonly #from = new Uint8Array(SOCKADDR_LL_SIZE);
  readonly #files: LinuxFiles;
  #frames: Frame[] = [];
  #dropped = 0;
  #closed = false;
  /** Until the probe at opening has said whether the kernel stamps. */
  #stamps: "probing" | "kernel" | "none" = "probing";

  private constructor(posix: Posix, fd: number, ifindex: number) {
    this.#posix = posix;
    this.#fd = fd;
    this.#ifindex = ifindex;
    this.#files = new LinuxFiles(posix);
    // Turns the kernel's packet stamps on (see #awaitKernelStamps).
    this.#files.packetStampMicros(fd);
  }

  /**
   * Whether frames carry the kernel's own stamp (`Frame.timeUs`). Without
   * it they carry no time at all: a time of reading would misplace them.
   */
  get kernelStamps(): boolean {
    return this.#stamps === "kernel";
  }

  /**
   * Opens a capture on `lo`, or says why it cannot: another OS, no loopback
   * interface, or no privilege (EPERM without CAP_NET_RAW).
   */
  static open(posix: Posix): LoopbackCapture | CaptureUnavailable {
    if (Deno.build.os !== "linux") {
      return {
        unavailable:
          `capture is implemented on Linux only (AF_PACKET), not ${Deno.build.os}`,
      };
    }
    const ifindex = loopbackIfindex(posix);
    if (ifindex === null) {
      return { unavailable: "no loopback interface named lo" };
    }
    const opened = packetSocket(posix, "");
    if ("unavailable" in opened) return opened;
    const fd = opened.fd;
    const c = posix.table.constants;
    // Past net.core.rmem_max with CAP_NET_ADMIN; else as much as it allows.
    if (
      posix.setIntOption(fd, c.SOL_SOCKET, SO_RCVBUFFORCE, CAPTURE_RCVBUF).ret <
        0
    ) {
      posix.setIntOption(fd, c.SOL_SOCKET, c.SO_RCVBUF, CAPTURE_RCVBUF);
    }
    // Without the filter the decoder still drops outgoing copies and non-TCP.
    attachFilter(posix, fd, LOOPBACK_TCP_FILTER);
    const bound = posix.rawBind(
      fd,
      encodeSockaddrLl({ protocol: ETH_P_ALL, ifindex }),
    );
    if (bound.ret < 0) {
      posix.close(fd);
      return {
        unavailable: `bind() to lo failed: ${bound.errno} (${
          posix.strerror(bound.errno ?? "")
        })`,
      };
    }
    const capture = new LoopbackCapture(posix, fd, ifindex);
    capture.#stamps = capture.#awaitKernelStamps(
        new Deadline(STAMPS_DEADLINE_MS),
      )
      ? "kernel"
      : "none";
    capture.reset();
    return capture;
  }

  /**
   * Opens a capture on `link`, an interface of the calling thread's
   * network namespace that carries one trial's connection and nothing
   * else: every frame is kept, leaving and arriving alike (each packet is
   * seen once there), and the decoder leaves out what is not TCP. Says
   * why where it cannot.
   */
  static openLink(
    posix: Posix,
    link: LinkInterface,
  ): LoopbackCapture | CaptureUnavailable {
    if (Deno.build.os !== "linux") {
      return {
        unavailable:
          `capture is implemented on Linux only (AF_PACKET), not ${Deno.build.os}`,
      };
    }
    const opened = packetSocket(posix, ` on ${link.name}`);
    if ("unavailable" in opened) return opened;
    const fd = opened.fd;
    const bound = posix.rawBind(
      fd,
      encodeSockaddrLl({ protocol: ETH_P_ALL, ifindex: link.ifindex }),
    );
    if (bound.ret < 0) {
      posix.close(fd);
      return {
        unavailable: `bind() to ${link.name} failed: ${bound.errno} (${
          posix.strerror(bound.errno ?? "")
        })`,
      };
    }
    const capture = new LoopbackCapture(posix, fd, link.ifindex);
    capture.#loopback = false;
    capture.#stamps = link.kernelStamps ? "kernel" : "none";
    capture.reset();
    return capture;
  }

  /**
   * Waits until the kernel stamps packets, and says whether it does.
   *
   * The first socket to ask for stamps only schedules the switch that
   * turns them on (net/core/dev.c `net_enable_timestamp()` defers it to a
   * workqueue while no one else wants stamps), and until then a packet
   * carries none: SIOCGSTAMPNS then answers with the time of the ioctl
   * (net/core/sock.c `sock_gettstamp()`). So a probe SYN is sent to a
   * bound, non-listening loopback port, answered with RST, and once the
   * RST has arrived (the connect fails) the realtime clock is read: a
   * kernel stamp lies before that reading, a time of reading after it.
   * Probes repeat, 1 ms apart, until the stamps are real or the deadline;
   * a stack where SIOCGSTAMPNS fails (gVisor) is given up at once.
   */
  #awaitKernelStamps(deadline: Deadline): boolean {
    const posix = this.#posix;
    const family = "inet" as const;
    const target = posix.socket(family);
    if (target.ret < 0) return false;
    try {
      const address = { family, address: "127.0.0.1", port: 0 };
      if (posix.bind(target.ret, address).ret < 0) return false;
      const port = posix.getsockname(target.ret).value?.port;
      if (port === undefined) return false;
      this.focus(port);
      for (;;) {
        const arrived = this.#probe({ ...address, port }, deadline);
        if (arrived === null) return false;
        this.#drain();
        const stamps = this.#frames.map((f) => f.timeUs);
        this.#frames = [];
        // A stack without SIOCGSTAMPNS (gVisor) never will.
        if (stamps.some((t) => t === undefined)) return false;
        if (stamps.length > 0 && stamps.every((t) => t! < arrived)) return true;
        if (deadline.passed()) return false;
        posix.poll([], 1);
      }
    } finally {
      posix.close(target.ret);
      // Back to every loopback TCP segment, as open() attached it.
      attachFilter(posix, this.#fd, LOOPBACK_TCP_FILTER);
    }
  }

  /**
   * Connects to `address` (not listening) and waits for the refusal;
   * returns the realtime clock in µs once it came, or null on a failure.
   */
  #probe(address: SocketAddress, deadline: Deadline): number | null {
    const posix = this.#posix;
    const client = posix.socket(address.family);
    if (client.ret < 0) return null;
    try {
      const out = posix.connect(client.ret, address);
      if (out.ret === 0 || out.errno !== "EINPROGRESS") return null;
      try {
        waitWritable(posix, client.ret, "stamp probe", deadline);
      } catch {
        return null;
      }
      return posix.soError(client.ret).value === "ECONNREFUSED"
        ? this.#files.realtimeMicros()
        : null;
    } finally {
      posix.close(client.ret);
    }
  }

  /**
   * Keeps only segments to or from `port` from now on ({@linkcode portFilter})
   * and forgets everything read or queued so far. Where the filter cannot
   * be attached, every TCP frame is still read and sorted by endpoints.
   */
  focus(port: number): void {
    // A trial's own link carries nothing else, and the loopback filter
    // would drop its leaving frames.
    if (this.#loopback) attachFilter(this.#posix, this.#fd, portFilter(port));
    this.reset();
  }

  /** Frames the kernel dropped for want of buffer space, since opening. */
  get dropped(): number {
    this.#readStatistics();
    return this.#dropped;
  }

  /** Forgets every frame read or queued so far. */
  reset(): void {
    this.#drain();
    this.#frames = [];
  }

  /**
   * Returns once no frame (of the connection between `endpoints`, when
   * given) arrived for `quietMs`.
   *
   * @throws {DeadlineExceeded} when frames keep coming past the deadline.
   */
  waitQuiet(quietMs: number, deadline: Deadline, endpoints?: Endpoints): void {
    const c = this.#posix.table.constants;
    let lastSeen = performance.now();
    for (;;) {
      const before = this.#frames.length;
      this.#drain();
      const fresh = this.#frames.slice(before);
      if (
        fresh.length > 0 &&
        (endpoints === undefined ||
          connectionFrames(fresh, endpoints, this.#loopback).length > 0)
      ) {
        lastSeen = performance.now();
      }
      const quietFor = performance.now() - lastSeen;
      if (quietFor >= quietMs) return;
      if (deadline.passed()) {
        throw new DeadlineExceeded(
          "wire: waiting for quiet",
          deadline.budgetMs,
        );
      }
      const out = this.#posix.poll(
        [{ fd: this.#fd, events: c.POLLIN }],
        Math.min(quietMs - quietFor, deadline.remaining()),
      );
      if (out.errno !== null && out.errno !== "EINTR") {
        throw new Error(`wire: poll() failed: ${out.errno}`);
      }
    }
  }

  /** The segments between `endpoints` since the last reset, in order. */
  segments(endpoints: Endpoints): Segment[] {
    this.#drain();
    return connectionFrames(this.#frames, endpoints, this.#loopback).map((f) =>
      f.segment
    );
  }

  /**
   * The frames between `endpoints` read since the last reset (for pcap
   * files). Reads nothing new, so after {@linkcode segments} it returns
   * exactly the frames those segments came from.
   */
  frames(endpoints: Endpoints): Frame[] {
    return connectionFrames(this.#frames, endpoints, this.#loopback).map((f) =>
      f.frame
    );
  }

  /** Closes the packet socket; later calls find nothing. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#posix.close(this.#fd);
  }

  /** Reads every queued frame of `lo` into the trial's list. */
  #drain(): void {
    if (this.#closed) return;
    for (;;) {
      const out = this.#posix.recvfrom(this.#fd, this.#buffer, this.#from);
      if (out.ret < 0) {
        if (out.errno === "EINTR") continue;
        return; // EAGAIN: nothing left
      }
      const sll = decodeSockaddrLl(this.#from);
      // Frames queued between socket() and bind() may come from elsewhere.
      if (sll.ifindex !== this.#ifindex) continue;
      // When the kernel stamped it (SIOCGSTAMPNS, on the realtime clock),
      // once #awaitKernelStamps has found the stamps real.
      const stamp = this.#stamps === "none"
        ? null
        : this.#files.packetStampMicros(this.#fd);
      this.#frames.push({
        bytes: this.#buffer.slice(0, out.ret),
        ...(stamp === null ? {} : { timeUs: stamp }),
        pkttype: sll.pkttype,
      });
    }
  }

  /** Adds the kernel's drop count (reset by every read) to the total. */
  #readStatistics(): void {
    if (this.#closed) return;
    const stats = new Uint8Array(TPACKET_STATS_SIZE);
    const out = this.#posix.getRawOption(
      this.#fd,
      SOL_PACKET,
      PACKET_STATISTICS,
      stats,
    );
    if (out.ret === 0) {
      this.#dropped += new DataView(stats.buffer).getUint32(4, true);
    }
  }
}

/**
 * A non-blocking AF_PACKET socket for every protocol, or why not (`where`
 * goes after the call's name: ` on esc-w`).
 */
function packetSocket(
  posix: Posix,
  where: string,
): { fd: number } | CaptureUnavailable {
  const c = posix.table.constants;
  const flags = (c.SOCK_NONBLOCK ?? 0) | (c.SOCK_CLOEXEC ?? 0);
  const opened = posix.rawSocket(AF_PACKET, SOCK_RAW | flags, htons(ETH_P_ALL));
  if (opened.ret >= 0) return { fd: opened.ret };
  const errno = opened.errno ?? "unknown error";
  const hint = errno === "EPERM" || errno === "EACCES"
    ? "; capturing needs CAP_NET_RAW (run as root)"
    : "";
  return {
    unavailable: `socket(AF_PACKET, SOCK_RAW)${where} failed: ${errno} (${
      posix.strerror(errno)
    })${hint}`,
  };
}

/** Replaces the socket's filter with `program`; says whether it took. */
function attachFilter(
  posix: Posix,
  fd: number,
  program: readonly BpfInstruction[],
): boolean {
  return posix.setRawOption(
    fd,
    posix.table.constants.SOL_SOCKET,
    SO_ATTACH_FILTER,
    encodeFprog(encodeProgram(program)),
  ).ret === 0;
}

/** Opens a loopback capture where the OS and privileges allow. */
export function openCapture(
  posix: Posix,
): LoopbackCapture | CaptureUnavailable {
  return LoopbackCapture.open(posix);
}
