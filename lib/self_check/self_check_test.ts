import assert from "node:assert/strict";
import { hostPosix } from "../../ffi/posix.ts";
import { openSocketCount } from "../testing/fds.ts";
import { FAULTS } from "../testing/wrong_tables.ts";
import { runSelfCheck, SELF_CHECKS, SelfCheckFailed } from "./self_check.ts";

Deno.test("every check passes on this machine's stack, in order, each saying what it saw", () => {
  runSelfCheck(hostPosix()); // the runtime opens what it opens once
  const before = openSocketCount();
  const entries = runSelfCheck(hostPosix());
  assert.equal(openSocketCount(), before, "a check leaked an fd");
  assert.deepEqual(entries.map((e) => e.check), [...SELF_CHECKS]);
  for (const e of entries) {
    assert.ok(e.ok, `${e.check}: ${e.detail}`);
    assert.ok(e.detail.length > 10, e.check);
  }
  // What the checks saw is stable text: no ports, no timings.
  assert.deepEqual(runSelfCheck(hostPosix()), entries);
});

Deno.test("a wrong table is caught by the check that tests it, and no fd leaks", async (t) => {
  for (const [name, fault] of Object.entries(FAULTS)) {
    await t.step(name, () => {
      const before = openSocketCount();
      const entries = runSelfCheck(fault.posix());
      assert.equal(openSocketCount(), before, "a failing check leaked an fd");
      const failed = entries.filter((e) => !e.ok);
      assert.equal(failed[0]?.check, fault.caughtBy, JSON.stringify(failed));
      const error = new SelfCheckFailed(entries);
      assert.match(
        error.message,
        new RegExp(`^self-check failed: ${fault.caughtBy}: `),
      );
      assert.doesNotMatch(error.message, /\n/);
    });
  }
});

Deno.test("the faults' details say what the kernel answered", () => {
  const detail = (name: keyof typeof FAULTS) =>
    runSelfCheck(FAULTS[name].posix()).find((e) =>
      e.check === FAULTS[name].caughtBy
    )!.detail;
  assert.match(detail("o_nonblock"), /O_NONBLOCK \(0x[0-9a-f]+\) is not set/);
  assert.match(detail("errno"), /gave -1\/E#\d+, not -1\/ENOTCONN/);
  assert.match(
    detail("sin_len"),
    /^bind\(\) of the sockaddr_in the table encodes/,
  );
  assert.match(detail("msg_dontwait"), /blocked until SO_RCVTIMEO/);
  assert.match(detail("tcp_states"), /says the listener is \w+, not LISTEN/);
  assert.match(detail("variadic"), /F_SETFL O_NONBLOCK .* did not stick/);
});
