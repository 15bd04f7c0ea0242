/**
 * A watcher and a peer on two hosts of their own: a pair of network
 * namespaces joined by a veth pair, made per trial through FFI alone (no
 * `ip` command), and the fates a dead peer can meet.
 *
 * **Unnamed namespaces.** `unshare(CLONE_NEWNET)` and `setns()` move the
 * calling thread only (a Deno worker, or the main thread, is one OS
 * thread), and a socket belongs for good to the namespace its creating
 * thread was in. The pair saves the thread's own namespace, unshares into
 * a new one for the watcher (W), keeps an fd of it, returns, does the
 * same for the peer (P), and returns again; every entry into W or P
 * returns in a `finally`. Nothing is named (no `/run/netns` bind mount):
 * a namespace lives only while an fd, a socket or a thread holds it, so
 * once the pair and its sockets are closed the kernel removes both
 * namespaces and the veth with them, even when the process was killed.
 *
 * **Addresses.** W's end, `esc-w`, is 192.0.2.1/24 with MAC
 * 02:00:00:00:00:01; P's end, `esc-p`, is 192.0.2.2/24 with MAC
 * 02:00:00:00:00:02. 192.0.2.0/24 is TEST-NET-1 (RFC 5737), for
 * documentation only: it exists only inside these namespaces, and nothing
 * sent to it can leave them. Each side holds a permanent neighbour entry
 * for the other (no ARP crosses the link, and it never expires during a
 * trial), and each end's IPv6 address generation is off (no link-local
 * address, so no IPv6 at all crosses the link).
 *
 * **Interface indexes** are asked for (101 for `esc-w`, 102 for `esc-p`),
 * then read back with `if_nametoindex()` inside each namespace, which is
 * what the pair reports. They must differ: the kernel applies a veth's
 * carrier change (and, the first time, attaches its queueing discipline;
 * until then every frame it transmits is dropped) in its link-watch work,
 * deferred up to a second unless the event is urgent, and it is urgent
 * for a device whose index differs from its peer's
 * (`net/core/link_watch.c`, `linkwatch_urgent_event`). Both would be 2
 * by default, one in each namespace, and a SYN sent at once was lost now
 * and then and resent a second later. Opening (and a reboot) also waits
 * until the kernel reports both ends operational (`IFLA_OPERSTATE` up, set
 * in that same work, under the same lock as `RTM_GETLINK`), so the first
 * segment of a trial always crosses.
 *
 * **Fates.** {@linkcode NamespacePair.vanish}: P's address is deleted, and
 * its connected route with it; a segment to 192.0.2.2 is then neither
 * local nor routable in P (which does not forward), so P drops it without
 * a word, not even ICMP. {@linkcode NamespacePair.reboot}: `esc-p` moves
 * into a fresh namespace P2, the old peer sockets are discarded inside the
 * old P (which now has no link, so their RST cannot leave), and P2 takes
 * the address back: a segment of the old connection then meets P2's RST.
 *
 * All configuration goes through rtnetlink (`ffi/linux/rtnetlink.ts`)
 * sockets created inside the namespace they configure; every request asks
 * for an ack, and a failure throws {@linkcode RtnetlinkError} naming the
 * request and errno (`RTM_NEWLINK veth: EPERM (Operation not permitted)`).
 *
 * @module
 */

import { hostPosix, type Posix } from "../../ffi/posix.ts";
import { LinuxNamespaces, namespaceInode } from "../../ffi/linux/namespaces.ts";
import {
  decodeLink,
  encodeAddress,
  encodeLinkGet,
  encodeLinkMove,
  encodeLinkUp,
  encodeNoIpv6Addresses,
  encodePermanentNeighbour,
  encodeVethCreate,
  IF_OPER_UP,
  RTM_DELADDR,
  RTM_NEWADDR,
  type VethEnd,
} from "../../ffi/linux/rtnetlink.ts";
import { Deadline } from "./deadline.ts";
import { RtnetlinkError, RtnetlinkSocket } from "./rtnetlink_socket.ts";

