import { DockerError, type SkepPlugin } from 'skep';

export interface ImagesPerClientOptions {
  /**
   * Per client certificate common name, the images its containers may come from:
   * exact names or `prefix/*`.
   */
  clients: Record<string, string[]>;
}

const allowed = (image: string, patterns: string[]) =>
  patterns.some((p) =>
    p.endsWith('*')
      ? image.startsWith(p.slice(0, -1))
      : image === p || `${image}:latest` === p || image === `${p}:latest`,
  );

/**
 * Per-client policy from the client certificate (`--tlsverify`):
 * each client may create containers only from its own images.
 * A client without a verified certificate creates no container.
 */
export default function imagesPerClient(options?: ImagesPerClientOptions): SkepPlugin {
  const clients = options?.clients ?? {};
  return {
    name: 'images-per-client',
    enforce: 'pre',
    apply(hooks) {
      hooks.beforeSchedule.tap('images-per-client', (request, context) => {
        // builds, networks and volumes are not limited here;
        // a rescheduled container was allowed when it was created
        if (context.placing !== 'container') return request;
        const who = context.client?.certificate?.commonName;
        const image = request.config.Image ?? '';
        if (!who)
          throw new DockerError(
            403,
            'containers can be created only by clients with a certificate',
          );
        if (!allowed(image, clients[who] ?? []))
          throw new DockerError(403, `${who} may not create containers from ${image}`);
        return request;
      });
    },
  };
}
