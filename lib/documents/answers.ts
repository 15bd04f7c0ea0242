/**
 * The answers people come for, derived from the platform files alone: what
 * differs between the stacks run (`stack_differences.ts`), how the peer
 * finds out that the connection is gone, when close() sends an RST
 * instead of a FIN, what SHUT_RD does, whether getpeername() (the article's
 * `connected()`) tells anything, and what the calls report once a reset has
 * arrived. One table per question, a column per platform; each cell names
 * the case it comes from so documents can link it. Nothing here is prose
 * about a platform: every word in a cell is computed from its results, and
 * a platform without the data says so in its cell.
 *
 * The questions read the factors of the experiments they are about by name
 * (`close`, `linger`, `shutdown`, `unread` of the experiment that has a
 * `watch`; `reset` and `first` of `reset`; the article's `linger`); a
 * question whose experiment or factors are missing is left out.
 *
 * @module
 */

import { observationKey as key } from "../engine/keys.ts";
import {
  caseId,
  expandCases,
  type Experiment,
  type Params,
} from "../engine/scenario.ts";
import type {
  CaseResult,
  Platform,
  Results,
  Segment,
} from "../results/format.ts";
import { compareIds } from "../results/format.ts";
import {
  type Answer,
  type AnswerCell,
  type AnswerRow,
  type Answers,
  type CaseIndex,
  type Draft,
  NOT_RUN,
} from "./answer.ts";
import { deadPeers } from "./dead_peers.ts";
import { inPlatformOrder } from "./platform_order.ts";
import { slowClose } from "./slow_close.ts";
import { type Reveal, revealsOf, watchPlan } from "./reveals.ts";
import { stacksAnswer } from "./stack_differences.ts";
import {
  reasonsByCause,
  reasonText,
  resetsOnWire,
  untracedWhy,
} from "./reset_reasons.ts";
import { paramsText, showValue } from "./words.ts";

export type { Answer, AnswerCell, AnswerRow, Answers } from "./answer.ts";

/** Observers in the order an application meets them, for cell text. */
const SHOWN_ORDER = ["recv", "poll", "so_error", "tcp_state", "getpeername"];

/** A case's segments before the engine's cleanup, from its first wire. */
function ownSegments(c: CaseResult): {
  segments: readonly Segment[];
  checkpoints: Readonly<Record<string, number>>;
} | null {
  const trial = c.trials.find((t) => Array.isArray(t.wire));
  if (!trial?.wire) return null;
  return {
    segments: trial.wire.slice(0, trial.wireCleanupAt ?? trial.wire.length),
    checkpoints: trial.wireCheckpoints ?? {},
  };
}

/** `RST` or `FIN`: the first of them `side` sent, or `null`. */
function teardownKind(
  segments: readonly Segment[],
  side: string,
): "RST" | "FIN" | null {
  const first = segments.find((s) => s.from === side && /[FR]/.test(s.flags));
  if (!first) return null;
  return first.flags.includes("R") ? "RST" : "FIN";
}

/** What `side` sent in `segments`, as `FIN`, `RST`, `FIN, RST` or `nothing`. */
function sentBy(segments: readonly Segment[], side: string): string {
  const kinds: string[] = [];
  for (const s of segments) {
    if (s.from !== side) continue;
    const kind = s.flags.includes("R")
      ? "RST"
      : s.flags.includes("F")
      ? "FIN"
      : null;
    if (kind && kinds.at(-1) !== kind) kinds.push(kind);
  }
  return kinds.length ? kinds.join(", ") : "nothing";
}

/**
 * Cells of a row, one per platform, whose per-actor results are merged when
 * they agree. `cell` returns `null` where there is nothing to say; a
 * platform whose every actor gives `null` gets `nothing`, one that has not
 * run the case {@linkcode NOT_RUN}.
 */
