import assert from "node:assert/strict";
import { hostPosix, unwrap } from "../../ffi/posix.ts";
import {
  AF_PACKET,
  encodeSockaddrLl,
  ETH_HLEN,
  ETH_P_ALL,
  ETH_P_IP,
  htons,
  PACKET_OUTGOING,
  SOCK_RAW,
} from "../../ffi/linux/packet.ts";
import { LinuxNamespaces } from "../../ffi/linux/namespaces.ts";
import {
  decodeNsid,
  encodeAddress,
  encodeNsidAssign,
  encodeNsidDump,
  encodeVethCreate,
  RTM_NEWADDR,
} from "../../ffi/linux/rtnetlink.ts";
import { Deadline } from "./deadline.ts";
import { waitFor, waitReadable, waitWritable } from "./wait.ts";
import {
  NamespacePair,
  PEER_ADDRESS,
  PEER_LINK,
  WATCHER_ADDRESS,
  WATCHER_LINK,
} from "./namespaces.ts";
import { RtnetlinkError, RtnetlinkSocket } from "./rtnetlink_socket.ts";
import { openFdCount } from "../testing/fds.ts";
import { printedAsNobody } from "../testing/unprivileged.ts";

const posix = hostPosix();
const linux = Deno.build.os === "linux";
const c = posix.table.constants;

/** Why this process cannot make a pair, or `null` when it can. */
function pairMissing(): string | null {
  if (!linux) return `not Linux (${Deno.build.os})`;
  const probe = NamespacePair.open(posix);
  if ("unavailable" in probe) return probe.unavailable;
  probe.close();
  return null;
}

const noPair = pairMissing();
if (noPair) console.warn(`namespace pair tests skipped: ${noPair}`);

/** Budget of each wait for an event that should come at once. */
const WAIT_MS = 3000;
/** How long a vanished peer must stay silent. */
const SILENCE_MS = 300;

/** Opens a pair or fails the test with the reason. */
function openPair(): NamespacePair {
  const pair = NamespacePair.open(posix);
  if ("unavailable" in pair) throw new Error(pair.unavailable);
  return pair;
}

/** Runs `fn` with a pair, closing it (and `fds`) whatever happens. */
function withPair<T>(fn: (pair: NamespacePair, fds: number[]) => T): T {
  const pair = openPair();
  const fds: number[] = [];
  try {
    return fn(pair, fds);
  } finally {
    for (const fd of fds) posix.close(fd);
    pair.close();
  }
}

/** Closes `fd` and forgets it in `fds`. */
function closeFd(fds: number[], fd: number): void {
  const at = fds.indexOf(fd);
  if (at >= 0) fds.splice(at, 1);
  posix.close(fd);
}

/**
 * A TCP connection from W (client) to a listener in P on 192.0.2.2, made
 * as `lib/net/loopback.ts` makes them (non-blocking connect, poll, SO_ERROR,
 * accept); the listener is closed. The sockets are pushed to `fds`.
 */
function connectAcross(pair: NamespacePair, fds: number[]) {
  const deadline = new Deadline(WAIT_MS);
  const listener = pair.inPeer(() =>
    unwrap(posix, "socket", posix.socket("inet"))
  );
  fds.push(listener);
  const peer = { family: "inet", address: PEER_ADDRESS, port: 0 } as const;
  unwrap(posix, "bind", posix.bind(listener, peer));
  unwrap(posix, "listen", posix.listen(listener, 1));
  const server = posix.getsockname(listener).value!;
  const client = pair.inWatcher(() =>
    unwrap(posix, "socket", posix.socket("inet"))
  );
  fds.push(client);
  const connecting = posix.connect(client, server);
  assert.equal(connecting.errno, "EINPROGRESS");
  waitWritable(posix, client, "connect", deadline);
  assert.equal(posix.soError(client).value, null);
  // The link was up when open() returned: the first SYN crossed.
  assert.equal(tcpInfoU32(client, TCPI_TOTAL_RETRANS), 0, "no SYN resent");
  waitReadable(posix, listener, "accept", deadline);
  const accepted = unwrap(posix, "accept", posix.accept(listener));
  fds.push(accepted);
  closeFd(fds, listener);
  return { client, server: accepted, port: server.port };
}

