import assert from "node:assert/strict";
import { PACKET_HOST, PACKET_OUTGOING } from "../../ffi/linux/packet.ts";
import { parseEndpoint } from "../net/endpoints.ts";
import { craftFrame, type FrameSpec, TCP } from "../testing/frames.ts";
import {
  connectionFrames,
  decodeFrame,
  dedupeLoopback,
  formatFlags,
  type Frame,
  segmentsOf,
} from "./segments.ts";

const v4: FrameSpec = {
  family: "inet",
  src: "127.0.0.1",
  dst: "127.0.0.1",
  srcPort: 40000,
  dstPort: 5000,
  flags: TCP.SYN,
};
const v6: FrameSpec = { ...v4, family: "inet6", src: "::1", dst: "::1" };
const endpoints = {
  client: parseEndpoint("127.0.0.1:40000"),
  server: parseEndpoint("127.0.0.1:5000"),
};

/** The same packet as loopback delivers it: leaving, then arriving. */
function bothCopies(spec: FrameSpec): Frame[] {
  const bytes = craftFrame(spec);
  return [
    { bytes, pkttype: PACKET_OUTGOING },
    { bytes, pkttype: PACKET_HOST },
  ];
}

function reply(spec: FrameSpec, flags: number, payload = 0): FrameSpec {
  return {
    ...spec,
    src: spec.dst,
    dst: spec.src,
    srcPort: spec.dstPort,
    dstPort: spec.srcPort,
    flags,
    payload,
  };
}

Deno.test("formatFlags() writes the flags in tcpdump's notation and order", () => {
  const cases: [number, string][] = [
    [TCP.SYN, "S"],
    [TCP.SYN | TCP.ACK, "S."],
    [TCP.ACK, "."],
    [TCP.PSH | TCP.ACK, "P."],
    [TCP.FIN | TCP.ACK, "F."],
    [TCP.FIN | TCP.PSH | TCP.ACK, "FP."],
    [TCP.RST, "R"],
    [TCP.RST | TCP.ACK, "R."],
    [TCP.SYN | TCP.ECE | TCP.CWR, "SEW"],
    [TCP.SYN | TCP.ACK | TCP.ECE, "S.E"],
    [TCP.URG | TCP.ACK, ".U"],
    [0, "none"],
  ];
  for (const [bits, text] of cases) assert.equal(formatFlags(bits), text);
});

Deno.test("decodeFrame() reads addresses, ports, flags and payload length of IPv4 and IPv6", () => {
  assert.deepEqual(
    decodeFrame(craftFrame({ ...v4, flags: TCP.PSH | TCP.ACK, payload: 4 })),
    {
      src: { family: "inet", address: "127.0.0.1", port: 40000 },
      dst: { family: "inet", address: "127.0.0.1", port: 5000 },
      flags: "P.",
      len: 4,
    },
  );
  assert.deepEqual(
    decodeFrame(craftFrame({ ...v6, flags: TCP.FIN | TCP.ACK, payload: 7 })),
    {
      src: { family: "inet6", address: "::1", port: 40000 },
      dst: { family: "inet6", address: "::1", port: 5000 },
      flags: "F.",
      len: 7,
    },
  );
});

Deno.test("decodeFrame() skips IP and TCP options and ignores trailing padding", () => {
  const cases: [FrameSpec, number][] = [
    [{ ...v4, ipOptionWords: 2, tcpOptionWords: 3, payload: 5 }, 5],
    [{ ...v4, payload: 1, trailer: 6 }, 1],
    [{ ...v6, tcpOptionWords: 5, payload: 0, trailer: 4 }, 0],
  ];
  for (const [spec, len] of cases) {
    assert.equal(decodeFrame(craftFrame(spec))?.len, len);
  }
});

Deno.test("decodeFrame() returns null for frames that are not TCP", () => {
  const arp = craftFrame(v4);
  new DataView(arp.buffer).setUint16(12, 0x0806);
  assert.equal(decodeFrame(arp), null);
  assert.equal(decodeFrame(craftFrame({ ...v4, protocol: 17 })), null); // UDP
  assert.equal(decodeFrame(craftFrame({ ...v6, protocol: 58 })), null); // ICMPv6
  const fragment = craftFrame(v4);
  new DataView(fragment.buffer).setUint16(14 + 6, 0x0010); // offset 16 × 8
  assert.equal(decodeFrame(fragment), null);
});