function perActor(
  index: CaseIndex,
  experiment: Experiment,
  params: Params,
  factor: string,
  cell: (c: CaseResult, actor: string) => string | null,
  nothing: string,
): AnswerCell[] {
  const actors = factorValues(experiment, factor);
  return index.map((cases) => {
    const ran = actors.flatMap((actor) => {
      const id = caseId(experiment.name, { ...params, [factor]: actor });
      const c = cases.get(id);
      return c ? [{ actor, id, text: cell(c, actor) }] : [];
    });
    if (ran.length === 0) return { text: NOT_RUN };
    const found = ran.filter((f) => f.text !== null);
    if (found.length === 0) return { text: nothing, caseId: ran[0]!.id };
    const first = found[0]!;
    if (
      found.length === ran.length && found.every((f) => f.text === first.text)
    ) {
      return { text: first.text!, caseId: first.id };
    }
    return {
      text: ran.map((f) => `${f.actor} acts: ${f.text ?? nothing}`).join("; "),
      caseId: first.id,
    };
  });
}

/** The teardown experiment's cases by teardown (params without the actor). */
function teardowns(experiment: Experiment, factor: string): Params[] {
  const seen = new Map<string, Params>();
  for (const c of expandCases(experiment)) {
    const { [factor]: _, ...rest } = c.params;
    seen.set(JSON.stringify(rest), rest);
  }
  return [...seen.values()];
}

/** The first checkpoint's observers that showed the teardown. */
function firstSigns(
  reveals: Readonly<Record<string, Reveal | null>>,
  checkpoints: readonly string[],
): { shown: string; afterSending: boolean } | null {
  const all = Object.entries(reveals).flatMap(([observer, r]) =>
    r ? [{ observer, ...r }] : []
  );
  if (all.length === 0) return null;
  const quiet = all.filter((r) => !r.afterSending);
  const pool = quiet.length ? quiet : all;
  const rank = (at: string) => {
    const i = checkpoints.indexOf(at);
    return i < 0 ? checkpoints.length : i;
  };
  const earliest = Math.min(...pool.map((r) => rank(r.at)));
  const first = pool.filter((r) => rank(r.at) === earliest)
    .sort((a, b) => order(a.observer) - order(b.observer));
  const shown = first.map((r) =>
    r.observer === "recv" || r.observer === "so_error" ||
      r.observer === "send"
      ? `${r.observer} ${showValue(r.value)}`
      : r.observer
  ).join(", ");
  return { shown, afterSending: quiet.length === 0 };
}

function order(observer: string): number {
  const i = SHOWN_ORDER.indexOf(observer);
  return i < 0 ? SHOWN_ORDER.length : i;
}

/** Text of a teardown that put no FIN or RST on the wire. */
const SENT_NOTHING = "sent nothing";

/** What one peer saw of one teardown, or `null` if nothing was sent. */
interface Sighting {
  readonly sent: "RST" | "FIN" | "unknown";
  readonly first: { shown: string; afterSending: boolean } | null;
  readonly getpeername: Reveal | null;
}

function sighting(
  c: CaseResult,
  actor: string,
  experiment: Experiment,
  watcher: string,
): Sighting | null {
  const plan = watchPlan(
    watcher,
    experiment.checkpoints,
    experiment.steps(c.params),
  );
  const reveals = revealsOf(c.observations, plan);
  const own = ownSegments(c);
  const kind = own ? teardownKind(own.segments, actor) : null;
  const first = firstSigns(reveals, experiment.checkpoints);
  // Without the wire, a teardown counts as sent when the peer saw anything.
  if (own ? kind === null : first === null) return null;
  return {
    sent: kind ?? "unknown",
    first,
    getpeername: reveals.getpeername ?? null,
  };
}

/** What the watcher saw of a case's teardown; see {@linkcode sightings}. */
type SightingOf = (c: CaseResult) => Sighting | null;

/**
 * The sightings of `experiment`'s cases, each worked out once (from its
 * steps, reveals and wire) however many answers ask.
 */
