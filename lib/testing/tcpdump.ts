/**
 * Test helper: tcpdump as the independent observer of the wire. Reads
 * tcpdump's own one-line summaries (`-nn`), so a check made with them does
 * not depend on escoteria's decoder, and runs a live capture on `lo` that
 * is known to be listening before it returns.
 *
 * @module
 */

import type { Segment } from "../results/format.ts";

/** One line of tcpdump's TCP summary. */
export interface TcpdumpLine {
  /** `address:port`, `[address]:port` for IPv6, as escoteria writes them. */
  readonly src: string;
  readonly dst: string;
  readonly flags: string;
  readonly len: number;
}

// "12:00:00.000001 IP 127.0.0.1.40000 > 127.0.0.1.5000: Flags [S.], seq ..., length 0"
const LINE =
  /^\S+ (IP6?) (\S+)\.(\d+) > (\S+)\.(\d+): Flags \[([^\]]*)\].*?, length (\d+)/;

/** Parses tcpdump's `-nn` text; lines that are not TCP summaries are skipped. */
export function parseTcpdump(text: string): TcpdumpLine[] {
  return text.split("\n").flatMap((line) => {
    const m = LINE.exec(line);
    if (!m) return [];
    const host = (a: string) => m[1] === "IP6" ? `[${a}]` : a;
    return [{
      src: `${host(m[2]!)}:${m[3]}`,
      dst: `${host(m[4]!)}:${m[5]}`,
      flags: m[6]!,
      len: Number(m[7]),
    }];
  });
}

/** The lines of one connection as segments, in tcpdump's order. */
export function tcpdumpSegments(
  lines: readonly TcpdumpLine[],
  endpoints: { client: string; server: string },
): Segment[] {
  return lines.flatMap((l): Segment[] => {
    if (l.src === endpoints.client && l.dst === endpoints.server) {
      return [{ from: "client", flags: l.flags, len: l.len }];
    }
    if (l.src === endpoints.server && l.dst === endpoints.client) {
      return [{ from: "server", flags: l.flags, len: l.len }];
    }
    return [];
  });
}

/** Why tcpdump cannot be used here, or `null` when it can. */
export function tcpdumpMissing(): string | null {
  try {
    const out = new Deno.Command("tcpdump", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    }).outputSync();
    return out.success ? null : "tcpdump --version failed";
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return "tcpdump is not installed";
    throw e;
  }
}

/** `tcpdump -r FILE -nn`: the text of a pcap file as tcpdump reads it. */
export async function readPcapWithTcpdump(
  path: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command("tcpdump", {
    args: ["-r", path, "-nn"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return {
    code: out.code,
    stdout: text.decode(out.stdout),
    stderr: text.decode(out.stderr),
  };
}

/** A tcpdump printing loopback TCP as it sees it. */
export interface LiveTcpdump {
  /** Everything tcpdump printed on stdout so far. */
  text(): string;
  /**
   * Resolves once tcpdump has printed a line that `seen` accepts, or
   * rejects at the deadline.
   */
  waitFor(
    seen: (line: TcpdumpLine) => boolean,
    deadlineMs: number,
  ): Promise<void>;
  /** Stops tcpdump and waits for it to exit; returns all it printed. */
  stop(): Promise<string>;
  /**
   * After `stop()`: the packets tcpdump says the kernel dropped before it
   * could read them (`N packets dropped by kernel`), or `null` if it did
   * not say.
   */
  dropped(): number | null;
}

/** Rejects after `ms` unless `work` settles first; never leaves a timer. */
async function within<T>(
  ms: number,
  what: string,
  work: Promise<T>,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: nothing within ${ms} ms`)),
      ms,
    );
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Starts `tcpdump -i lo -nn -l --immediate-mode tcp` and returns once
 * tcpdump has said it is listening, or throws at `deadlineMs`.
 */
export async function startTcpdump(deadlineMs = 10_000): Promise<LiveTcpdump> {
  const child = new Deno.Command("tcpdump", {
    args: ["-i", "lo", "-nn", "-l", "--immediate-mode", "tcp"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  let err = "";
  const listeners = new Set<() => void>();
  const pump = async (
    stream: ReadableStream<Uint8Array>,
    add: (s: string) => void,
  ) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      add(chunk);
      for (const wake of [...listeners]) wake();
    }
    for (const wake of [...listeners]) wake();
  };
  const pumped = Promise.all([
    pump(child.stdout, (s) => out += s),
    pump(child.stderr, (s) => err += s),
  ]);
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    for (const wake of [...listeners]) wake();
    return s;
  });
  const until = (done: () => boolean) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (done()) {
          listeners.delete(check);
          resolve();
        } else if (exited) {
          listeners.delete(check);
          reject(new Error(`tcpdump exited: ${err.trim()}`));
        }
      };
      listeners.add(check);
      check();
    });
  const stop = async () => {
    if (!exited) child.kill("SIGINT");
    await status;
    await pumped;
    return out;
  };
  try {
    await within(
      deadlineMs,
      "tcpdump: listening",
      until(() => err.includes("listening on")),
    );
  } catch (e) {
    if (!exited) child.kill("SIGKILL");
    await status;
    await pumped;
    throw e;
  }
  return {
    dropped: () => {
      const m = /(\d+) packets? dropped by kernel/.exec(err);
      return m ? Number(m[1]) : null;
    },
    text: () => out,
    waitFor: (seen, ms) =>
      within(
        ms,
        "tcpdump: waiting for a line",
        until(() => parseTcpdump(out).some(seen)),
      ),
    stop,
  };
}
