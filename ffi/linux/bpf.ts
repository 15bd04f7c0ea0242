/**
 * Classic BPF (the socket filters `SO_ATTACH_FILTER` takes on Linux): the
 * opcode bits, the ancillary offset that loads a frame's `sll_pkttype`, and
 * the codecs of `struct sock_filter` and `struct sock_fprog`.
 *
 * Sources (linux, checked against the Debian 12 uapi headers):
 * `include/uapi/linux/bpf_common.h` (BPF_LD 0x00, BPF_JMP 0x05, BPF_RET 0x06,
 * BPF_W 0x00, BPF_H 0x08, BPF_B 0x10, BPF_ABS 0x20, BPF_JEQ 0x10, BPF_K 0x00),
 * `include/uapi/linux/filter.h` (`struct sock_filter { __u16 code; __u8 jt;
 * __u8 jf; __u32 k; }`, `struct sock_fprog { unsigned short len; struct
 * sock_filter *filter; }`, SKF_AD_OFF -0x1000, SKF_AD_PKTTYPE 4),
 * `include/uapi/asm-generic/socket.h` (SO_ATTACH_FILTER 26).
 *
 * @module
 */

/** `SO_ATTACH_FILTER` at level SOL_SOCKET. */
export const SO_ATTACH_FILTER = 26;

/** Instruction classes, sizes, modes and sources (`bpf_common.h`). */
export const BPF = {
  LD: 0x00,
  LDX: 0x01,
  JMP: 0x05,
  RET: 0x06,
  W: 0x00,
  H: 0x08,
  B: 0x10,
  ABS: 0x20,
  IND: 0x40,
  MSH: 0xa0,
  JEQ: 0x10,
  K: 0x00,
} as const;

/** Offset of the ancillary data a load can read (`SKF_AD_OFF`). */
export const SKF_AD_OFF = -0x1000;
/** Ancillary field: the frame's `sll_pkttype` (`SKF_AD_PKTTYPE`). */
export const SKF_AD_PKTTYPE = 4;

/** One `struct sock_filter`. */
export interface BpfInstruction {
  readonly code: number;
  /** Instructions to skip when a jump's test holds. */
  readonly jt: number;
  /** Instructions to skip when it does not. */
  readonly jf: number;
  readonly k: number;
}

/** `sizeof(struct sock_filter)`. */
export const SOCK_FILTER_SIZE = 8;
/** `sizeof(struct sock_fprog)` on 64-bit Linux (u16, padding, pointer). */
export const SOCK_FPROG_SIZE = 16;

/** A load of `size` bytes at absolute offset `k` into the accumulator. */
export function load(size: "W" | "H" | "B", k: number): BpfInstruction {
  return { code: BPF.LD | BPF[size] | BPF.ABS, jt: 0, jf: 0, k };
}

/** A load of `size` bytes at offset X + `k` into the accumulator. */
export function loadIndirect(size: "W" | "H" | "B", k: number): BpfInstruction {
  return { code: BPF.LD | BPF[size] | BPF.IND, jt: 0, jf: 0, k };
}

/**
 * X = 4 × (the low nibble of the byte at `k`): the length of the IPv4
 * header that starts there (`ldxb 4*([k]&0xf)`).
 */
export function loadHeaderLength(k: number): BpfInstruction {
  return { code: BPF.LDX | BPF.B | BPF.MSH, jt: 0, jf: 0, k };
}

/** Jumps `jt` ahead when the accumulator equals `k`, else `jf` ahead. */
export function jumpIfEqual(k: number, jt: number, jf: number): BpfInstruction {
  return { code: BPF.JMP | BPF.JEQ | BPF.K, jt, jf, k };
}

/** Returns: keep `k` bytes of the frame (0 drops it). */
export function ret(k: number): BpfInstruction {
  return { code: BPF.RET | BPF.K, jt: 0, jf: 0, k };
}

// x86_64 and aarch64 Linux are little-endian; sock_filter is host order.
const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Encodes a program as an array of `struct sock_filter`.
 *
 * @throws {RangeError} for an empty program or one past BPF_MAXINSNS (4096).
 */
export function encodeProgram(
  program: readonly BpfInstruction[],
): Uint8Array<ArrayBuffer> {
  if (program.length === 0 || program.length > 4096) {
    throw new RangeError(
      `Cannot encode a BPF program of ${program.length} instructions`,
    );
  }
  const bytes = new Uint8Array(program.length * SOCK_FILTER_SIZE);
  const view = new DataView(bytes.buffer);
  program.forEach((insn, i) => {
    const at = i * SOCK_FILTER_SIZE;
    view.setUint16(at, insn.code, littleEndianHost);
    view.setUint8(at + 2, insn.jt);
    view.setUint8(at + 3, insn.jf);
    view.setUint32(at + 4, insn.k >>> 0, littleEndianHost);
  });
  return bytes;
}

/**
 * Encodes the `struct sock_fprog` that points at `encoded` (from
 * {@linkcode encodeProgram}). The caller keeps `encoded` alive until the
 * `setsockopt()` that reads it has returned; the kernel copies it then.
 */
export function encodeFprog(
  encoded: Uint8Array<ArrayBuffer>,
): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(SOCK_FPROG_SIZE);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, encoded.byteLength / SOCK_FILTER_SIZE, littleEndianHost);
  const pointer = Deno.UnsafePointer.value(Deno.UnsafePointer.of(encoded));
  view.setBigUint64(8, BigInt(pointer), littleEndianHost);
  return bytes;
}
