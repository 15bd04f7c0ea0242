/**
 * A ladder diagram of one trial's wire as inline SVG, in the style of TCP/IP
 * Illustrated: the client and the server as two vertical lifelines, one
 * arrow per segment in the order captured, labelled with its tcpdump flags
 * and payload length. Checkpoints cut across as dashed lines at the point
 * of the wire where the steps reached them, with each side's TCP state
 * written beside its lifeline; the segments the engine's own cleanup caused
 * (closing what the steps left open) come after a "cleanup" line, greyed.
 * Where the kernel was traced, each side's state transitions stand beside
 * its lifeline where they happened among the segments, with their time
 * from the trial's start, each RST carries the kernel's reason, and the
 * lifeline ends with what the kernel kept (TIME_WAIT, …).
 *
 * @module
 */

import type { Segment } from "../../results/format.ts";
import { escapeHtml } from "./escape.ts";

const WIDTH = 500;
const LEFT = 150;
const RIGHT = 350;
const TOP = 30;
const STEP = 18;
const DROP = 8;

/** A checkpoint on the ladder: after `at` segments, and the states then. */
export interface LadderMark {
  readonly checkpoint: string;
  /** Segments that had crossed when the checkpoint was reached. */
  readonly at: number;
  /** Each side's TCP state at the checkpoint, where it was observed. */
  readonly client?: string;
  readonly server?: string;
  /**
   * Microseconds from the trial's start when it was reached, where the
   * kernel was traced: its place among the transitions.
   */
  readonly t?: number;
}

/** A state transition on the ladder: into `state`, after `at` segments. */
export interface LadderState {
  readonly side: "client" | "server";
  readonly state: string;
  /** Segments the kernel had stamped before it. */
  readonly at: number;
  /** Microseconds from the trial's start. */
  readonly t: number;
}

/** What a ladder shows besides the segments. */
export interface LadderOptions {
  /** Index of the first segment the engine's cleanup caused. */
  readonly cleanupAt?: number;
  readonly marks?: readonly LadderMark[];
  /** The kernel's transitions, in the order traced. */
  readonly states?: readonly LadderState[];
  /** The kernel's reason for each RST, by its index in the wire. */
  readonly reasons?: Readonly<Record<number, string>>;
  /** What the kernel kept of each side after both closed. */
  readonly kept?: { readonly client?: string; readonly server?: string };
}

/** The CSS class of a segment: its most telling flag. */
export function segmentClass(flags: string): string {
  if (flags.includes("R")) return "seg-rst";
  if (flags.includes("F")) return "seg-fin";
  if (flags.includes("S")) return "seg-syn";
  if (flags.includes("P")) return "seg-data";
  return "seg-ack";
}

/** A segment's label: flags, and the length when it carries data. */
export function segmentLabel(segment: Segment): string {
  return segment.len > 0 ? `${segment.flags} ${segment.len}` : segment.flags;
}

/** A transition's text: the state entered and when, in milliseconds. */
export function stateLabel(state: LadderState): string {
  return `${state.state} ${(state.t / 1000).toFixed(2)} ms`;
}

/** Beside the lifelines: a side's text each, at most. */
interface Beside {
  client?: string;
  server?: string;
}

/** One row of the drawing, top to bottom. */
type Row =
  | {
    readonly kind: "segment";
    readonly segment: Segment;
    readonly cleanup: boolean;
  }
  | { readonly kind: "mark"; readonly mark: LadderMark }
  | { readonly kind: "state"; readonly beside: Beside; readonly kept: boolean }
  | {
    readonly kind: "reason";
    readonly reason: string;
    readonly cleanup: boolean;
  }
  | { readonly kind: "cleanup" };

/**
 * The checkpoints and transitions after `at` segments, as rows, in the
 * order they happened (checkpoints without a time first): a side's next
 * transition shares a row with the other side's where nothing came
 * between them.
 */
function betweenRows(
  marks: readonly LadderMark[],
  states: readonly LadderState[],
  at: number,
): Row[] {
  const events = [
    ...marks.filter((m) => m.at === at).map((mark, i) => ({
      t: mark.t ?? -1,
      order: i,
      mark,
    })),
    ...states.filter((s) => s.at === at).map((state, i) => ({
      t: state.t,
      order: 1000 + i,
      state,
    })),
  ].sort((a, b) => a.t - b.t || a.order - b.order);
  const rows: Row[] = [];
  let open: Beside | null = null;
  for (const e of events) {
    if ("mark" in e) {
      rows.push({ kind: "mark", mark: e.mark });
      open = null;
      continue;
    }
    const { side } = e.state;
    if (open && open[side] === undefined) open[side] = stateLabel(e.state);
    else {
      open = { [side]: stateLabel(e.state) };
      rows.push({ kind: "state", beside: open, kept: false });
    }
  }
  return rows;
}

