import assert from "node:assert/strict";
import { formatEndpoint } from "../../ffi/sockaddr.ts";
import {
  encodePcap,
  LINKTYPE_ETHERNET,
  PCAP_HEADER_SIZE,
  PCAP_MAGIC,
  PCAP_RECORD_HEADER_SIZE,
  PCAP_SNAPLEN,
} from "./pcap.ts";
import { craftFrame, type FrameSpec, TCP } from "../testing/frames.ts";
import {
  parseTcpdump,
  readPcapWithTcpdump,
  tcpdumpMissing,
} from "../testing/tcpdump.ts";
import { decodeFrame } from "./segments.ts";

const missing = tcpdumpMissing();

Deno.test("encodePcap() writes the global header and one record per frame", () => {
  const frame = new Uint8Array([1, 2, 3, 4, 5]);
  const file = encodePcap([{ bytes: frame, timeUs: 1_700_000_000_250_001 }]);
  const view = new DataView(file.buffer);
  assert.equal(
    file.byteLength,
    PCAP_HEADER_SIZE + PCAP_RECORD_HEADER_SIZE + 5,
  );
  assert.equal(view.getUint32(0, true), PCAP_MAGIC);
  assert.equal(view.getUint16(4, true), 2);
  assert.equal(view.getUint16(6, true), 4);
  assert.equal(view.getUint32(16, true), PCAP_SNAPLEN);
  assert.equal(view.getUint32(20, true), LINKTYPE_ETHERNET);
  assert.equal(view.getUint32(24, true), 1_700_000_000);
  assert.equal(view.getUint32(28, true), 250_001);
  assert.equal(view.getUint32(32, true), 5);
  assert.equal(view.getUint32(36, true), 5);
  assert.deepEqual(file.subarray(40), frame);
});

Deno.test("encodePcap() cuts a frame longer than the snaplen but records its length", () => {
  const file = encodePcap([{ bytes: new Uint8Array(PCAP_SNAPLEN + 10) }]);
  const view = new DataView(file.buffer);
  assert.equal(view.getUint32(24, true), 0, "no time given: the epoch");
  assert.equal(view.getUint32(32, true), PCAP_SNAPLEN);
  assert.equal(view.getUint32(36, true), PCAP_SNAPLEN + 10);
  assert.equal(
    file.byteLength,
    PCAP_HEADER_SIZE + PCAP_RECORD_HEADER_SIZE + PCAP_SNAPLEN,
  );
});

Deno.test({
  name:
    "tcpdump reads a written pcap and summarises every frame as the decoder does",
  ignore: missing !== null,
  fn: async () => {
    const base: FrameSpec = {
      family: "inet",
      src: "127.0.0.1",
      dst: "127.0.0.1",
      srcPort: 40000,
      dstPort: 5000,
      flags: 0,
    };
    const specs: FrameSpec[] = [
      TCP.SYN,
      TCP.SYN | TCP.ACK,
      TCP.ACK,
      TCP.PSH | TCP.ACK,
      TCP.FIN | TCP.ACK,
      TCP.FIN | TCP.PSH | TCP.ACK,
      TCP.RST,
      TCP.RST | TCP.ACK,
      TCP.SYN | TCP.ECE | TCP.CWR,
      TCP.SYN | TCP.ACK | TCP.ECE,
      TCP.URG | TCP.ACK,
      0,
    ].flatMap((flags, i) => [
      { ...base, flags, payload: i % 3 === 1 ? 4 : 0 },
      {
        ...base,
        family: "inet6",
        src: "::1",
        dst: "::1",
        flags,
        payload: i % 2,
        tcpOptionWords: 3,
      },
    ]);
    const frames = specs.map((s, i) => ({
      bytes: craftFrame(s),
      timeUs: 1_700_000_000_000_000 + i,
    }));
    const path = Deno.makeTempFileSync({ suffix: ".pcap" });
    try {
      Deno.writeFileSync(path, encodePcap(frames));
      const read = await readPcapWithTcpdump(path);
      assert.equal(read.code, 0, read.stderr);
      const lines = parseTcpdump(read.stdout);
      assert.equal(lines.length, frames.length, read.stdout);
      lines.forEach((line, i) => {
        const ours = decodeFrame(frames[i]!.bytes)!;
        assert.deepEqual(
          { src: line.src, dst: line.dst, flags: line.flags, len: line.len },
          {
            src: formatEndpoint(ours.src),
            dst: formatEndpoint(ours.dst),
            flags: ours.flags,
            len: ours.len,
          },
          `frame ${i}`,
        );
      });
    } finally {
      Deno.removeSync(path);
    }
  },
});