/** One frame a tap saw, decoded as far as the tests need. */
interface SeenFrame {
  /** Sent by the tap's own namespace (`PACKET_OUTGOING`). */
  readonly outgoing: boolean;
  /** Source MAC, `02:00:00:00:00:01`. */
  readonly source: string;
  /** TCP flags as tcpdump writes them (`S`, `P.`, `R.`), or `null`. */
  readonly tcp: string | null;
}

/**
 * An AF_PACKET socket made inside one of the pair's namespaces, on one of
 * its interfaces (or all, with `ifindex` 0): every frame sent or received
 * there, from the moment it is bound.
 */
class Tap {
  private constructor(readonly fd: number) {}

  static open(
    enter: <T>(fn: () => T) => T,
    ifindex: number,
    fds: number[],
  ): Tap {
    const flags = (c.SOCK_NONBLOCK ?? 0) | (c.SOCK_CLOEXEC ?? 0);
    const fd = enter(() =>
      unwrap(
        posix,
        "socket(AF_PACKET)",
        posix.rawSocket(AF_PACKET, SOCK_RAW | flags, htons(ETH_P_ALL)),
      )
    );
    fds.push(fd);
    unwrap(
      posix,
      "bind(AF_PACKET)",
      posix.rawBind(fd, encodeSockaddrLl({ protocol: ETH_P_ALL, ifindex })),
    );
    return new Tap(fd);
  }

  /** The frames queued since the last call. */
  drain(): SeenFrame[] {
    const out: SeenFrame[] = [];
    const buf = new Uint8Array(2048);
    const from = new Uint8Array(20);
    for (;;) {
      const got = posix.recvfrom(this.fd, buf, from);
      if (got.ret < 0) {
        assert.equal(got.errno, "EAGAIN");
        return out;
      }
      const frame = buf.subarray(0, got.ret);
      out.push({
        outgoing: from[10] === PACKET_OUTGOING, // sll_pkttype
        source: [...frame.subarray(6, 12)]
          .map((b) => b.toString(16).padStart(2, "0")).join(":"),
        tcp: tcpFlags(frame),
      });
    }
  }
}

/** tcpdump's flag letters of an IPv4 TCP frame, `null` for anything else. */
function tcpFlags(frame: Uint8Array): string | null {
  if (frame.byteLength < ETH_HLEN + 20) return null;
  if (((frame[12]! << 8) | frame[13]!) !== ETH_P_IP) return null;
  if (frame[ETH_HLEN + 9] !== 6) return null;
  const tcp = ETH_HLEN + (frame[ETH_HLEN]! & 0xf) * 4;
  const bits = frame[tcp + 13] ?? 0;
  const letters = [[0x02, "S"], [0x01, "F"], [0x04, "R"], [0x08, "P"]] as const;
  const text = letters.filter(([b]) => bits & b).map(([, l]) => l).join("");
  return text + (bits & 0x10 ? "." : "");
}

/** Sends `text` from `fd`, all of it. */
function sendAll(fd: number, text: string): void {
  const bytes = new TextEncoder().encode(text);
  assert.equal(unwrap(posix, "send", posix.send(fd, bytes)), bytes.byteLength);
}

/** Offsets in `struct tcp_info` (`linux/tcp.h`, checked with offsetof). */
const TCPI_UNACKED = 24;
const TCPI_TOTAL_RETRANS = 100;

/** A `__u32` field of `fd`'s `struct tcp_info`. */
function tcpInfoU32(fd: number, offset: number): number {
  const info = new Uint8Array(256);
  const option = c.TCP_STATE_OPTION!.value;
  unwrap(
    posix,
    "getsockopt(TCP_INFO)",
    posix.getRawOption(fd, c.IPPROTO_TCP, option, info),
  );
  return new DataView(info.buffer).getUint32(offset, true);
}

/** Runs a command (synchronously, in the thread's namespace); its stdout. */
function run(command: string, ...args: string[]): string {
  const out = new Deno.Command(command, { args, stderr: "piped" })
    .outputSync();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout);
}