function sightings(experiment: Experiment): SightingOf | null {
  const { watch } = experiment;
  if (!watch) return null;
  const seen = new Map<CaseResult, Sighting | null>();
  return (c) => {
    if (!seen.has(c)) {
      const actor = c.params[watch.factor] ?? "";
      seen.set(c, sighting(c, actor, experiment, watch.watcher));
    }
    return seen.get(c)!;
  };
}

function sightingText(s: Sighting): string {
  const wire = s.sent === "unknown" ? "(no wire)" : s.sent;
  if (!s.first) return `${wire}: never seen`;
  return s.first.afterSending
    ? `${wire}: only once it sent: ${s.first.shown}`
    : `${wire}: ${s.first.shown}`;
}

function findOut(
  index: CaseIndex,
  experiment: Experiment,
  sightingOf: SightingOf,
): Draft | null {
  const { watch } = experiment;
  if (!watch) return null;
  const rows: AnswerRow[] = [];
  const counts = index.map(() => ({
    cases: 0,
    sent: 0,
    quiet: 0,
    afterSending: 0,
    never: 0,
    noWire: 0,
  }));
  for (const params of teardowns(experiment, watch.factor)) {
    const cells = perActor(
      index,
      experiment,
      params,
      watch.factor,
      (c) => {
        const s = sightingOf(c);
        return s ? sightingText(s) : null;
      },
      SENT_NOTHING,
    );
    // Count per platform and actor, then keep rows where something was sent.
    index.forEach((cases, p) => {
      const n = counts[p]!;
      for (const actor of factorValues(experiment, watch.factor)) {
        const c = cases.get(
          caseId(experiment.name, { ...params, [watch.factor]: actor }),
        );
        if (!c) continue;
        n.cases++;
        const s = sightingOf(c);
        if (!s) continue;
        n.sent++;
        if (s.sent === "unknown") n.noWire++;
        if (!s.first) n.never++;
        else if (s.first.afterSending) n.afterSending++;
        else n.quiet++;
      }
    });
    if (cells.every((c) => c.text === NOT_RUN || c.text === SENT_NOTHING)) {
      continue;
    }
    rows.push({ label: paramsText(params, experiment), cells });
  }
  if (rows.length === 0) return null;
  return {
    id: "find-out",
    question: "How does the peer find out that the connection is gone?",
    how: `For every teardown that put a FIN or an RST on the wire: what ` +
      `arrived, and which of the peer's observers showed it first, at the ` +
      `first checkpoint where any did; "only once it sent" means nothing ` +
      `showed it until the peer itself tried to send. Teardowns that sent ` +
      `nothing (no close, and shutdown none or SHUT_RD) are left out.`,
    rowHeading: "teardown",
    summary: counts.map((n) =>
      n.cases === 0 ? "" : `${n.sent} of ${n.cases} ${experiment.name} ` +
        `cases sent a FIN or an RST` +
        (n.noWire
          ? ` (${n.noWire} without wire evidence, counted by what the ` +
            `peer saw)`
          : "") +
        `; the peer saw ${n.quiet} of them without sending anything, ` +
        `${n.afterSending} only once it sent, ${n.never} never.`
    ),
    rows,
  };
}

/** The segments between the checkpoints around the actor's `close()`. */
/**
 * What the actor's close() sent (between the checkpoints around it), with
 * the kernel's reasons for its RSTs where the trial traced them:
 * `RST (TCP_ABORT_ON_CLOSE)`.
 */
function closeSent(
  c: CaseResult,
  experiment: Experiment,
  actorRole: string,
  actor: string,
): string | null {
  const window = closeWindow(c, experiment, actorRole);
  if (window === null) return null;
  const sent = sentBy(window.segments, actor);
  const trial = c.trials.find((t) => Array.isArray(t.wire));
  const placed = trial ? resetsOnWire(trial) : null;
  const reasons = [
    ...new Set(
      (placed ?? []).filter((p) =>
        p.side === actor && p.index >= window.from &&
        p.index < window.from + window.segments.length
      ).map(reasonText),
    ),
  ];
  return reasons.length ? `${sent} (${reasons.join(", ")})` : sent;
}

