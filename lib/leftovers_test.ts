import assert from "node:assert/strict";
import { leftoversOf, parseProcNetTcp } from "./leftovers.ts";

// Rows in the kernel's format (see net/ipv4/tcp_ipv4.c).
const PROC_TCP =
  `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0
   1: 0100007F:9C40 0100007F:1F90 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000
   2: 0100007F:1F90 0100007F:9C40 05 00000000:00000000 00:00000000 00000000     0        0 0 1 0000000000000000 20 4 30 10 -1
`;
const PROC_TCP6 =
  `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:0050 00000000000000000000000001000000:D431 08 00000000:00000000 00:00000000 00000000     0        0 1 1
`;

Deno.test("parseProcNetTcp() decodes host-order hex addresses and Linux states", () => {
  assert.deepEqual(parseProcNetTcp(PROC_TCP), [
    { local: "127.0.0.1:8080", remote: "0.0.0.0:0", state: "LISTEN" },
    { local: "127.0.0.1:40000", remote: "127.0.0.1:8080", state: "TIME_WAIT" },
    { local: "127.0.0.1:8080", remote: "127.0.0.1:40000", state: "FIN_WAIT2" },
  ]);
  assert.deepEqual(parseProcNetTcp(PROC_TCP6), [
    { local: "[::1]:80", remote: "[::1]:54321", state: "CLOSE_WAIT" },
  ]);
});

Deno.test("leftoversOf() keeps the trial's 4-tuple only, by side", () => {
  const rows = parseProcNetTcp(PROC_TCP);
  assert.deepEqual(
    leftoversOf(rows, { client: "127.0.0.1:40000", server: "127.0.0.1:8080" }),
    [{ side: "client", state: "TIME_WAIT" }, {
      side: "server",
      state: "FIN_WAIT2",
    }],
  );
  assert.deepEqual(
    leftoversOf(rows, { client: "127.0.0.1:1", server: "127.0.0.1:8080" }),
    [],
  );
});
