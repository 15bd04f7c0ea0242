import assert from "node:assert/strict";
import { hostPosix, unwrap } from "../../ffi/posix.ts";
import { FdLedger, LEDGER_SLOTS } from "./fd_ledger.ts";

Deno.test("FdLedger notes fds as opened, strikes them as closed, and another view of its buffer sees the same", () => {
  const ledger = new FdLedger();
  const view = new FdLedger(ledger.buffer);
  ledger.opened(0);
  ledger.opened(7);
  ledger.opened(9);
  assert.deepEqual(view.held(), [0, 7, 9]);
  view.closed(7);
  view.closed(42); // never opened: nothing to strike
  assert.deepEqual(ledger.held(), [0, 9]);
  ledger.opened(11); // takes the freed slot
  assert.deepEqual(ledger.held(), [0, 11, 9]);
});

Deno.test("FdLedger refuses a fd past its slots instead of losing it", () => {
  const ledger = new FdLedger();
  for (let fd = 0; fd < LEDGER_SLOTS; fd++) ledger.opened(fd);
  assert.throws(() => ledger.opened(LEDGER_SLOTS), RangeError);
  assert.equal(ledger.held().length, LEDGER_SLOTS);
});

Deno.test("a Posix that tracks fds notes every socket it opens and strikes it before closing", () => {
  const posix = hostPosix();
  const ledger = new FdLedger();
  posix.trackFds(ledger);
  try {
    const fd = unwrap(posix, "socket", posix.socket("inet"));
    assert.deepEqual(ledger.held(), [fd]);
    posix.close(fd);
    assert.deepEqual(ledger.held(), []);
    assert.equal(posix.close(-1).errno, "EBADF");
    assert.deepEqual(ledger.held(), []);
  } finally {
    posix.trackFds(null);
  }
});

Deno.test("an fd the main thread has taken over is never closed by the worker too", () => {
  const posix = hostPosix();
  const ledger = new FdLedger();
  const main = new FdLedger(ledger.buffer);
  posix.trackFds(ledger);
  let fd = -1;
  try {
    fd = unwrap(posix, "socket", posix.socket("inet"));
    // The worker is stopped: the main thread takes its fds over...
    assert.deepEqual(main.takeOver(), [fd]);
    assert.deepEqual(main.held(), []);
    assert.deepEqual(main.takeOver(), []); // a second cleanup finds none
    // ...and the worker, still running for a moment, leaves it alone.
    assert.deepEqual(posix.close(fd), { ret: -1, errno: "EBADF" });
    assert.notEqual(posix.fileStatusFlags(fd).errno, "EBADF", "still open");
    // An fd the ledger never held is closed as usual.
    const other = unwrap(posix, "socket", posix.socket("inet"));
    assert.equal(ledger.closed(other), true);
    assert.equal(posix.close(other).ret, 0);
  } finally {
    posix.trackFds(null);
    if (fd >= 0) posix.close(fd); // the main thread's close
  }
});
