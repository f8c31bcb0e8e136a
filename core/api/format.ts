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
