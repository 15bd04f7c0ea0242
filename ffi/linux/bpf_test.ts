import assert from "node:assert/strict";
import {
  BPF,
  encodeFprog,
  encodeProgram,
  jumpIfEqual,
  load,
  ret,
  SKF_AD_OFF,
  SKF_AD_PKTTYPE,
  SOCK_FPROG_SIZE,
} from "./bpf.ts";

Deno.test("encodeProgram() lays out each sock_filter as code, jt, jf, k", () => {
  const bytes = encodeProgram([
    load("W", SKF_AD_OFF + SKF_AD_PKTTYPE),
    jumpIfEqual(0x86dd, 1, 2),
    ret(0),
  ]);
  assert.deepEqual([...bytes], [
    0x20,
    0,
    0,
    0,
    0x04,
    0xf0,
    0xff,
    0xff, // ld [-0x1000 + 4]
    0x15,
    0,
    1,
    2,
    0xdd,
    0x86,
    0,
    0, // jeq #0x86dd, +1, +2
    0x06,
    0,
    0,
    0,
    0,
    0,
    0,
    0, // ret #0
  ]);
  assert.equal(load("H", 12).code, BPF.LD | BPF.H | BPF.ABS);
  assert.throws(() => encodeProgram([]), RangeError);
});

Deno.test("encodeFprog() holds the instruction count and the program's address", () => {
  const program = encodeProgram([ret(1), ret(0)]);
  const fprog = encodeFprog(program);
  const view = new DataView(fprog.buffer);
  assert.equal(fprog.byteLength, SOCK_FPROG_SIZE);
  assert.equal(view.getUint16(0, true), 2);
  assert.equal(
    view.getBigUint64(8, true),
    BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(program))),
  );
});