/** The watcher's address, on `esc-w` in W (RFC 5737 TEST-NET-1). */
export const WATCHER_ADDRESS = "192.0.2.1";
/** The peer's address, on `esc-p` in P (RFC 5737 TEST-NET-1). */
export const PEER_ADDRESS = "192.0.2.2";
/** Both addresses are in 192.0.2.0/24. */
export const PREFIX_LENGTH = 24;
/** W's end of the veth pair. */
export const WATCHER_LINK: VethEnd = {
  name: "esc-w",
  mac: "02:00:00:00:00:01",
  index: 101,
};
/** P's end of the veth pair. */
export const PEER_LINK: VethEnd = {
  name: "esc-p",
  mac: "02:00:00:00:00:02",
  index: 102,
};

/**
 * How long both ends may take to become operational: the kernel's
 * link-watch work runs at once for urgent events, within a second for
 * others.
 */
const LINK_UP_BUDGET_MS = 2000;

/** Why a pair could not be made here. */
export interface NamespacesUnavailable {
  readonly unavailable: string;
}

/** The inode numbers of a pair's namespaces, as `lsns -o NS` prints them. */
export interface NamespaceInodes {
  readonly watcher: number;
  readonly peer: number;
}

/** A failure that means "not here", turned into `unavailable` by open(). */
class Unavailable extends Error {}

/**
 * errnos of a netlink request that say the facility is missing or denied
 * rather than misused.
 */
const MISSING: readonly string[] = [
  "EPERM",
  "EACCES",
  "EOPNOTSUPP",
  "EAFNOSUPPORT",
  "EPROTONOSUPPORT",
];

/**
 * Two network namespaces, the watcher's (W) and the peer's (P), joined by
 * the veth pair `esc-w`–`esc-p`. Use it from the thread that opened it.
 *
 * @example
 * ```ts ignore
 * const pair = NamespacePair.open(hostPosix());
 * if ("unavailable" in pair) throw new Error(pair.unavailable);
 * try {
 *   const listener = pair.inPeer(() => posix.socket("inet").ret);
 *   // bind 192.0.2.2, listen; connect from pair.inWatcher(...)
 * } finally {
 *   pair.close();
 * }
 * ```
 */
export class NamespacePair {
  readonly #posix: Posix;
  readonly #ns: LinuxNamespaces;
  /** The thread's namespace when the pair was opened. */
  readonly #home: number;
  #watcher: number;
  #peer: number;
  /** The namespace fd the thread is in now. */
  #current: number;
  #watcherIndex = 0;
  #peerIndex = 0;
  #vanished = false;
  #closed = false;

  private constructor(
    posix: Posix,
    ns: LinuxNamespaces,
    home: number,
    watcher: number,
    peer: number,
  ) {
    this.#posix = posix;
    this.#ns = ns;
    this.#home = home;
    this.#watcher = watcher;
    this.#peer = peer;
    this.#current = home;
  }

