/**
 * Files brought out of a guest over a serial port, as text: the guest has
 * no shared filesystem and no network, only a second serial port that QEMU
 * writes to a file. The stream, one line each (a `\r` before the `\n` is
 * ignored, in case the tty translated it):
 *
 * ```text
 * escoteria-serial 1 started 6.1.0-56-cloud-amd64
 * file 1432117 9f86d0…(sha256 of the contents) gzip results/linux-x86_64-6.1.json
 * H4sIAAAAAAAAA+y9W3PbSJI…   (base64 of the gzip of the contents)
 * end
 * done 0
 * ```
 *
 * The first line says the guest's init started (and its kernel release);
 * then each file: its size, SHA-256, encoding (`gzip` or `raw`) and name
 * (the rest of the line), its bytes in base64 lines, `end`; last,
 * `done <exit code>`. {@linkcode SERIAL_SENDER} writes it from a busybox
 * shell; {@linkcode decodeSerialFiles} reads it and tells a complete stream
 * from a truncated one (a guest killed halfway).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { sha256 } from "./host_tools.ts";
import { gunzipSync, gzipSync } from "node:zlib";

/** The first word of the first line, and the format's version. */
const MAGIC = "escoteria-serial 1";

/** One file brought out: its name in the stream and its contents. */
export interface BroughtFile {
  readonly name: string;
  readonly data: Uint8Array;
}

/** What a stream held. */
export interface SerialFiles {
  /** The guest's kernel release from the started line; `null` without it. */
  readonly started: string | null;
  /** The files received whole (size and SHA-256 checked), in order. */
  readonly files: readonly BroughtFile[];
  /** The exit code on the `done` line; `null` when it never came. */
  readonly exitCode: number | null;
  /** Why the stream is not complete or not valid; `null` when it is. */
  readonly problem: string | null;
}

/**
 * Shell functions (busybox `sh`) that write the stream on stdout:
 * `serial_started`, `serial_file NAME PATH` and `serial_done CODE`.
 * Redirect their output to the serial port.
 */
export const SERIAL_SENDER = `
serial_started() {
  printf '${MAGIC} started %s\\n' "$(uname -r)"
}
serial_file() {
  size=$(stat -c %s "$2") || return 1
  sum=$(sha256sum < "$2") || return 1
  printf 'file %s %s gzip %s\\n' "$size" "\${sum%% *}" "$1"
  gzip -c < "$2" | base64
  printf 'end\\n'
}
serial_done() {
  printf 'done %s\\n' "$1"
}
`;

/**
 * The stream for `files` and `exitCode`, as {@linkcode SERIAL_SENDER} would
 * write it (for tests and for tools that send files the same way).
 */
export function encodeSerialFiles(
  release: string,
  files: readonly BroughtFile[],
  exitCode: number,
): string {
  const lines = [`${MAGIC} started ${release}`];
  for (const file of files) {
    if (/[\r\n]/.test(file.name) || file.name === "") {
      throw new RangeError(`Cannot send file "${file.name}": bad name`);
    }
    lines.push(
      `file ${file.data.length} ${sha256(file.data)} gzip ${file.name}`,
    );
    const base64 = Buffer.from(gzipSync(file.data)).toString("base64");
    for (let i = 0; i < base64.length; i += 76) {
      lines.push(base64.slice(i, i + 76));
    }
    lines.push("end");
  }
  lines.push(`done ${exitCode}`);
  return lines.join("\n") + "\n";
}

/** Whether `text` holds the started line yet; its kernel release if so. */
export function serialStarted(text: string): string | null {
  const first = text.split("\n", 1)[0]!.replace(/\r$/, "");
  if (!text.includes("\n")) return null;
  return first.startsWith(`${MAGIC} started `)
    ? first.slice(`${MAGIC} started `.length)
    : null;
}

const FILE_LINE = /^file (\d+) ([0-9a-f]{64}) (gzip|raw) (.+)$/;
const DONE_LINE = /^done (\d{1,3})$/;
const BASE64_LINE = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Reads a stream; files are returned only when whole, and `problem` says
 * what is missing or wrong (`the stream ends inside file results/x.json`,
 * `no done line: the guest stopped before it finished`, …).
 */
export function decodeSerialFiles(text: string): SerialFiles {
  const lines = text.split("\n").map((l) => l.replace(/\r$/, ""));
  // The last element is what followed the last newline: an unfinished line.
  const unfinished = lines.pop() ?? "";
  const files: BroughtFile[] = [];
  let started: string | null = null;
  const result = (problem: string | null, exitCode: number | null = null) => ({
    started,
    files,
    exitCode,
    problem,
  });
  let i = 0;
  if (lines.length === 0) {
    return result(
      unfinished === "" ? "nothing came: the guest never started" : "no line",
    );
  }
  const first = lines[i++]!;
  if (!first.startsWith(`${MAGIC} started `)) {
    return result(`line 1 is not a started line: ${cut(first)}`);
  }
  started = first.slice(`${MAGIC} started `.length);
  while (i < lines.length) {
    const line = lines[i++]!;
    const done = DONE_LINE.exec(line);
    if (done) {
      const rest = lines.slice(i).filter((l) => l !== "");
      if (rest.length > 0 || unfinished !== "") {
        return result(`line ${i + 1} follows the done line`, Number(done[1]));
      }
      return result(null, Number(done[1]));
    }
    const file = FILE_LINE.exec(line);
    if (!file) {
      return result(`line ${i} is not a file or done line: ${cut(line)}`);
    }
    const [, size, sum, encoding, name] = file as unknown as [
      string,
      string,
      string,
      string,
      string,
    ];
    const base64: string[] = [];
    let ended = false;
    while (i < lines.length) {
      const data = lines[i++]!;
      if (data === "end") {
        ended = true;
        break;
      }
      if (!BASE64_LINE.test(data)) {
        return result(`line ${i} in file ${name} is not base64: ${cut(data)}`);
      }
      base64.push(data);
    }
    if (!ended) return result(`the stream ends inside file ${name}`);
    let data: Uint8Array;
    try {
      const bytes = new Uint8Array(Buffer.from(base64.join(""), "base64"));
      data = encoding === "gzip" ? new Uint8Array(gunzipSync(bytes)) : bytes;
    } catch (e) {
      return result(`file ${name} does not decode: ${(e as Error).message}`);
    }
    if (data.length !== Number(size)) {
      return result(
        `file ${name} has ${data.length} bytes, not the ${size} announced`,
      );
    }
    if (sha256(data) !== sum) {
      return result(`file ${name} does not match its SHA-256`);
    }
    files.push({ name, data });
  }
  return result("no done line: the guest stopped before it finished");
}

function cut(line: string): string {
  return JSON.stringify(line.length > 60 ? `${line.slice(0, 60)}…` : line);
}