/** Segments, checkpoints and the cleanup line in the order they happened. */
function rows(wire: readonly Segment[], options: LadderOptions): Row[] {
  const out: Row[] = [];
  const marks = options.marks ?? [];
  const cleanupAt = options.cleanupAt;
  const states = options.states ?? [];
  for (let i = 0; i <= wire.length; i++) {
    out.push(...betweenRows(marks, states, i));
    if (cleanupAt === i && i < wire.length) out.push({ kind: "cleanup" });
    const segment = wire[i];
    if (segment) {
      const cleanup = cleanupAt !== undefined && i >= cleanupAt;
      out.push({ kind: "segment", segment, cleanup });
      const reason = options.reasons?.[i];
      if (reason !== undefined) out.push({ kind: "reason", reason, cleanup });
    }
  }
  const kept = options.kept;
  if (kept && (kept.client || kept.server)) {
    out.push({
      kind: "state",
      kept: true,
      beside: {
        ...(kept.client ? { client: `kept: ${kept.client}` } : {}),
        ...(kept.server ? { server: `kept: ${kept.server}` } : {}),
      },
    });
  }
  return out;
}

function segmentSvg(segment: Segment, y1: number, cleanup: boolean): string {
  const y2 = y1 + DROP;
  const [x1, x2] = segment.from === "client" ? [LEFT, RIGHT] : [RIGHT, LEFT];
  const dir = x2 > x1 ? -1 : 1;
  const head = `${x2},${y2} ${x2 + dir * 7},${y2 - 4} ${x2 + dir * 6},${
    y2 + 3
  }`;
  const classes = segmentClass(segment.flags) + (cleanup ? " cleanup" : "");
  return `<g class="${classes}">` +
    `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}"/>` +
    `<polygon points="${head}"/>` +
    `<text x="${(LEFT + RIGHT) / 2}" y="${
      y1 + DROP / 2 - 2
    }" text-anchor="middle">${escapeHtml(segmentLabel(segment))}</text>` +
    `</g>`;
}

/** The kernel's reason for the RST just drawn, under its arrow. */
function reasonSvg(reason: string, y: number, cleanup: boolean): string {
  return `<text class="reason${cleanup ? " cleanup" : ""}" x="${
    (LEFT + RIGHT) / 2
  }" y="${y}" text-anchor="middle">reason: ${escapeHtml(reason)}</text>`;
}

function stateSvg(beside: Beside, y: number, kept: boolean): string {
  const cls = kept ? "kept" : "transition";
  return [
    beside.client === undefined
      ? ""
      : `<text class="${cls}" x="${LEFT - 6}" y="${y}" text-anchor="end">${
        escapeHtml(beside.client)
      }</text>`,
    beside.server === undefined
      ? ""
      : `<text class="${cls}" x="${RIGHT + 6}" y="${y}" text-anchor="start">${
        escapeHtml(beside.server)
      }</text>`,
  ].join("");
}

function markSvg(mark: LadderMark, y: number): string {
  const states = [
    mark.client === undefined
      ? ""
      : `<text class="state" x="${LEFT - 6}" y="${y + 4}" text-anchor="end">${
        escapeHtml(mark.client)
      }</text>`,
    mark.server === undefined
      ? ""
      : `<text class="state" x="${RIGHT + 6}" y="${
        y + 4
      }" text-anchor="start">${escapeHtml(mark.server)}</text>`,
  ].join("");
  return `<g class="checkpoint">` +
    `<line x1="${LEFT}" y1="${y}" x2="${RIGHT}" y2="${y}"/>` +
    `<text x="${(LEFT + RIGHT) / 2}" y="${y - 3}" text-anchor="middle">${
      escapeHtml(mark.checkpoint)
    }</text>${states}</g>`;
}

function cleanupSvg(y: number): string {
  return `<g class="cleanup-line">` +
    `<line x1="${LEFT}" y1="${y}" x2="${RIGHT}" y2="${y}"/>` +
    `<text x="${(LEFT + RIGHT) / 2}" y="${
      y - 3
    }" text-anchor="middle">cleanup: the engine closes</text></g>`;
}

/**
 * The SVG of `wire`; `title` names it for screen readers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ladderSvg } from "./ladder.ts";
 * const svg = ladderSvg([{ from: "client", flags: "S", len: 0 }], "trial 1");
 * assert.match(svg, /^<svg class="ladder"/);
 * assert.match(svg, /<title>trial 1<\/title>/);
 * ```
 */
export function ladderSvg(
  wire: readonly Segment[],
  title: string,
  options: LadderOptions = {},
): string {
  const drawn = rows(wire, options);
  const height = TOP + drawn.length * STEP + 10;
  const lines = [
    `<svg class="ladder" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img">`,
    `<title>${escapeHtml(title)}</title>`,
    `<text x="${LEFT}" y="12" text-anchor="middle">client</text>`,
    `<text x="${RIGHT}" y="12" text-anchor="middle">server</text>`,
    `<line class="peer" x1="${LEFT}" y1="18" x2="${LEFT}" y2="${height - 4}"/>`,
    `<line class="peer" x1="${RIGHT}" y1="18" x2="${RIGHT}" y2="${
      height - 4
    }"/>`,
  ];
  drawn.forEach((row, i) => {
    const y = TOP + i * STEP;
    if (row.kind === "segment") {
      lines.push(segmentSvg(row.segment, y, row.cleanup));
    } else if (row.kind === "reason") {
      lines.push(reasonSvg(row.reason, y + DROP - 2, row.cleanup));
    } else if (row.kind === "mark") lines.push(markSvg(row.mark, y + DROP));
    else if (row.kind === "state") {
      lines.push(stateSvg(row.beside, y + DROP, row.kept));
    } else lines.push(cleanupSvg(y + DROP));
  });
  lines.push("</svg>");
  return lines.join("\n");
}