  /**
   * Makes W and P, the veth pair between them and each side's address,
   * neighbour and link state. Without the privilege (namespaces need root:
   * CAP_SYS_ADMIN), on another OS, or on a kernel without veth, returns
   * why, in one sentence. Any failure releases everything already made.
   *
   * @throws {RtnetlinkError} or `Error` for a failure that is not about
   * privilege or a missing facility.
   */
  static open(
    posix: Posix = hostPosix(),
  ): NamespacePair | NamespacesUnavailable {
    if (Deno.build.os !== "linux") {
      return {
        unavailable: `network namespaces are Linux only, not ${Deno.build.os}`,
      };
    }
    let ns: LinuxNamespaces;
    try {
      ns = new LinuxNamespaces(posix);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotCapable)) throw e;
      return {
        unavailable: `network namespaces need --allow-ffi: ${e.message}`,
      };
    }
    const home = ns.openCurrent();
    if (home.ret < 0) {
      const errno = home.errno ?? "E#0";
      return {
        unavailable: `open(/proc/thread-self/ns/net) failed: ${errno} (${
          posix.strerror(errno)
        }), so this thread's network namespace cannot be kept`,
      };
    }
    // Into the namespace it is in: a no-op that needs what the rest needs
    // (CAP_SYS_ADMIN), tried before unshare(), which gVisor (runsc
    // 20221219) grants while refusing every setns() after it (EOPNOTSUPP):
    // the thread could never come back.
    const probe = ns.setNetwork(home.ret);
    if (probe.ret < 0) {
      posix.close(home.ret);
      const errno = probe.errno ?? "E#0";
      return {
        unavailable:
          `setns(CLONE_NEWNET) into this thread's own namespace failed: ${errno} (${
            posix.strerror(errno)
          }); ${
            errno === "EPERM"
              ? "network namespaces need root (CAP_SYS_ADMIN)"
              : "this system cannot move a thread between network namespaces"
          }`,
      };
    }
    const made: number[] = [];
    let pair: NamespacePair | null = null;
    try {
      made.push(fresh(posix, ns, home.ret));
      made.push(fresh(posix, ns, home.ret));
      pair = new NamespacePair(posix, ns, home.ret, made[0]!, made[1]!);
      pair.#link();
      return pair;
    } catch (e) {
      if (pair !== null) pair.close();
      else {
        for (const fd of made) posix.close(fd);
        posix.close(home.ret);
      }
      if (e instanceof Unavailable) return { unavailable: e.message };
      if (e instanceof RtnetlinkError && MISSING.includes(e.errno)) {
        return { unavailable: `${e.message}; ${missingWhat(e)}` };
      }
      throw e;
    }
  }

  /** `esc-w`'s interface index in W. */
  get watcherIndex(): number {
    return this.#watcherIndex;
  }

  /** `esc-p`'s interface index in P (it may change with a reboot). */
  get peerIndex(): number {
    return this.#peerIndex;
  }

  /** Whether {@linkcode close} has run. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Runs `fn` with the thread inside W and returns it to where it was,
   * whatever happens. Sockets `fn` creates belong to W for good. `fn` must
   * be synchronous: after an `await` the thread would be elsewhere.
   *
   * @throws {TypeError} when `fn` returned a promise.
   */
  inWatcher<T>(fn: () => T): T {
    return this.#enter(this.#open().#watcher, fn);
  }

  /** {@linkcode inWatcher} for P (after a reboot, the new P). */
  inPeer<T>(fn: () => T): T {
    return this.#enter(this.#open().#peer, fn);
  }

  /**
   * The peer's host drops every packet silently from now on: its address
   * (and with it its connected route) is deleted. Segments to 192.0.2.2
   * still reach P over the link, where they are neither local nor
   * routable, and P does not forward: no answer, not even ICMP.
   *
   * @throws {Error} when the peer has vanished already.
   */
  vanish(): void {
    this.#open();
    if (this.#vanished) {
      throw new Error("vanish(): the peer has vanished already");
    }
    this.inPeer(() =>
      RtnetlinkSocket.with(this.#posix, (rt) =>
        rt.request(
          `RTM_DELADDR ${PEER_ADDRESS}/${PREFIX_LENGTH}`,
          (seq) =>
            encodeAddress(RTM_DELADDR, {
              index: this.#peerIndex,
              address: PEER_ADDRESS,
              prefixLength: PREFIX_LENGTH,
            }, seq),
        ))
    );
    this.#vanished = true;
  }

  /**
   * The peer's host comes back without the connection: `esc-p` moves into
   * a fresh namespace P2 (down, its address, route and neighbour gone
   * with the move); `discard()` runs with the thread inside the old P,
   * which now has no link at all, so whatever its sockets send on
   * closing (an RST with SO_LINGER {1,0}) cannot leave; then P2 gets the
   * address, the link up and the neighbour entry, and becomes the peer.
   * The old P is released (it goes once its last socket closes).
   *
   * If `discard` throws, P2 is still made the peer, then the error is
   * rethrown.
   *
   * @throws {Error} when called from inside {@linkcode inWatcher} or
   * {@linkcode inPeer}.
   */
  reboot(discard: () => void): void {
    this.#open().#outside("reboot()");
    const next = fresh(this.#posix, this.#ns, this.#home);
    const old = this.#peer;
    try {
      this.inPeer(() =>
        RtnetlinkSocket.with(this.#posix, (rt) =>
          rt.request(
            `RTM_NEWLINK ${PEER_LINK.name} into a new namespace`,
            (seq) => encodeLinkMove(this.#peerIndex, next, seq),
          ))
      );
    } catch (e) {
      this.#posix.close(next);
      throw e;
    }
    let failed: { error: unknown } | null = null;
    try {
      this.#enter(old, discard);
    } catch (e) {
      failed = { error: e };
    }
    this.#peer = next;
    this.#posix.close(old);
    this.#vanished = false;
    this.#configurePeer();
    if (failed !== null) throw failed.error;
  }

  /**
   * The inode numbers of W and P (`net:[N]` of their fds), as
   * `lsns -t net -o NS` prints them.
   */
  namespaceInodes(): NamespaceInodes {
    this.#open();
    return {
      watcher: this.#inode(this.#watcher),
      peer: this.#inode(this.#peer),
    };
  }

  /**
   * The fds of W and P, for a caller that must hand a namespace to the
   * kernel itself (`IFLA_NET_NS_FD`, `nsenter --net=/proc/PID/fd/N`).
   * They stay the pair's: do not close them.
   */
  namespaceFds(): { watcher: number; peer: number } {
    this.#open();
    return { watcher: this.#watcher, peer: this.#peer };
  }

  /**
   * Closes every namespace fd the pair holds; idempotent. The namespaces
   * go once no socket holds them either (the kernel removes them
   * asynchronously, with their veth). A socket closed with data still
   * unacknowledged lives on as an orphan, resending, and holds its
   * namespace until it gives up (minutes, after a vanish): close such a
   * socket with SO_LINGER {1, 0}.
   *
   * @throws {Error} when called from inside {@linkcode inWatcher} or
   * {@linkcode inPeer}.
   */
  close(): void {
    if (this.#closed) return;
    this.#outside("close()");
    this.#closed = true;
    for (const fd of [this.#watcher, this.#peer, this.#home]) {
      this.#posix.close(fd);
    }
  }

  #open(): this {
    if (this.#closed) throw new Error("NamespacePair: closed");
    return this;
  }

  /** Throws unless the thread is in its own namespace (not inside W or P). */
  #outside(what: string): void {
    if (this.#current !== this.#home) {
      throw new Error(
        `${what}: the thread is inside one of the pair's namespaces`,
      );
    }
  }

  #inode(fd: number): number {
    const link = this.#ns.describe(fd);
    const inode = link.value === null ? null : namespaceInode(link.value);
    if (inode === null) {
      throw new Error(
        `readlink(/proc/self/fd/${fd}): ${link.errno ?? link.value}`,
      );
    }
    return inode;
  }

  /** Runs `fn` inside namespace `fd`, then returns to where the thread was. */
  #enter<T>(fd: number, fn: () => T): T {
    const back = this.#current;
    switchTo(this.#posix, this.#ns, fd, "the pair's namespace");
    this.#current = fd;
    try {
      const result = fn();
      if (result instanceof Promise) {
        result.catch(() => {});
        throw new TypeError(
          "NamespacePair: fn returned a promise; it must be synchronous",
        );
      }
      return result;
    } finally {
      switchTo(this.#posix, this.#ns, back, "the namespace it came from");
      this.#current = back;
    }
  }

  /** Creates the veth pair from W and configures both ends. */
  #link(): void {
    this.inWatcher(() =>
      RtnetlinkSocket.with(this.#posix, (rt) => {
        rt.request(
          "RTM_NEWLINK veth",
          (seq) => encodeVethCreate(WATCHER_LINK, PEER_LINK, this.#peer, seq),
        );
        this.#watcherIndex = indexOf(this.#posix, WATCHER_LINK.name);
        configure(rt, this.#watcherIndex, {
          address: WATCHER_ADDRESS,
          neighbour: PEER_ADDRESS,
          neighbourMac: PEER_LINK.mac,
        });
      })
    );
    this.#configurePeer();
  }

  /** Waits until the kernel reports both ends operational. */
  #waitUp(): void {
    const deadline = new Deadline(LINK_UP_BUDGET_MS);
    this.inWatcher(() =>
      waitOperational(this.#posix, this.#watcherIndex, WATCHER_LINK, deadline)
    );
    this.inPeer(() =>
      waitOperational(this.#posix, this.#peerIndex, PEER_LINK, deadline)
    );
  }

  /** Address, IPv6 off, neighbour and link up on `esc-p`, from inside P. */
  #configurePeer(): void {
    this.inPeer(() =>
      RtnetlinkSocket.with(this.#posix, (rt) => {
        this.#peerIndex = indexOf(this.#posix, PEER_LINK.name);
        configure(rt, this.#peerIndex, {
          address: PEER_ADDRESS,
          neighbour: WATCHER_ADDRESS,
          neighbourMac: WATCHER_LINK.mac,
        });
      })
    );
    this.#waitUp();
  }
}

