/**
 * Writes and reads cpio archives in the "newc" format, the one Linux
 * unpacks as its initramfs: directories, regular files and symbolic links,
 * each a 110-byte ASCII header, the NUL-terminated name and the data, each
 * padded to 4 bytes, ended by a `TRAILER!!!` entry. The kernel accepts
 * several archives one after another, so a big cached archive and a small
 * per-run one can simply be concatenated.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cpioArchive, parseCpio } from "./initramfs.ts";
 * const archive = cpioArchive([
 *   { kind: "file", path: "etc/motd", data: new TextEncoder().encode("hi\n") },
 * ]);
 * assert.equal(archive.length % 4, 0);
 * assert.deepEqual(parseCpio(archive).map((e) => e.path), ["etc", "etc/motd"]);
 * ```
 *
 * @module
 */

/** One entry to write; `path` is relative to the archive's root. */
export type CpioEntry =
  | { kind: "dir"; path: string; mode?: number; mtime?: number }
  | {
    kind: "file";
    path: string;
    data: Uint8Array;
    /** Permission bits (default 0o644). */
    mode?: number;
    /** Seconds since the epoch (default 0). */
    mtime?: number;
  }
  | { kind: "symlink"; path: string; target: string; mtime?: number };

/** An entry read back by {@linkcode parseCpio}. */
export interface ParsedEntry {
  readonly path: string;
  readonly kind: "dir" | "file" | "symlink" | "other";
  /** The full `st_mode`: file type and permission bits. */
  readonly mode: number;
  readonly ino: number;
  readonly uid: number;
  readonly gid: number;
  readonly nlink: number;
  readonly mtime: number;
  /** The file's contents, or the link's target as bytes. */
  readonly data: Uint8Array;
  /** Where the entry's header starts in the archive. */
  readonly offset: number;
}

/** Where the bytes of an archive go: anything with a synchronous write. */
export interface CpioSink {
  writeSync(bytes: Uint8Array): number;
}

const MAGIC = "070701";
const HEADER_SIZE = 110;
const TRAILER = "TRAILER!!!";
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFMT = 0o170000;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The archive's path for `path`: no leading `./` or `/`, no trailing `/`. */
function normalize(path: string): string {
  const parts = path.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.length === 0) throw new RangeError(`Cannot archive path "${path}"`);
  if (parts.includes("..")) {
    throw new RangeError(`Cannot archive path "${path}": it contains ".."`);
  }
  return parts.join("/");
}

function hex8(value: number): string {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`Cannot write cpio field ${value}: not a u32`);
  }
  return value.toString(16).padStart(8, "0");
}

interface Header {
  ino: number;
  mode: number;
  nlink: number;
  mtime: number;
  size: number;
  name: string;
}

function header(h: Header): Uint8Array {
  const name = encoder.encode(h.name);
  const fields = [
    h.ino,
    h.mode,
    0, // uid
    0, // gid
    h.nlink,
    h.mtime,
    h.size,
    0, // devmajor
    0, // devminor
    0, // rdevmajor
    0, // rdevminor
    name.length + 1,
    0, // check (only the "070702" format has a checksum)
  ];
  const text = encoder.encode(MAGIC + fields.map(hex8).join(""));
  const out = new Uint8Array(pad4(HEADER_SIZE + name.length + 1));
  out.set(text, 0);
  out.set(name, HEADER_SIZE);
  return out;
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}

function writeAll(sink: CpioSink, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += sink.writeSync(bytes.subarray(done));
}

/**
 * Writes one archive to a sink, entry by entry, so that big files never
 * need to be in memory together. Parent directories that were not written
 * yet are written first (mode 0o755); a path written twice is refused.
 */
export class CpioWriter {
  readonly #sink: CpioSink;
  readonly #written = new Set<string>();
  #ino: number;
  #offset = 0;
  #finished = false;

  /**
   * @param sink where the bytes go
   * @param firstInode the first inode number (give archives meant to be
   *   concatenated distinct ranges)
   */
  constructor(sink: CpioSink, firstInode = 1) {
    this.#sink = sink;
    this.#ino = firstInode;
  }

  /** Bytes written so far. */
  get size(): number {
    return this.#offset;
  }

  /** Whether `path` is in the archive already. */
  has(path: string): boolean {
    return this.#written.has(normalize(path));
  }

