import assert from "node:assert/strict";
import { hostPosix } from "../../ffi/posix.ts";
import { openLoopbackPair } from "../testing/loopback.ts";
import { Deadline, DeadlineExceeded } from "./deadline.ts";
import { drain, fill } from "./fill_drain.ts";

const posix = hostPosix();

Deno.test("fill() stops at a full send buffer, and drain() reads every byte it took, then the end of file", () => {
  const { client, server } = openLoopbackPair(posix);
  try {
    const filled = fill(posix, client, "fill", new Deadline(2000));
    assert.equal(filled.last, "EAGAIN");
    assert.ok(filled.bytes > 0);
    posix.shutdown(client, "wr");
    const drained = drain(posix, server, "drain", new Deadline(2000));
    assert.deepEqual(drained, { end: "eof", bytes: filled.bytes });
  } finally {
    posix.close(client);
    posix.close(server);
  }
});

Deno.test("drain() gives up at its deadline while the peer neither sends nor closes", () => {
  const { client, server } = openLoopbackPair(posix);
  try {
    assert.throws(
      () => drain(posix, server, "drain", new Deadline(50)),
      DeadlineExceeded,
    );
  } finally {
    posix.close(client);
    posix.close(server);
  }
});
