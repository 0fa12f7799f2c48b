/** GitHub-flavoured Markdown pieces for the `--markdown` reports (job summaries, pull-request comments). */

/** A cell's text with the characters that would break a table row or start markup escaped. */
export function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/[<>*_`]/g, (ch) => `\\${ch}`).replace(/\n/g, ' ');
}

/** A table; `right` marks right-aligned columns. Cells are escaped. */
export function mdTable(headers: string[], rows: string[][], right: boolean[] = []): string[] {
  const align = headers.map((_, i) => (right[i] ? '---:' : '---'));
  return [`| ${headers.map(cell).join(' | ')} |`, `| ${align.join(' | ')} |`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)];
}

/** A folded section: `<details>` with a summary line and Markdown inside. */
export function details(summary: string, body: string[]): string[] {
  return ['<details>', `<summary>${cell(summary)}</summary>`, '', ...body, '', '</details>'];
}