  /** Adds one entry (and its missing parent directories). */
  add(entry: CpioEntry): void {
    if (this.#finished) throw new TypeError("Cannot add to a finished archive");
    const path = normalize(entry.path);
    if (this.#written.has(path)) {
      throw new RangeError(`Cannot archive "${path}" twice`);
    }
    this.#parents(path, entry.mtime ?? 0);
    this.#written.add(path);
    const mtime = entry.mtime ?? 0;
    switch (entry.kind) {
      case "dir":
        this.#entry(
          {
            mode: S_IFDIR | (entry.mode ?? 0o755),
            nlink: 2,
            mtime,
            name: path,
          },
          new Uint8Array(0),
        );
        return;
      case "file":
        this.#entry(
          {
            mode: S_IFREG | (entry.mode ?? 0o644),
            nlink: 1,
            mtime,
            name: path,
          },
          entry.data,
        );
        return;
      case "symlink":
        this.#entry(
          { mode: S_IFLNK | 0o777, nlink: 1, mtime, name: path },
          encoder.encode(entry.target),
        );
        return;
    }
  }

  /** Writes the trailer and pads the archive to a multiple of 512 bytes. */
  finish(): void {
    if (this.#finished) return;
    this.#put(
      header({ ino: 0, mode: 0, nlink: 1, mtime: 0, size: 0, name: TRAILER }),
    );
    const end = (this.#offset + 511) & ~511;
    if (end > this.#offset) this.#put(new Uint8Array(end - this.#offset));
    this.#finished = true;
  }

  #parents(path: string, mtime: number): void {
    const parts = path.split("/");
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join("/");
      if (this.#written.has(dir)) continue;
      this.#written.add(dir);
      this.#entry(
        { mode: S_IFDIR | 0o755, nlink: 2, mtime, name: dir },
        new Uint8Array(0),
      );
    }
  }

  #entry(h: Omit<Header, "ino" | "size">, data: Uint8Array): void {
    this.#put(header({ ...h, ino: this.#ino++, size: data.length }));
    this.#put(data);
    const padding = pad4(data.length) - data.length;
    if (padding > 0) this.#put(new Uint8Array(padding));
  }

  #put(bytes: Uint8Array): void {
    writeAll(this.#sink, bytes);
    this.#offset += bytes.length;
  }
}

/** A whole archive of `entries` in memory (for small archives and tests). */
export function cpioArchive(
  entries: readonly CpioEntry[],
  firstInode = 1,
): Uint8Array {
  const chunks: Uint8Array[] = [];
  const sink: CpioSink = {
    writeSync(bytes) {
      chunks.push(bytes.slice());
      return bytes.length;
    },
  };
  const writer = new CpioWriter(sink, firstInode);
  for (const entry of entries) writer.add(entry);
  writer.finish();
  const out = new Uint8Array(writer.size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/**
 * Reads the entries of one or more concatenated "newc" archives (the
 * trailers left out), checking the magic and the 4-byte alignment.
 *
 * @throws {SyntaxError} `Cannot parse cpio at offset N: …`.
 */
export function parseCpio(bytes: Uint8Array): ParsedEntry[] {
  const entries: ParsedEntry[] = [];
  let at = 0;
  const fail = (why: string) =>
    new SyntaxError(`Cannot parse cpio at offset ${at}: ${why}`);
  while (at < bytes.length) {
    if (bytes[at] === 0) {
      // Padding after a trailer, before the next archive or the end.
      at++;
      continue;
    }
    if (at % 4 !== 0) throw fail("the header is not 4-byte aligned");
    if (at + HEADER_SIZE > bytes.length) throw fail("truncated header");
    const text = decoder.decode(bytes.subarray(at, at + HEADER_SIZE));
    if (!text.startsWith(MAGIC)) throw fail(`bad magic "${text.slice(0, 6)}"`);
    const field = (i: number) => {
      const hex = text.slice(6 + 8 * i, 14 + 8 * i);
      if (!/^[0-9a-fA-F]{8}$/.test(hex)) throw fail(`bad field "${hex}"`);
      return parseInt(hex, 16);
    };
    const [ino, mode, uid, gid, nlink, mtime, size] = [0, 1, 2, 3, 4, 5, 6]
      .map(field) as [number, number, number, number, number, number, number];
    const nameSize = field(11);
    const nameEnd = at + HEADER_SIZE + nameSize;
    if (nameSize < 1 || nameEnd > bytes.length) throw fail("truncated name");
    if (bytes[nameEnd - 1] !== 0) throw fail("the name is not NUL-terminated");
    const path = decoder.decode(bytes.subarray(at + HEADER_SIZE, nameEnd - 1));
    const dataStart = pad4(nameEnd);
    if (dataStart + size > bytes.length) throw fail(`truncated data`);
    if (path === TRAILER) {
      at = pad4(dataStart + size);
      continue;
    }
    const type = mode & S_IFMT;
    entries.push({
      path,
      kind: type === S_IFDIR
        ? "dir"
        : type === S_IFREG
        ? "file"
        : type === S_IFLNK
        ? "symlink"
        : "other",
      mode,
      ino,
      uid,
      gid,
      nlink,
      mtime,
      data: bytes.slice(dataStart, dataStart + size),
      offset: at,
    });
    at = pad4(dataStart + size);
  }
  return entries;
}