function closeWindow(
  c: CaseResult,
  experiment: Experiment,
  actorRole: string,
): { segments: readonly Segment[]; from: number } | null {
  const own = ownSegments(c);
  if (!own) return null;
  const steps = experiment.steps(c.params);
  const at = steps.findIndex((s) => s.op === "close" && s.as === actorRole);
  if (at < 0) return null;
  const before = steps.slice(0, at).findLast((s) => s.op === "observe");
  const after = steps.slice(at).find((s) => s.op === "observe");
  if (before?.op !== "observe" || after?.op !== "observe") return null;
  const from = own.checkpoints[before.checkpoint];
  const to = own.checkpoints[after.checkpoint];
  if (from === undefined || to === undefined) return null;
  return { segments: own.segments.slice(from, to), from };
}

function closeSends(
  index: CaseIndex,
  experiment: Experiment,
): Draft | null {
  const { watch } = experiment;
  if (!watch || !hasFactors(experiment, ["close", "linger", "unread"])) {
    return null;
  }
  const shutdowns = factorValues(experiment, "shutdown");
  const rows: AnswerRow[] = [];
  for (const linger of factorValues(experiment, "linger")) {
    for (const unread of factorValues(experiment, "unread")) {
      const cells = index.map((cases): AnswerCell => {
        const outcomes = new Map<string, string[]>();
        let link: string | undefined;
        for (const shutdown of shutdowns.length ? shutdowns : [""]) {
          for (const actor of factorValues(experiment, watch.factor)) {
            const params: Record<string, string> = {
              close: "yes",
              linger,
              unread,
              [watch.factor]: actor,
            };
            if (shutdown) params.shutdown = shutdown;
            const id = caseId(experiment.name, params);
            const c = cases.get(id);
            if (!c) continue;
            const text = closeSent(c, experiment, watch.actor, actor) ??
              "no wire evidence";
            link ??= id;
            const list = outcomes.get(text) ?? [];
            if (shutdown && !list.includes(shutdown)) list.push(shutdown);
            outcomes.set(text, list);
          }
        }
        if (outcomes.size === 0) return { text: NOT_RUN };
        const text = outcomes.size === 1
          ? [...outcomes.keys()][0]!
          : [...outcomes].map(([what, list]) =>
            `${what} (shutdown ${list.join(", ")})`
          ).join("; ");
        return link === undefined ? { text } : { text, caseId: link };
      });
      if (cells.every((c) => c.text === NOT_RUN)) continue;
      rows.push({ label: `linger=${linger} unread=${unread}`, cells });
    }
  }
  if (rows.length === 0) return null;
  return {
    id: "rst-or-fin",
    question: "When does close() send an RST instead of a FIN?",
    how: "What the actor's close() put on the wire, between the checkpoints " +
      "before and after it, for each SO_LINGER setting (off, {1,0}, {1,N}) " +
      "and whether the peer's data was left unread; by the shutdown() " +
      'done before where that changes it ("nothing": the FIN had already ' +
      "gone with the shutdown). In brackets, the reason the kernel traced " +
      "for the RST, where it was traced (Linux, as root).",
    rowHeading: "close() with",
    summary: index.map(() => ""),
    rows,
  };
}

/**
 * Why the kernel sent each RST: per experiment and the steps that sent it,
 * the reasons each platform's kernel traced (`tcp_send_reset`), in cases.
 * Platforms without transitions have no column; the text says why.
 */
