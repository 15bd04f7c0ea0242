import assert from "node:assert/strict";
import { EXPERIMENTS } from "../../experiments/mod.ts";
import { caseId } from "../engine/scenario.ts";
import type { Results } from "../results/format.ts";
import { answer, cell, LINUX } from "../testing/answers.ts";
import { buildAnswers } from "./answers.ts";

/** A copy of the Linux results under another platform id. */
function twin(id: string, edit: (r: Results) => void = () => {}): Results {
  const copy = structuredClone(LINUX);
  copy.platform.id = id;
  edit(copy);
  return copy;
}

/** The Linux results as a run without the tracer would have them. */
function untracedTwin(): Results {
  return twin("linux-x86_64-untraced", (r) => {
    for (const c of r.cases) {
      for (const t of c.trials) {
        t.transitions = t.resets = null;
        t.transitionsUnavailable = "not traced: run with --no-trace";
      }
    }
  });
}

const teardownId = (params: Record<string, string>) =>
  caseId("teardown", params);

Deno.test("the answers open with how the peer finds out, and count only teardowns that sent something", () => {
  // One run platform: nothing to compare stacks with, so no stacks answer.
  const answers = buildAnswers([LINUX], EXPERIMENTS).answers;
  assert.equal(answers[0]?.id, "find-out");
  const a = answers[0]!;
  // No close and shutdown none or SHUT_RD put nothing on the wire on
  // Linux: 2 shutdowns × 3 lingers × 2 unread × 2 actors = 24 of 96.
  assert.match(a.summary[0]!, /^72 of 96 teardown cases sent a FIN or an RST;/);
  assert.equal(a.rows.length, 36);
  assert.ok(
    a.rows.every((r) => !/close=no/.test(r.label) || /wr/.test(r.label)),
  );
  assert.match(
    cell(a, "linger=0 shutdown=none close=yes unread=none"),
    /^RST: recv ECONNRESET, /,
  );
  assert.match(
    cell(a, "linger=off shutdown=wr close=no unread=none"),
    /^FIN: recv eof, /,
  );
  // Every cell links to a case that exists.
  const ids = new Set(LINUX.cases.map((c) => c.id));
  for (const r of a.rows) assert.ok(ids.has(r.cells[0]!.caseId!), r.label);
});

Deno.test("close() answers: RST with linger {1,0} or unread data, FIN otherwise (Linux, RFC 2525 2.17), with the kernel's reason", () => {
  const a = answer([LINUX], "rst-or-fin");
  // Linux 6.18's tcp_close(): unread data is checked before a zero linger
  // (TCP_ABORT_ON_CLOSE); a zero linger alone goes through tcp_disconnect()
  // (TCP_STATE).
  assert.equal(cell(a, "linger=0 unread=none"), "RST (TCP_STATE)");
  assert.equal(
    cell(a, "linger=off unread=pending"),
    "RST (TCP_ABORT_ON_CLOSE)",
  );
  assert.equal(cell(a, "linger=0 unread=pending"), "RST (TCP_ABORT_ON_CLOSE)");
  assert.equal(
    cell(a, "linger=off unread=none"),
    "FIN (shutdown none, rd); nothing (shutdown wr, rdwr)",
  );
  // Without transitions the RST is there, without a reason.
  const untraced = untracedTwin();
  const both = answer([LINUX, untraced], "rst-or-fin");
  assert.equal(cell(both, "linger=0 unread=none", 1), "RST");
});

Deno.test("why the kernel sent each RST: by the steps that sent it, reasons counted in cases; an untraced platform says why it is left out", () => {
  const untraced = untracedTwin();
  const a = answer([LINUX, untraced], "rst-reasons");
  assert.deepEqual(a.platforms.map((p) => p.id), ["linux-x86_64-6.18"]);
  assert.match(
    a.how,
    /Left out, without transitions: linux-x86_64-untraced \(not traced: run with --no-trace\)/,
  );
  assert.equal(
    cell(a, "teardown: actor close()"),
    "TCP_ABORT_ON_CLOSE (24 cases), TCP_STATE (8 cases)",
  );
  assert.equal(
    cell(a, "article: client close()"),
    "TCP_ABORT_ON_CLOSE (3 cases)",
  );
  assert.match(
    cell(a, "teardown: the engine's cleanup close()"),
    /^TCP_ABORT_ON_CLOSE/,
  );
  // Every reason counted is a reset the file holds, paired with its RST
  // (in the traced trials: those between namespaces are not).
  const traced = LINUX.cases.filter((c) => Array.isArray(c.trials[0]!.resets));
  const resets = traced.reduce(
    (n, c) => n + (c.trials[0]!.resets?.length ?? 0),
    0,
  );
  const rsts = traced.reduce(
    (n, c) =>
      n + (c.trials[0]!.wire ?? []).filter((s) => s.flags.includes("R")).length,
    0,
  );
  assert.equal(resets, rsts);
  assert.match(
    a.summary[0]!,
    /^4 reasons: TCP_ABORT_ON_CLOSE, TCP_ABORT_ON_DATA, TCP_STATE, TCP_TIMEWAIT_SOCKET\.$/,
  );
});

