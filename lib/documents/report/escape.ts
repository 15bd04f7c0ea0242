/**
 * Escaping text for the two report formats: HTML text and attributes, and
 * Markdown table cells.
 *
 * @module
 */

const HTML_ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ENTITIES[c]!);
}

/**
 * A value as Markdown inline code that is safe in a table cell: pipes are
 * escaped, backticks widen the fence, line breaks become spaces.
 */
export function markdownCode(text: string): string {
  const flat = text.replace(/\r?\n/g, " ").replace(/\|/g, "\\|");
  const longest = Math.max(
    0,
    ...(flat.match(/`+/g) ?? []).map((m) => m.length),
  );
  const fence = "`".repeat(longest + 1);
  const pad = flat.startsWith("`") || flat.endsWith("`") ? " " : "";
  return `${fence}${pad}${flat}${pad}${fence}`;
}

/** Plain text safe in a Markdown table cell. */
export function markdownText(text: string): string {
  return text.replace(/\r?\n/g, " ").replace(/([\\|*_<>\[\]`])/g, "\\$1");
}
