/**
 * A ladder diagram of one trial's wire as inline SVG: the client and the
 * server as two vertical lines, one arrow per segment in the order captured,
 * labelled with its tcpdump flags and payload length.
 *
 * @module
 */

import type { Segment } from "../../results/format.ts";
import { escapeHtml } from "./escape.ts";

const WIDTH = 240;
const LEFT = 40;
const RIGHT = 200;
const TOP = 30;
const STEP = 18;
const DROP = 8;

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
export function ladderSvg(wire: readonly Segment[], title: string): string {
  const height = TOP + wire.length * STEP + 10;
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
  wire.forEach((segment, i) => {
    const y1 = TOP + i * STEP;
    const y2 = y1 + DROP;
    const [x1, x2] = segment.from === "client" ? [LEFT, RIGHT] : [RIGHT, LEFT];
    const dir = x2 > x1 ? -1 : 1;
    const head = `${x2},${y2} ${x2 + dir * 7},${y2 - 4} ${x2 + dir * 6},${
      y2 + 3
    }`;
    lines.push(
      `<g class="${segmentClass(segment.flags)}">` +
        `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}"/>` +
        `<polygon points="${head}"/>` +
        `<text x="${(LEFT + RIGHT) / 2}" y="${
          y1 + DROP / 2 - 2
        }" text-anchor="middle">${escapeHtml(segmentLabel(segment))}</text>` +
        `</g>`,
    );
  });
  lines.push("</svg>");
  return lines.join("\n");
}