Deno.test({
  name:
    "a connection from the watcher to a listener on 192.0.2.2 in the peer's namespace is established and carries data both ways",
  ignore: noPair !== null,
  fn: () => {
    const before = openFdCount();
    withPair((pair, fds) => {
      const { client, server } = connectAcross(pair, fds);
      assert.equal(posix.getpeername(client).value?.address, PEER_ADDRESS);
      assert.equal(posix.getpeername(server).value?.address, WATCHER_ADDRESS);
      sendAll(client, "PING");
      waitReadable(posix, server, "PING", new Deadline(WAIT_MS));
      assert.equal(
        new TextDecoder().decode(posix.recv(server, 64).value!),
        "PING",
      );
      sendAll(server, "PONG");
      waitReadable(posix, client, "PONG", new Deadline(WAIT_MS));
      assert.equal(
        new TextDecoder().decode(posix.recv(client, 64).value!),
        "PONG",
      );
      assert.equal(posix.tcpState(client).value, "ESTABLISHED");
    });
    assert.equal(openFdCount(), before, "every fd opened is closed");
  },
});

Deno.test({
  name:
    "inWatcher() and inPeer() return the thread to where it was, when fn throws and when nested",
  ignore: noPair !== null,
  fn: () => {
    withPair((pair) => {
      const here = () =>
        posix.ifNameToIndex(WATCHER_LINK.name) !== null
          ? "W"
          : posix.ifNameToIndex(PEER_LINK.name) !== null
          ? "P"
          : "home";
      assert.equal(here(), "home");
      assert.throws(() =>
        pair.inWatcher(() => {
          throw new Error("boom");
        }), /boom/);
      assert.equal(here(), "home");
      const seen = pair.inWatcher(() => [here(), pair.inPeer(here), here()]);
      assert.deepEqual(seen, ["W", "P", "W"]);
      assert.equal(here(), "home");
      assert.throws(
        () => pair.inPeer(() => Promise.resolve(1)),
        TypeError,
      );
      assert.equal(here(), "home");
      assert.throws(() => pair.inWatcher(() => pair.close()), /inside/);
      assert.throws(
        () => pair.inPeer(() => pair.reboot(() => {})),
        /inside/,
      );
      assert.equal(here(), "home");
    });
  },
});

Deno.test({
  name:
    "a request the kernel refuses throws an RtnetlinkError naming the request and the errno, and the kernel's reason when it gives one",
  ignore: noPair !== null,
  fn: () => {
    withPair((pair) => {
      const refusal = (what: string, build: (seq: number) => Uint8Array) =>
        pair.inWatcher(() =>
          RtnetlinkSocket.with(posix, (rt) => {
            try {
              rt.request(what, (seq) => new Uint8Array(build(seq)));
            } catch (e) {
              if (e instanceof RtnetlinkError) return e;
              throw e;
            }
            throw new Error(`${what} was accepted`);
          })
        );
      const peer = pair.namespaceFds().peer;
      const exists = refusal(
        "RTM_NEWLINK veth",
        (seq) => encodeVethCreate(WATCHER_LINK, PEER_LINK, peer, seq),
      );
      assert.equal(exists.errno, "EEXIST");
      assert.match(exists.message, /^RTM_NEWLINK veth: EEXIST \(File exists\)/);
      const invalid = refusal(
        "RTM_NEWADDR /33",
        (seq) =>
          encodeAddress(RTM_NEWADDR, {
            index: pair.watcherIndex,
            address: "192.0.2.7",
            prefixLength: 33,
          }, seq),
      );
      assert.equal(invalid.errno, "EINVAL");
      // Linux 6.18 says "ipv4: Invalid prefix length"; older ones may not.
      const reason = invalid.kernelMessage === null
        ? ""
        : `: ${invalid.kernelMessage}`;
      assert.equal(
        invalid.message,
        `RTM_NEWADDR /33: EINVAL (Invalid argument)${reason}`,
      );
    });
  },
});