function rstReasons(
  index: CaseIndex,
  experiments: readonly Experiment[],
  platforms: readonly Platform[],
): Draft | null {
  const per = index.map((cases) => reasonsByCause(cases, experiments));
  if (per.every((p) => p === null)) return null;
  const causes = [...new Set(per.flatMap((p) => p ? [...p.keys()] : []))]
    .sort(compareIds);
  const rows = causes.map((cause): AnswerRow => ({
    label: cause,
    cells: per.map((p): AnswerCell => {
      if (p === null) return { text: NOT_RUN };
      const reasons = p.get(cause);
      if (!reasons) return { text: "no RST" };
      return {
        text: reasons.map((r) =>
          `${r.reason} (${r.cases} case${r.cases === 1 ? "" : "s"})`
        ).join(", "),
        caseId: reasons[0]!.caseId,
      };
    }),
  }));
  const untraced = index.flatMap((cases, i) =>
    per[i] === null && cases.size
      ? [`${platforms[i]!.id} (${untracedWhy(cases) ?? "not traced"})`]
      : []
  );
  return {
    id: "rst-reasons",
    question: "Why does the kernel send each RST?",
    how: "Every RST on the wire, by the steps that sent it, with the reason " +
      "the kernel gave when it traced the reset (Linux's tcp_send_reset; " +
      "kernels before 6.10 give none), in each case's first trial: the " +
      "k-th reset a side's kernel traced is the k-th RST it put on the " +
      "wire. Where a side's traced resets do not pair with its RSTs, its " +
      'RSTs read "not traced".' +
      (untraced.length
        ? ` Left out, without transitions: ${untraced.join("; ")}.`
        : ""),
    rowHeading: "RST sent by",
    summary: per.map((p) => {
      if (p === null) return "";
      const all = [...p.values()].flat();
      const kinds = [
        ...new Set(
          all.map((r) => r.reason).filter((r) =>
            r !== "not traced" && r !== "no reason given"
          ),
        ),
      ].sort(compareIds);
      const untraced = all.filter((r) => r.reason === "not traced")
        .reduce((n, r) => n + r.cases, 0);
      return (kinds.length
        ? `${kinds.length} reason${kinds.length === 1 ? "" : "s"}: ${
          kinds.join(", ")
        }`
        : "no reasons: this kernel traces resets without one") +
        (untraced
          ? `; RSTs on the wire it traced no reset for in ${untraced} case${
            untraced === 1 ? "" : "s"
          }`
          : "") +
        ".";
    }),
    rows,
  };
}

function shutRd(index: CaseIndex, experiment: Experiment): Draft | null {
  const { watch } = experiment;
  if (!watch || !hasFactors(experiment, ["shutdown", "close", "unread"])) {
    return null;
  }
  if (!factorValues(experiment, "shutdown").includes("rd")) return null;
  const [baseline] = experiment.checkpoints;
  const rows: AnswerRow[] = [];
  for (const unread of factorValues(experiment, "unread")) {
    const base: Record<string, string> = {
      shutdown: "rd",
      close: "no",
      unread,
    };
    if (hasFactors(experiment, ["linger"])) base.linger = "off";
    const wire = perActor(index, experiment, base, watch.factor, (c, actor) => {
      const own = ownSegments(c);
      const from = own?.checkpoints[baseline!];
      return own && from !== undefined
        ? sentBy(own.segments.slice(from), actor)
        : "no wire evidence";
    }, NOT_RUN);
    const peer = perActor(index, experiment, base, watch.factor, (c) => {
      const plan = watchPlan(
        watch.watcher,
        experiment.checkpoints,
        experiment.steps(c.params),
      );
      const reveals = revealsOf(c.observations, plan);
      const changed = Object.entries(reveals).filter(([, r]) => r);
      return changed.length === 0
        ? "nothing changed"
        : changed.map(([o, r]) => `${o} ${showValue(r!.value)} @${r!.at}`).join(
          ", ",
        );
    }, NOT_RUN);
    const actorReads = perActor(
      index,
      experiment,
      base,
      watch.factor,
      (c) => {
        const o = c.observations;
        const at = (cp: string) => showValue(o[key(watch.actor, "recv", cp)]);
        const later = experiment.checkpoints.filter((cp) => cp !== baseline);
        return `recv: ${at(baseline!)} before, then ${
          later.map((cp) => `${at(cp)} @${cp}`).join(", ")
        }`;
      },
      NOT_RUN,
    );
    rows.push(
      { label: `unread=${unread}: on the wire`, cells: wire },
      { label: `unread=${unread}: the peer saw`, cells: peer },
      { label: `unread=${unread}: the actor reads`, cells: actorReads },
    );
  }
  return {
    id: "shut-rd",
    question: "What does shutdown(SHUT_RD) do?",
    how: "SHUT_RD alone (no close), with linger off: what the actor sent " +
      "after the connection was set up, what changed for the peer, and what " +
      "the actor's own recv (MSG_PEEK) returned before and after, also once " +
      "the peer had sent more.",
    rowHeading: "SHUT_RD",
    summary: index.map(() => ""),
    rows: rows.filter((r) => r.cells.some((c) => c.text !== NOT_RUN)),
  };
}

