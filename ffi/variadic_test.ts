import assert from "node:assert/strict";
import { libcSymbols } from "./libc.ts";
import { TABLES } from "./tables/mod.ts";
import {
  ARM64_INTEGER_REGISTERS,
  FCNTL_STACK_PARAMETERS,
  variadicAbi,
} from "./variadic.ts";

Deno.test("variadic arguments go on the stack on Apple arm64 only", () => {
  assert.equal(variadicAbi("darwin", "aarch64"), "stack");
  for (
    const [os, arch] of [
      ["darwin", "x86_64"],
      ["linux", "x86_64"],
      ["linux", "aarch64"],
      ["freebsd", "aarch64"],
      ["openbsd", "x86_64"],
    ]
  ) {
    assert.equal(variadicAbi(os!, arch!), "registers", `${os} ${arch}`);
  }
});

Deno.test("the stack-shaped fcntl binding puts its int in the first stack slot", () => {
  const symbols = libcSymbols(TABLES.darwin);
  assert.equal(symbols.fcntl_stack.name, "fcntl");
  const parameters = [...symbols.fcntl_stack.parameters];
  // fd and cmd in x0 and x1, fillers through x7: the ninth argument is the
  // first one the AAPCS64 puts on the stack, where va_arg reads it.
  assert.deepEqual(parameters, [...FCNTL_STACK_PARAMETERS]);
  assert.equal(parameters.length, ARM64_INTEGER_REGISTERS + 1);
  assert.deepEqual(parameters.slice(0, 2), ["i32", "i32"]);
  assert.ok(parameters.slice(2).every((p) => p === "i64"), "8-byte slots");
  // Everywhere else fcntl is bound as (int, int, int).
  assert.deepEqual([...symbols.fcntl.parameters], ["i32", "i32", "i32"]);
});
