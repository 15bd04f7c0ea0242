/**
 * Calling a variadic C function through Deno FFI, which only knows fixed
 * prototypes. escoteria calls two: `fcntl(int fd, int cmd, ...)` with one
 * `int` (F_SETFL's flags; F_GETFL reads none) and `open(const char *, int,
 * ...)` with none (see `libc.ts`).
 *
 * Where a variadic argument travels depends on the ABI:
 * - x86_64 System V, and AAPCS64 as Linux, FreeBSD and OpenBSD use it: in
 *   the next free integer register, exactly as a named one would, so
 *   binding `fcntl` as `(i32, i32, i32)` is right.
 * - Apple arm64 (macOS on Apple silicon): every variadic argument goes on
 *   the stack, one 8-byte slot each, while named arguments fill x0–x7
 *   first; xnu's `fcntl()` (libsyscall `wrappers/cancelable/fcntl-base.c`)
 *   reads its third argument with `va_arg` from that stack area. A plain
 *   `(i32, i32, i32)` binding puts the flags in x2, which `va_arg` never
 *   reads: F_SETFL would apply whatever lies in the first stack slot and
 *   still return 0. So there the binding names nine arguments: fd and cmd
 *   (x0, x1), six unused 64-bit fillers (x2–x7), and the flags as a 64-bit
 *   value, which the named-argument rules then place in the first stack
 *   slot, where `va_arg(ap, int)` reads its low 32 bits.
 *
 * The self-check (`lib/self_check/`) proves on every run that F_SETFL took
 * effect, by reading the flags back and by the socket's behaviour.
 *
 * @module
 */

/** Where this process's ABI puts variadic arguments. */
export type VariadicAbi = "registers" | "stack";

/** The variadic ABI of `os` on `arch` (`Deno.build` values). */
export function variadicAbi(os: string, arch: string): VariadicAbi {
  return os === "darwin" && arch === "aarch64" ? "stack" : "registers";
}

/** Integer argument registers of AAPCS64 (x0–x7), Apple's included. */
export const ARM64_INTEGER_REGISTERS = 8;

/**
 * The parameters of the stack-ABI `fcntl` binding: fd and cmd, fillers up
 * to x7, then the variadic `int` widened to a 64-bit slot.
 */
export const FCNTL_STACK_PARAMETERS = [
  "i32", // x0: fd
  "i32", // x1: cmd
  "i64", // x2..x7: fillers the callee never reads
  "i64",
  "i64",
  "i64",
  "i64",
  "i64",
  "i64", // first stack slot: the variadic argument
] as const;
