/** go-units BytesSize (binary units, 4 significant digits), as `docker info` prints memory. */
export function bytesSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  return `${Number(value.toPrecision(4))} ${units[i]}`;
}

/**
 * Text order by code units, as Go's sort compares strings; localeCompare costs most of a
 * 30,000-row sort.
 */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
