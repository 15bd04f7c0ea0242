import assert from "node:assert/strict";
import { parseEndpoint, senderOf, writeEndpoints } from "./endpoints.ts";

Deno.test("parseEndpoint() reads what formatEndpoint() writes, IPv4 and IPv6", () => {
  assert.deepEqual(parseEndpoint("127.0.0.1:8080"), {
    family: "inet",
    address: "127.0.0.1",
    port: 8080,
  });
  assert.deepEqual(parseEndpoint("[::1]:80"), {
    family: "inet6",
    address: "::1",
    port: 80,
  });
  for (
    const bad of [
      "127.0.0.1",
      "::1:80",
      "[::1]",
      "1.2.3.4:65536",
      "300.0.0.1:1",
      "[:::]:1",
    ]
  ) {
    assert.throws(() => parseEndpoint(bad), RangeError, bad);
  }
});

Deno.test("senderOf() names the side that sent, by address, port and family", () => {
  const endpoints = {
    client: parseEndpoint("127.0.0.1:40000"),
    server: parseEndpoint("127.0.0.1:5000"),
  };
  const [c, s] = [endpoints.client, endpoints.server];
  assert.equal(senderOf(endpoints, c, s), "client");
  assert.equal(senderOf(endpoints, s, c), "server");
  assert.equal(senderOf(endpoints, c, c), null);
  assert.equal(senderOf(endpoints, { ...c, port: 40001 }, s), null);
  assert.equal(senderOf(endpoints, { ...c, address: "127.0.0.2" }, s), null);
  assert.equal(
    senderOf(
      endpoints,
      parseEndpoint("[::1]:40000"),
      parseEndpoint("[::1]:5000"),
    ),
    null,
  );
});

Deno.test("writeEndpoints() writes what parseEndpoint() reads", () => {
  const written = { client: "[::1]:40000", server: "[::1]:5000" };
  assert.deepEqual(
    writeEndpoints({
      client: parseEndpoint(written.client),
      server: parseEndpoint(written.server),
    }),
    written,
  );
});