Deno.test("SHUT_RD alone puts nothing on the wire and tells the peer nothing (Linux)", () => {
  const a = answer([LINUX], "shut-rd");
  assert.equal(cell(a, "unread=none: on the wire"), "nothing");
  assert.equal(cell(a, "unread=none: the peer saw"), "nothing changed");
  assert.match(cell(a, "unread=none: the actor reads"), /eof @after_shutdown/);
});

Deno.test("a pending reset error is reported once, to whichever call asks first (Linux)", () => {
  const a = answer([LINUX], "after-reset");
  for (const first of ["recv", "so_error", "send"]) {
    assert.match(
      cell(a, `abortive: ${first} first`),
      /^ECONNRESET; then: recv eof, so_error none;/,
    );
  }
  assert.match(
    cell(a, "after_fin: recv first"),
    /^eof; then: recv eof, so_error EPIPE;/,
  );
});

Deno.test("a platform is a column only in the answers it has data for", () => {
  const articleOnly = twin("linux-x86_64-article", (r) => {
    r.cases = r.cases.filter((c) => c.experiment === "article");
  });
  const answers = buildAnswers([LINUX, articleOnly], EXPERIMENTS).answers;
  const columns = Object.fromEntries(
    answers.map((a) => [a.id, a.platforms.map((p) => p.id)]),
  );
  assert.deepEqual(columns["find-out"], ["linux-x86_64-6.18"]);
  assert.deepEqual(columns.getpeername, [
    "linux-x86_64-6.18",
    "linux-x86_64-article",
  ]);
  // The second Linux run is compared with the first: the only stacks column.
  assert.deepEqual(columns.stacks, ["linux-x86_64-article"]);
  // Rows no platform has data for are left out.
  assert.ok(
    answers.every((a) =>
      a.rows.every((r) => r.cells.some((c) => c.text !== "not run"))
    ),
  );
});

Deno.test("actors that disagree get a cell each, and a case without wire says so", () => {
  const params = {
    close: "yes",
    linger: "0",
    shutdown: "none",
    unread: "none",
  };
  const other = twin("linux-x86_64-other", (r) => {
    const server = r.cases.find((c) =>
      c.id === teardownId({ ...params, actor: "server" })
    )!;
    for (const t of server.trials) {
      t.wire = null;
      t.wireUnavailable = "no privilege";
    }
  });
  const a = answer([other], "find-out");
  assert.match(
    cell(a, "linger=0 shutdown=none close=yes unread=none"),
    /^client acts: RST: recv ECONNRESET.*; server acts: \(no wire\): recv ECONNRESET/,
  );
  assert.match(
    a.summary[0]!,
    /\(1 without wire evidence, counted by what the peer saw\)/,
  );
});

Deno.test("the answers open with what differs between stacks once two of an OS were run, columns in platform order", () => {
  const gvisor = twin("linux-x86_64-gvisor-20221219", (r) => {
    r.platform.stack = {
      name: "gvisor",
      kind: "gvisor",
      version: "0.0~20221219.0",
      ran: "in runsc",
    };
  });
  const plain = twin("linux-x86_64", (r) => delete r.platform.stack);
  const answers = buildAnswers([plain, gvisor, LINUX], EXPERIMENTS).answers;
  assert.equal(answers[0]?.id, "stacks");
  assert.deepEqual(
    answers.map((a) => a.platforms.map((p) => p.id)),
    [
      ["linux-x86_64-gvisor-20221219", "linux-x86_64"],
      ...answers.slice(1).map(() => [
        "linux-x86_64-6.18",
        "linux-x86_64-gvisor-20221219",
        "linux-x86_64",
      ]),
    ],
  );
  assert.match(
    answers[0]!.summary[0]!,
    /^identical to linux-x86_64-6\.18 \(host\) in all 126 cases both ran\.$/,
  );
});