Deno.test("decodeFrame() never throws on a truncated frame and returns null while headers are cut", () => {
  for (const spec of [v4, v6, { ...v4, tcpOptionWords: 3, payload: 9 }]) {
    const whole = craftFrame(spec);
    const headers = whole.byteLength - (spec.payload ?? 0);
    for (let n = 0; n < whole.byteLength; n++) {
      const packet = decodeFrame(whole.subarray(0, n));
      if (n < (spec.family === "inet" ? 14 + 20 + 20 : 14 + 40 + 20)) {
        assert.equal(packet, null, `${spec.family} cut to ${n} bytes`);
      } else if (n >= headers) {
        assert.equal(packet?.len, spec.payload ?? 0);
      }
    }
  }
});

Deno.test("dedupeLoopback() keeps the arriving copy of each packet and frames without a type", () => {
  const frames = [...bothCopies(v4), { bytes: craftFrame(v6) }];
  const kept = dedupeLoopback(frames);
  assert.equal(kept.length, 2);
  assert.equal(kept[0]!.pkttype, PACKET_HOST);
  assert.equal(kept[1]!.pkttype, undefined);
});

Deno.test("segmentsOf() counts each loopback packet once, in order, with its sender", () => {
  const frames = [
    ...bothCopies(v4),
    ...bothCopies(reply(v4, TCP.SYN | TCP.ACK)),
    ...bothCopies({ ...v4, flags: TCP.ACK }),
    ...bothCopies({ ...v4, flags: TCP.PSH | TCP.ACK, payload: 4 }),
    ...bothCopies(reply(v4, TCP.RST | TCP.ACK)),
  ];
  assert.deepEqual(segmentsOf(frames, endpoints), [
    { from: "client", flags: "S", len: 0 },
    { from: "server", flags: "S.", len: 0 },
    { from: "client", flags: ".", len: 0 },
    { from: "client", flags: "P.", len: 4 },
    { from: "server", flags: "R.", len: 0 },
  ]);
});

Deno.test("segmentsOf() ignores other connections, non-TCP frames and garbage", () => {
  const frames: Frame[] = [
    ...bothCopies({ ...v4, srcPort: 40001 }), // another client port
    ...bothCopies({ ...v4, dstPort: 5001 }), // another server
    ...bothCopies({ ...v4, src: "127.0.0.2" }), // another address
    ...bothCopies({ ...v6 }), // same ports over IPv6
    ...bothCopies({ ...v4, protocol: 17 }), // UDP with the same ports
    { bytes: new Uint8Array(3), pkttype: PACKET_HOST },
    { bytes: craftFrame(v4).subarray(0, 40), pkttype: PACKET_HOST },
    ...bothCopies({ ...v4, flags: TCP.FIN | TCP.ACK }),
  ];
  assert.deepEqual(segmentsOf(frames, endpoints), [
    { from: "client", flags: "F.", len: 0 },
  ]);
});

Deno.test("segmentsOf() maps IPv6 endpoints", () => {
  const frames = [
    ...bothCopies(v6),
    ...bothCopies(reply(v6, TCP.SYN | TCP.ACK)),
  ];
  const six = {
    client: parseEndpoint("[::1]:40000"),
    server: parseEndpoint("[::1]:5000"),
  };
  assert.deepEqual(segmentsOf(frames, six), [
    { from: "client", flags: "S", len: 0 },
    { from: "server", flags: "S.", len: 0 },
  ]);
  assert.deepEqual(segmentsOf(frames, endpoints), []);
});

Deno.test("connectionFrames() hands back the kept frames themselves, for pcap files", () => {
  const frames = bothCopies(v4);
  const found = connectionFrames(frames, endpoints);
  assert.equal(found.length, 1);
  assert.equal(found[0]!.frame, frames[1]);
});
