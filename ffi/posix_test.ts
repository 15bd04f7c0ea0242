import assert from "node:assert/strict";
import { hostPosix, SyscallError, unwrap } from "./posix.ts";

const posix = hostPosix();
const loopback = { family: "inet", address: "127.0.0.1", port: 0 } as const;

function openSocket(): number {
  return unwrap(posix, "socket", posix.socket("inet"));
}

Deno.test("a bogus or closed fd gives EBADF as data, never a throw", () => {
  const fd = openSocket();
  assert.deepEqual(posix.close(fd), { ret: 0, errno: null });
  for (const bad of [fd, -1, 1 << 20]) {
    assert.deepEqual(posix.close(bad), { ret: -1, errno: "EBADF" });
    assert.equal(posix.getpeername(bad).errno, "EBADF");
    assert.equal(posix.getLinger(bad).errno, "EBADF");
    assert.equal(posix.setLinger(bad, { onoff: 1, seconds: 0 }).errno, "EBADF");
    assert.equal(posix.shutdown(bad, "wr").errno, "EBADF");
    assert.equal(posix.recv(bad, 4).errno, "EBADF");
    assert.equal(posix.send(bad, new Uint8Array(1)).errno, "EBADF");
    assert.equal(posix.soError(bad).errno, "EBADF");
    assert.equal(posix.tcpState(bad).errno, "EBADF");
  }
});

Deno.test("poll() on a closed fd reports POLLNVAL", () => {
  const fd = openSocket();
  posix.close(fd);
  const out = posix.poll([{ fd, events: posix.table.constants.POLLIN }], 0);
  assert.equal(out.ret, 1);
  assert.equal(out.value?.[0], posix.table.constants.POLLNVAL);
});

Deno.test("an unconnected socket reports ENOTCONN where the article expects it", () => {
  const fd = openSocket();
  try {
    assert.deepEqual(posix.getpeername(fd), {
      ret: -1,
      errno: "ENOTCONN",
      value: null,
    });
    assert.equal(posix.shutdown(fd, "rdwr").errno, "ENOTCONN");
    assert.equal(posix.getLinger(fd).value?.onoff, 0);
  } finally {
    posix.close(fd);
  }
});

Deno.test("a second bind() fails with EINVAL as data", () => {
  const fd = openSocket();
  try {
    assert.equal(posix.bind(fd, loopback).ret, 0);
    assert.equal(posix.bind(fd, loopback).errno, "EINVAL");
  } finally {
    posix.close(fd);
  }
});

Deno.test("connect() to a closed port is refused, seen through SO_ERROR", () => {
  const probe = openSocket();
  posix.bind(probe, loopback);
  const port = posix.getsockname(probe).value!.port;
  posix.close(probe); // nothing listens on port now
  const fd = openSocket();
  try {
    const out = posix.connect(fd, { ...loopback, port });
    if (out.errno === "EINPROGRESS") {
      posix.poll([{ fd, events: posix.table.constants.POLLOUT }], 1000);
      assert.equal(posix.soError(fd).value, "ECONNREFUSED");
    } else {
      assert.equal(out.errno, "ECONNREFUSED");
    }
  } finally {
    posix.close(fd);
  }
});

Deno.test("unwrap() throws naming the syscall and errno for set-up failures", () => {
  assert.equal(unwrap(posix, "close", { ret: 0, errno: null }), 0);
  const error = assert.throws(
    () => unwrap(posix, "listen", posix.listen(-1, 1)),
    (e: unknown) =>
      e instanceof SyscallError && e.syscall === "listen" &&
      e.errno === "EBADF" &&
      /^listen\(\) failed: EBADF \(Bad file descriptor\)$/.test(e.message),
  );
  assert.equal(error, undefined);
});

Deno.test("strerror() reads libc's text", () => {
  assert.equal(posix.strerror("ECONNRESET"), "Connection reset by peer");
  assert.equal(posix.strerror("ENOPE"), "unknown error");
});

Deno.test("socket() gives a non-blocking socket: F_GETFL reads O_NONBLOCK back, on every OS", () => {
  // On macOS, which has no SOCK_NONBLOCK, this goes through fcntl(F_SETFL),
  // the variadic call whose binding differs on Apple arm64 (variadic.ts).
  const c = posix.table.constants;
  const fd = openSocket();
  try {
    const flags = unwrap(posix, "fcntl", posix.fileStatusFlags(fd));
    assert.notEqual(flags & c.O_NONBLOCK, 0, `F_GETFL ${flags}`);
    unwrap(posix, "fcntl", posix.setNonblocking(fd, false));
    const cleared = unwrap(posix, "fcntl", posix.fileStatusFlags(fd));
    assert.equal(cleared & c.O_NONBLOCK, 0, `F_GETFL ${cleared}`);
    assert.equal(cleared, flags & ~c.O_NONBLOCK, "only O_NONBLOCK changed");
    unwrap(posix, "fcntl", posix.setNonblocking(fd));
    assert.equal(unwrap(posix, "fcntl", posix.fileStatusFlags(fd)), flags);
  } finally {
    posix.close(fd);
  }
});

Deno.test("rawName() gives the sockaddr bytes the kernel wrote, cut to its length", () => {
  const fd = openSocket();
  try {
    unwrap(posix, "bind", posix.bind(fd, loopback));
    const raw = posix.rawName(fd, "getsockname");
    assert.equal(raw.value?.byteLength, 16);
    assert.deepEqual([...raw.value!.subarray(4, 8)], [127, 0, 0, 1]);
    const port = posix.getsockname(fd).value!.port;
    assert.equal((raw.value![2]! << 8) | raw.value![3]!, port);
    assert.equal(posix.rawName(fd, "getpeername").errno, "ENOTCONN");
  } finally {
    posix.close(fd);
  }
});