Deno.test({
  name:
    "after vanish() the peer sends nothing: the watcher's data stays unacknowledged, ESTABLISHED, and poll stays silent",
  ignore: noPair !== null,
  fn: () => {
    const before = openFdCount();
    withPair((pair, fds) => {
      const { client } = connectAcross(pair, fds);
      const watcherTap = Tap.open(
        pair.inWatcher.bind(pair),
        pair.watcherIndex,
        fds,
      );
      const peerTap = Tap.open(pair.inPeer.bind(pair), pair.peerIndex, fds);
      pair.vanish();
      sendAll(client, "anyone there?");
      const silent = posix.poll(
        [{ fd: client, events: c.POLLIN | c.POLLRDHUP! }],
        SILENCE_MS,
      );
      assert.equal(silent.ret, 0, `poll: ${silent.value}`);
      assert.equal(posix.tcpState(client).value, "ESTABLISHED");
      assert.ok(
        tcpInfoU32(client, TCPI_UNACKED) >= 1,
        "the data is still in flight",
      );
      // The segments reached P, and P sent nothing back, not even ICMP.
      const atPeer = peerTap.drain();
      assert.ok(
        atPeer.some((f) => !f.outgoing && f.tcp === "P."),
        JSON.stringify(atPeer),
      );
      assert.deepEqual(atPeer.filter((f) => f.outgoing), []);
      const atWatcher = watcherTap.drain();
      assert.ok(atWatcher.some((f) => f.outgoing && f.tcp === "P."));
      assert.deepEqual(
        atWatcher.filter((f) => f.source !== WATCHER_LINK.mac),
        [],
      );
      assert.throws(() => pair.vanish(), /already/);
      // Closed plainly, the socket would live on as an orphan resending to
      // nobody, and keep W alive with it for minutes.
      posix.setLinger(client, { onoff: 1, seconds: 0 });
    });
    assert.equal(openFdCount(), before, "every fd opened is closed");
  },
});

Deno.test({
  name:
    "after reboot() the old peer's reset never leaves, and the watcher's next segment meets the new host's RST: POLLERR|POLLHUP, ECONNRESET",
  ignore: noPair !== null,
  fn: () => {
    const before = openFdCount();
    withPair((pair, fds) => {
      const { client, server } = connectAcross(pair, fds);
      const watcherTap = Tap.open(
        pair.inWatcher.bind(pair),
        pair.watcherIndex,
        fds,
      );
      // Every interface of the old P, whichever namespace esc-p is in.
      const oldPeerTap = Tap.open(pair.inPeer.bind(pair), 0, fds);
      const oldPeer = pair.namespaceInodes().peer;
      let discardedIn = "";
      pair.reboot(() => {
        discardedIn = String(posix.ifNameToIndex(PEER_LINK.name));
        unwrap(
          posix,
          "SO_LINGER",
          posix.setLinger(server, { onoff: 1, seconds: 0 }),
        );
        closeFd(fds, server); // an RST, with nowhere to go
      });
      assert.equal(
        discardedIn,
        "null",
        "discard ran in the old P, without esc-p",
      );
      assert.notEqual(pair.namespaceInodes().peer, oldPeer);
      assert.deepEqual(oldPeerTap.drain().filter((f) => f.outgoing), []);
      assert.deepEqual(
        watcherTap.drain().filter((f) => f.source !== WATCHER_LINK.mac),
        [],
        "nothing crossed the link from the peer during the reboot",
      );
      sendAll(client, "still there?");
      const revents = waitFor(
        posix,
        client,
        c.POLLIN,
        "the new host's RST",
        new Deadline(WAIT_MS),
        (r) => (r & c.POLLERR) !== 0,
      );
      assert.equal(revents & (c.POLLERR | c.POLLHUP), c.POLLERR | c.POLLHUP);
      assert.equal(posix.soError(client).value, "ECONNRESET");
      const fromPeer = watcherTap.drain().filter((f) => !f.outgoing);
      assert.ok(
        fromPeer.some((f) => f.tcp?.startsWith("R")),
        JSON.stringify(fromPeer),
      );
      assert.ok(fromPeer.every((f) => f.source === PEER_LINK.mac));
      assert.deepEqual(oldPeerTap.drain(), [], "the old P saw nothing more");
    });
    assert.equal(openFdCount(), before, "every fd opened is closed");
  },
});

/**
 * The ids an observer namespace holds for others: the kernel removes one
 * when it destroys that namespace, and an id does not keep it alive.
 */
