/**
 * A boolean query parameter as the engine reads it (httputils.BoolValue):
 * anything but empty, 0, no, false, none.
 */
export function truthy(value: string | undefined): boolean {
  return (
    value !== undefined && !['', '0', 'no', 'false', 'none'].includes(value.trim().toLowerCase())
  );
}
