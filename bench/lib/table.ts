/** A column of a figure table: the width its cells are padded to, and on which side. */
export interface Column {
  width: number;
  align?: 'left' | 'right';
}

/**
 * One row of a Markdown figure table, `| a | b |`, each cell padded to its column; cells beyond
 * the columns given take the last one, and without columns nothing is padded.
 */
export function tableRow(cells: readonly string[], columns: readonly Column[] = []): string {
  const padded = cells.map((cell, i) => {
    const column = columns[Math.min(i, columns.length - 1)];
    if (!column) return cell;
    return column.align === 'right' ? cell.padStart(column.width) : cell.padEnd(column.width);
  });
  return `| ${padded.join(' | ')} |`;
}

/** The row under a table's head: dashes as wide as each column. */
export function tableRule(columns: readonly Column[], count = columns.length): string {
  const widths = Array.from({ length: count }, (_, i) => columns[Math.min(i, columns.length - 1)]);
  return tableRow(widths.map((c) => '-'.repeat(c?.width ?? 3)));
}