function observer(ns: LinuxNamespaces) {
  const home = unwrap(posix, "open(ns)", ns.openCurrent());
  unwrap(posix, "unshare", ns.unshareNetwork());
  let fd = -1;
  try {
    fd = unwrap(posix, "open(ns)", ns.openCurrent());
  } finally {
    unwrap(posix, "setns", ns.setNetwork(home));
  }
  const inside = <T>(fn: () => T): T => {
    unwrap(posix, "setns", ns.setNetwork(fd));
    try {
      return fn();
    } finally {
      unwrap(posix, "setns", ns.setNetwork(home));
    }
  };
  return {
    watch(namespaceFd: number, nsid: number) {
      inside(() =>
        RtnetlinkSocket.with(
          posix,
          (rt) =>
            rt.request("RTM_NEWNSID", (seq) =>
              encodeNsidAssign(namespaceFd, nsid, seq)),
        )
      );
    },
    ids(): number[] {
      return inside(() =>
        RtnetlinkSocket.with(
          posix,
          (rt) =>
            rt.query("RTM_GETNSID", encodeNsidDump).map(decodeNsid)
              .filter((id): id is number => id !== null).sort(),
        )
      );
    },
    close() {
      posix.close(fd);
      posix.close(home);
    },
  };
}

Deno.test({
  name:
    "after close() and the last socket, both namespaces are destroyed and no esc-* link is left in the host",
  ignore: noPair !== null,
  fn: () => {
    const ns = new LinuxNamespaces(posix);
    const watch = observer(ns);
    try {
      const pair = openPair();
      const fds: number[] = [];
      let inodes;
      try {
        inodes = pair.namespaceInodes();
        const nsFds = pair.namespaceFds();
        watch.watch(nsFds.watcher, 1);
        watch.watch(nsFds.peer, 2);
        // lsns (util-linux 2.38) sees a namespace only through a process
        // inside it; from inside W it lists W under the inode we read.
        const fromInside = pair.inWatcher(() =>
          run("lsns", "-t", "net", "-n", "-o", "NS")
        );
        assert.ok(fromInside.split(/\s+/).includes(String(inodes.watcher)));
        const { client, server } = connectAcross(pair, fds);
        pair.close();
        pair.close(); // idempotent
        assert.throws(() => pair.namespaceInodes(), /closed/);
        // The sockets alone keep both namespaces alive.
        assert.deepEqual(watch.ids(), [1, 2]);
        closeFd(fds, client);
        closeFd(fds, server);
      } finally {
        for (const fd of fds) posix.close(fd);
        pair.close();
      }
      // The kernel destroys a namespace in a workqueue: poll, bounded.
      const deadline = new Deadline(5000);
      let ids = watch.ids();
      while (ids.length > 0 && !deadline.passed()) {
        posix.poll([], 10);
        ids = watch.ids();
      }
      assert.deepEqual(ids, [], "both namespaces destroyed");
      const listed = run("lsns", "-t", "net", "-n", "-o", "NS").split(/\s+/);
      assert.ok(!listed.includes(String(inodes.watcher)));
      assert.ok(!listed.includes(String(inodes.peer)));
      assert.doesNotMatch(run("ip", "-o", "link"), /esc-/);
    } finally {
      watch.close();
    }
  },
});

const UNPRIVILEGED = `
import { hostPosix } from "${new URL("../../ffi/posix.ts", import.meta.url)}";
import { NamespacePair } from "${new URL("./namespaces.ts", import.meta.url)}";
const pair = NamespacePair.open(hostPosix());
if ("unavailable" in pair) console.log(pair.unavailable);
else {
  pair.close();
  console.log("opened");
}
`;

Deno.test({
  name:
    "without root opening a pair says which call failed, its errno and that namespaces need root, in one sentence",
  ignore: !linux,
  fn: async () => {
    let said: string;
    if (Deno.uid() !== 0) {
      const pair = NamespacePair.open(posix);
      if (!("unavailable" in pair)) pair.close();
      assert.ok("unavailable" in pair, "opened without root");
      said = pair.unavailable;
    } else {
      said = await printedAsNobody(UNPRIVILEGED, [
        "--allow-ffi",
        "--allow-env",
        "--allow-read",
      ]);
    }
    assert.equal(
      said,
      "setns(CLONE_NEWNET) into this thread's own namespace failed: EPERM (Operation not permitted); network namespaces need root (CAP_SYS_ADMIN)",
    );
  },
});
