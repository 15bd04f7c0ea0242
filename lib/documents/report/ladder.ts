/**
 * A ladder diagram of one trial's wire as inline SVG, in the style of TCP/IP
 * Illustrated: the client and the server as two vertical lifelines, one
 * arrow per segment in the order captured, labelled with its tcpdump flags
 * and payload length. Checkpoints cut across as dashed lines at the point
 * of the wire where the steps reached them, with each side's TCP state
 * written beside its lifeline; the segments the engine's own cleanup caused
 * (closing what the steps left open) come after a "cleanup" line, greyed.
 *
 * @module
 */

import type { Segment } from "../../results/format.ts";
import { escapeHtml } from "./escape.ts";

const WIDTH = 380;
const LEFT = 90;
const RIGHT = 290;
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
}

/** What a ladder shows besides the segments. */
export interface LadderOptions {
  /** Index of the first segment the engine's cleanup caused. */
  readonly cleanupAt?: number;
  readonly marks?: readonly LadderMark[];
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

/** One row of the drawing, top to bottom. */
type Row =
  | { readonly kind: "segment"; readonly segment: Segment; cleanup: boolean }
  | { readonly kind: "mark"; readonly mark: LadderMark }
  | { readonly kind: "cleanup" };

/** Segments, checkpoints and the cleanup line in the order they happened. */
function rows(wire: readonly Segment[], options: LadderOptions): Row[] {
  const out: Row[] = [];
  const marks = [...(options.marks ?? [])].sort((a, b) => a.at - b.at);
  const cleanupAt = options.cleanupAt;
  for (let i = 0; i <= wire.length; i++) {
    for (const mark of marks.filter((m) => m.at === i)) {
      out.push({ kind: "mark", mark });
    }
    if (cleanupAt === i && i < wire.length) out.push({ kind: "cleanup" });
    const segment = wire[i];
    if (segment) {
      out.push({
        kind: "segment",
        segment,
        cleanup: cleanupAt !== undefined && i >= cleanupAt,
      });
    }
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
    }" text-anchor="middle">cleanup: the engine closes what the steps left open</text></g>`;
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
    } else if (row.kind === "mark") lines.push(markSvg(row.mark, y + DROP));
    else lines.push(cleanupSvg(y + DROP));
  });
  lines.push("</svg>");
  return lines.join("\n");
}