/**
 * Makes a new namespace and returns an fd of it, the thread back in
 * `home`: unshare, open, setns.
 *
 * @throws {Unavailable} when unshare or the open fails.
 */
function fresh(posix: Posix, ns: LinuxNamespaces, home: number): number {
  const unshared = ns.unshareNetwork();
  if (unshared.ret < 0) {
    const errno = unshared.errno ?? "E#0";
    throw new Unavailable(
      `unshare(CLONE_NEWNET) failed: ${errno} (${posix.strerror(errno)}); ${
        errno === "EPERM"
          ? "network namespaces need root (CAP_SYS_ADMIN)"
          : "network namespaces need root (CAP_SYS_ADMIN) and a kernel with CONFIG_NET_NS"
      }`,
    );
  }
  try {
    const opened = ns.openCurrent();
    if (opened.ret < 0) {
      const errno = opened.errno ?? "E#0";
      throw new Unavailable(
        `open(/proc/thread-self/ns/net) in a new namespace failed: ${errno} (${
          posix.strerror(errno)
        }), so it cannot be kept`,
      );
    }
    return opened.ret;
  } finally {
    switchTo(posix, ns, home, "its own namespace");
  }
}

/**
 * `setns(fd, CLONE_NEWNET)`, or an Error: a thread that cannot go back
 * is stranded, which no caller can recover from.
 */