function getpeername(
  index: CaseIndex,
  experiments: readonly Experiment[],
  sightingOf: SightingOf | null,
): Draft | null {
  const rows: AnswerRow[] = [];
  const article = experiments.find((e) => e.name === "article");
  if (article && hasFactors(article, ["linger"])) {
    for (const linger of factorValues(article, "linger")) {
      const cells = index.map((cases): AnswerCell => {
        const found = [...cases.values()].filter((c) =>
          c.experiment === article.name && c.params.linger === linger
        ).sort((a, b) => compareIds(a.id, b.id));
        if (found.length === 0) return { text: NOT_RUN };
        const texts = [
          ...new Set(found.map((c) => {
            const o = c.observations;
            const state = o["client.tcp_state.after_wait"];
            return `connected() ${
              showValue(o["client.connected.after_wait"])
            }` +
              (state === undefined ? "" : ` (state ${showValue(state)})`);
          })),
        ];
        return { text: texts.join("; "), caseId: found[0]!.id };
      });
      rows.push({
        label: `article: the client after the server's close, linger=${linger}`,
        cells,
      });
    }
  }
  const teardown = experiments.find((e) => e.watch);
  if (teardown && sightingOf) {
    for (const kind of ["FIN", "RST"] as const) {
      const cells = index.map((cases): AnswerCell => {
        let quiet = 0, after = 0, never = 0;
        let link: string | undefined;
        for (const c of cases.values()) {
          if (c.experiment !== teardown.name) continue;
          const s = sightingOf(c);
          if (!s || s.sent !== kind) continue;
          link ??= c.id;
          if (!s.getpeername) never++;
          else if (s.getpeername.afterSending) after++;
          else quiet++;
        }
        const n = quiet + after + never;
        if (![...cases.values()].some((c) => c.experiment === teardown.name)) {
          return { text: NOT_RUN };
        }
        if (n === 0) return { text: `no ${kind} first` };
        const text = `fails (ENOTCONN) without the peer sending in ` +
          `${quiet} of ${n}, only after it sent in ${after}, never in ${never}`;
        return link === undefined ? { text } : { text, caseId: link };
      });
      rows.push({
        label: `${teardown.name}: teardowns that sent ${
          kind === "FIN" ? "a FIN first" : "an RST first"
        }`,
        cells,
      });
    }
  }
  if (rows.length === 0) return null;
  return {
    id: "getpeername",
    question: "Does getpeername() (the article's connected()) tell you " +
      "anything?",
    how: "getpeername() succeeds until the socket has no peer any more; a " +
      "FIN leaves the peer in CLOSE_WAIT with its peer intact. Counted over " +
      "the teardowns that sent something, by what they sent first.",
    rowHeading: "situation",
    summary: index.map(() => ""),
    rows,
  };
}

