/** Renders rows as aligned plain-text columns (no colours: output is often pasted into tickets). */
export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) =>
        column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0),
      )
      .join("  ")
      .trimEnd();
  return [line(headers), line(widths.map((width) => "-".repeat(width))), ...rows.map(line)]
    .map((text) => `${text}\n`)
    .join("");
}

/** Shortens in the middle, where keys differ least usefully (prefix and file name stay). */
export function shorten(text: string, maxLength: number): string {
  // By code point, so a key with emoji or other astral characters is never cut in half.
  const characters = Array.from(text);
  if (characters.length <= maxLength) return text;
  const keep = maxLength - 1;
  const head = Math.ceil(keep / 2);
  return `${characters.slice(0, head).join("")}…${characters.slice(characters.length - (keep - head)).join("")}`;
}
