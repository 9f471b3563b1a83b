// Plain-text tables for the command line: columns padded to their widest cell, numbers
// right-aligned, a rule under the header.

export interface TextTable {
  readonly headers: readonly string[]
  readonly rows: readonly (readonly string[])[]
  /** Indexes of right-aligned (numeric) columns. */
  readonly numeric?: readonly number[]
}

export function renderTextTable(table: TextTable): string {
  const widths = table.headers.map((header, column) => Math.max(header.length, ...table.rows.map((row) => (row[column] ?? '').length)))
  const line = (cells: readonly string[]) =>
    cells.map((cell, column) => (table.numeric?.includes(column) ? cell.padStart(widths[column]) : cell.padEnd(widths[column]))).join('  ').trimEnd()
  return [line(table.headers), widths.map((width) => '-'.repeat(width)).join('  '), ...table.rows.map(line)].join('\n')
}