function afterReset(
  index: CaseIndex,
  experiments: readonly Experiment[],
): Draft | null {
  const experiment = experiments.find((e) => e.name === "reset");
  if (!experiment || !hasFactors(experiment, ["reset", "first"])) return null;
  const [, first, ...later] = experiment.checkpoints;
  const rows: AnswerRow[] = [];
  for (const reset of factorValues(experiment, "reset")) {
    for (const call of factorValues(experiment, "first")) {
      const id = caseId(experiment.name, { reset, first: call });
      const cells = index.map((cases): AnswerCell => {
        const c = cases.get(id);
        if (!c) return { text: NOT_RUN };
        const o = c.observations;
        const role = experiment.steps(c.params).find((s) =>
          s.op === "observe"
        )?.as ?? "";
        const firstValue =
          o[key(role, call, call === "send" ? "first" : first)];
        const rest = later.map((cp) =>
          `${cp}: recv ${showValue(o[key(role, "recv", cp)])}, so_error ${
            showValue(o[key(role, "so_error", cp)])
          }`
        ).join("; ");
        return { text: `${showValue(firstValue)}; ${rest}`, caseId: id };
      });
      rows.push({ label: `${reset}: ${call} first`, cells });
    }
  }
  return {
    id: "after-reset",
    question: "What do recv(), SO_ERROR and send() say once an RST has " +
      "arrived, and how often?",
    how: "The first call's result, then what recv (MSG_PEEK) and " +
      'getsockopt(SO_ERROR) say after it, twice. "abortive": SO_LINGER ' +
      '{1,0} and close(); "after_fin": an orderly close, then the peer sends ' +
      "and the closed socket answers with an RST.",
    rowHeading: "reset: first call",
    summary: index.map(() => ""),
    rows,
  };
}

/**
 * Keeps the columns of the platforms that have data for the answer and the
 * rows some platform has data for; `null` when no platform has any.
 */
function narrow(draft: Draft, platforms: readonly Platform[]): Answer | null {
  const keep = platforms.flatMap((_, i) =>
    draft.rows.some((r) => r.cells[i]?.text !== NOT_RUN) ? [i] : []
  );
  if (keep.length === 0) return null;
  return {
    ...draft,
    platforms: keep.map((i) => platforms[i]!),
    summary: keep.map((i) => draft.summary[i] ?? ""),
    rows: draft.rows
      .filter((r) => r.cells.some((c) => c.text !== NOT_RUN))
      .map((r) => ({ ...r, cells: keep.map((i) => r.cells[i]!) })),
  };
}

function hasFactors(experiment: Experiment, names: readonly string[]) {
  return names.every((n) => experiment.factors.some((f) => f.name === n));
}

function factorValues(experiment: Experiment, name: string): string[] {
  return [...(experiment.factors.find((f) => f.name === name)?.values ?? [])];
}

/**
 * Answers the questions over `results` (platforms in
 * {@linkcode inPlatformOrder}; a column each, transcribed ones included
 * where they hold the cases), what differs between stacks first.
 */
export function buildAnswers(
  results: readonly Results[],
  experiments: readonly Experiment[],
): Answers {
  const sorted = inPlatformOrder(results);
  const index = sorted.map((r) => new Map(r.cases.map((c) => [c.id, c])));
  const watched = experiments.find((e) => e.watch);
  const sightingOf = watched ? sightings(watched) : null;
  const drafts = [
    watched && sightingOf ? findOut(index, watched, sightingOf) : null,
    watched ? closeSends(index, watched) : null,
    rstReasons(index, experiments, sorted.map((r) => r.platform)),
    watched ? shutRd(index, watched) : null,
    getpeername(index, experiments, sightingOf),
    afterReset(index, experiments),
    deadPeers(index, experiments),
    slowClose(index, experiments),
  ].filter((a) => a !== null);
  const stacks = stacksAnswer(sorted, experiments);
  return {
    answers: [
      ...(stacks ? [stacks] : []),
      ...drafts.flatMap((d) => {
        const answer = narrow(d, sorted.map((r) => r.platform));
        return answer ? [answer] : [];
      }),
    ],
  };
}
