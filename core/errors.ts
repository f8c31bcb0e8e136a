/**
 * An error the client sees as Docker shows errors:
 * `{"message": ...}` with the status an engine would give.
 */
export class DockerError extends Error {
  override name = 'DockerError';
  /** Its cause is logged already (in words of its own): a 5xx is then not logged a second time. */
  logged = false;
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export const notFound = (message: string) => new DockerError(404, message);
export const badRequest = (message: string) => new DockerError(400, message);
export const conflict = (message: string) => new DockerError(409, message);