function switchTo(
  posix: Posix,
  ns: LinuxNamespaces,
  fd: number,
  where: string,
): void {
  const out = ns.setNetwork(fd);
  if (out.ret >= 0) return;
  const errno = out.errno ?? "E#0";
  throw new Error(
    `setns() into ${where} failed: ${errno} (${posix.strerror(errno)})`,
  );
}

/** `if_nametoindex(name)` in the thread's namespace, or an Error. */
function indexOf(posix: Posix, name: string): number {
  const index = posix.ifNameToIndex(name);
  if (index === null) {
    throw new Error(`if_nametoindex(${name}) found no such interface`);
  }
  return index;
}

/**
 * One end's configuration, in order: IPv6 address generation off (before
 * the link is up, so no link-local address is ever made), the address,
 * the permanent neighbour, the link up. A kernel without IPv6 refuses the
 * first with EAFNOSUPPORT: then there is no IPv6 to silence.
 */
function configure(
  rt: RtnetlinkSocket,
  index: number,
  end: { address: string; neighbour: string; neighbourMac: string },
): void {
  try {
    rt.request(
      "RTM_NEWLINK addrgenmode none",
      (seq) => encodeNoIpv6Addresses(index, seq),
    );
  } catch (e) {
    if (!(e instanceof RtnetlinkError) || e.errno !== "EAFNOSUPPORT") throw e;
  }
  rt.request(
    `RTM_NEWADDR ${end.address}/${PREFIX_LENGTH}`,
    (seq) =>
      encodeAddress(RTM_NEWADDR, {
        index,
        address: end.address,
        prefixLength: PREFIX_LENGTH,
      }, seq),
  );
  rt.request(
    `RTM_NEWNEIGH ${end.neighbour}`,
    (seq) =>
      encodePermanentNeighbour({
        index,
        address: end.neighbour,
        mac: end.neighbourMac,
      }, seq),
  );
  rt.request("RTM_NEWLINK up", (seq) => encodeLinkUp(index, true, seq));
}

/**
 * Polls `RTM_GETLINK` for link `index` (in the thread's namespace) until
 * its operational state is up.
 *
 * @throws {Error} at the deadline, naming the state last seen.
 */
function waitOperational(
  posix: Posix,
  index: number,
  end: VethEnd,
  deadline: Deadline,
): void {
  RtnetlinkSocket.with(posix, (rt) => {
    for (;;) {
      const [reply] = rt.query(
        `RTM_GETLINK ${end.name}`,
        (seq) => encodeLinkGet(index, seq),
      );
      const state = reply === undefined ? null : decodeLink(reply).operstate;
      if (state === IF_OPER_UP) return;
      if (deadline.passed()) {
        throw new Error(
          `${end.name} is not operational after ${deadline.budgetMs} ms (IFLA_OPERSTATE ${state})`,
        );
      }
      posix.poll([], 1);
    }
  });
}

/** What a refused netlink request says is missing. */
function missingWhat(e: RtnetlinkError): string {
  if (e.errno === "EPERM" || e.errno === "EACCES") {
    return "configuring network namespaces needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN)";
  }
  if (e.request === "RTM_NEWLINK veth") {
    return "this kernel cannot make veth pairs (CONFIG_VETH, module veth)";
  }
  return "this kernel lacks what the namespace pair needs";
}
