import assert from "node:assert/strict";
import {
  parseTraceLine,
  sentResetOf,
  stateChangeOf,
  stateName,
} from "./trace_events.ts";

// Lines as Linux 6.18's trace_pipe printed them on the development machine.
const SET_STATE =
  "         python3-10019   [001] ..s2.  4721.220486: inet_sock_set_state: family=AF_INET protocol=IPPROTO_TCP sport=58228 dport=34101 saddr=127.0.0.1 daddr=127.0.0.1 saddrv6=::ffff:127.0.0.1 daddrv6=::ffff:127.0.0.1 oldstate=TCP_ESTABLISHED newstate=TCP_CLOSE_WAIT";
const RESET_618 =
  "         python3-10019   [001] .....  4721.520872: tcp_send_reset: skbaddr=0000000000000000 skaddr=0000000085d85714 src=127.0.0.1:58228 dest=127.0.0.1:34101 state=TCP_CLOSE reason=TCP_ABORT_ON_CLOSE";
const RESET_618_V6 =
  "  deno-77 [000] ..s1.  12.000001: tcp_send_reset: skbaddr=00000000a1 skaddr=00000000b2 src=[::1]:40000 dest=[::1]:5000 state=TCP_TIME_WAIT reason=TCP_TIMEWAIT_SOCKET";
// Linux 6.1 (include/trace/events/tcp.h, class tcp_event_sk_skb): ports as
// fields, no reason.
const RESET_61 =
  "     deno-1 [001] b..1.   99.100000: tcp_send_reset: skbaddr=0000000000000000 skaddr=00000000deadbeef family=AF_INET sport=40000 dport=5000 saddr=127.0.0.1 daddr=127.0.0.1 saddrv6=::ffff:127.0.0.1 daddrv6=::ffff:127.0.0.1 state=TCP_CLOSE";

Deno.test("parseTraceLine() reads the timestamp in microseconds, the event's name and its fields", () => {
  const e = parseTraceLine(SET_STATE);
  assert.ok(e);
  assert.equal(e.micros, 4721_220_486);
  assert.equal(e.name, "inet_sock_set_state");
  assert.equal(e.fields.sport, "58228");
  assert.equal(e.fields.saddrv6, "::ffff:127.0.0.1");
  assert.equal(parseTraceLine(""), null);
  assert.equal(parseTraceLine("CPU:1 [LOST 12 EVENTS]"), null);
});

Deno.test("stateChangeOf() names states as results do and keeps the ports", () => {
  assert.deepEqual(stateChangeOf(parseTraceLine(SET_STATE)!), {
    micros: 4721_220_486,
    sport: 58228,
    dport: 34101,
    from: "ESTABLISHED",
    to: "CLOSE_WAIT",
  });
  assert.equal(stateChangeOf(parseTraceLine(RESET_618)!), null);
  const sctp = SET_STATE.replace("IPPROTO_TCP", "IPPROTO_SCTP");
  assert.equal(stateChangeOf(parseTraceLine(sctp)!), null);
});

Deno.test("sentResetOf() reads both kernels' formats: 6.10+ addresses with a reason, 6.1 ports without", () => {
  assert.deepEqual(sentResetOf(parseTraceLine(RESET_618)!), {
    micros: 4721_520_872,
    sport: 58228,
    dport: 34101,
    reason: "TCP_ABORT_ON_CLOSE",
  });
  assert.deepEqual(sentResetOf(parseTraceLine(RESET_618_V6)!), {
    micros: 12_000_001,
    sport: 40000,
    dport: 5000,
    reason: "TCP_TIMEWAIT_SOCKET",
  });
  assert.deepEqual(sentResetOf(parseTraceLine(RESET_61)!), {
    micros: 99_100_000,
    sport: 40000,
    dport: 5000,
    reason: null,
  });
  assert.equal(sentResetOf(parseTraceLine(SET_STATE)!), null);
});

Deno.test("stateName() maps every kernel state through the tcp_info table", () => {
  assert.deepEqual(
    [
      "TCP_ESTABLISHED",
      "TCP_SYN_SENT",
      "TCP_SYN_RECV",
      "TCP_FIN_WAIT1",
      "TCP_FIN_WAIT2",
      "TCP_TIME_WAIT",
      "TCP_CLOSE",
      "TCP_CLOSE_WAIT",
      "TCP_LAST_ACK",
      "TCP_LISTEN",
      "TCP_CLOSING",
    ].map(stateName),
    [
      "ESTABLISHED",
      "SYN_SENT",
      "SYN_RECEIVED",
      "FIN_WAIT1",
      "FIN_WAIT2",
      "TIME_WAIT",
      "CLOSED",
      "CLOSE_WAIT",
      "LAST_ACK",
      "LISTEN",
      "CLOSING",
    ],
  );
});
