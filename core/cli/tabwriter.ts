/**
 * Go's text/tabwriter as urfave/cli set it up for classic's help (minwidth 0, tabwidth 8,
 * padding 1, padded with tabs), so that Skep's help is laid out as classic's was. Cells end with a
 * tab; the last cell of a line is never aligned. A column is as wide as its widest cell, plus one,
 * in each run of lines that have it, and is padded with tabs to the next tab stop.
 */
const TAB_WIDTH = 8;

/** Characters, not UTF-16 units, as Go counted runes. */
const width = (text: string) => [...text].length;

export function tabwrite(text: string): string {
  const lines = text.split('\n').map((line) => line.split('\t'));
  const widths: number[][] = lines.map(() => []);
  layOut(lines, widths, [], 0, lines.length);
  return lines
    .map((cells, i) => cells.map((cell, j) => cell + padding(cell, widths[i]![j])).join(''))
    .join('\n');
}

/** Tabs from the end of a cell to the end of its column, rounded up to a tab stop. */
function padding(cell: string, columnWidth: number | undefined): string {
  if (columnWidth === undefined) return '';
  const end = Math.ceil(columnWidth / TAB_WIDTH) * TAB_WIDTH;
  return '\t'.repeat(Math.ceil((end - width(cell)) / TAB_WIDTH));
}

/**
 * Go's Writer.format: the widths of column `columns.length` in each block of lines `from`..`to`
 * that have a cell there, each block then laid out one column further; a line takes the widths of
 * the deepest block.
 */
function layOut(
  lines: string[][],
  widths: number[][],
  columns: number[],
  from: number,
  to: number,
): void {
  const column = columns.length;
  for (let line = from; line < to; line++) widths[line] = columns;
  for (let start = from; start < to;) {
    if (column >= lines[start]!.length - 1) {
      start++;
      continue;
    }
    let end = start;
    let widest = 0;
    for (; end < to && column < lines[end]!.length - 1; end++) {
      widest = Math.max(widest, width(lines[end]![column]!) + 1);
    }
    layOut(lines, widths, [...columns, widest], start, end);
    start = end;
  }
}
