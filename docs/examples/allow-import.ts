import { DockerError, type SkepPlugin } from 'skep';

/**
 * Replaces the built-in "import-404" (same name): `docker import` is let through to Skep,
 * which imports the image on every healthy node, but only under a repository name,
 * so no untagged copies pile up on the nodes.
 */
export default function allowImport(): SkepPlugin {
  return {
    name: 'import-404',
    apply(hooks) {
      hooks.request.tap('import-404', (context) => {
        if (context.route !== 'image.create' || context.query.fromSrc === undefined) return;
        if (!context.query.repo)
          throw new DockerError(
            400,
            'docker import through this cluster needs a repository name: docker import FILE NAME[:TAG]',
          );
        return undefined; // go on: the core imports on every healthy node
      });
    },
  };
}
