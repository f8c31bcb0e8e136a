import type { ImageSummary } from './docker-types.js';

/** `busybox` means `busybox:latest`; a ref with a tag or digest stays as it is. */
export function withDefaultTag(ref: string): string {
  const lastSegment = ref.slice(ref.lastIndexOf('/') + 1);
  return lastSegment.includes(':') || ref.includes('@') ? ref : `${ref}:latest`;
}

/**
 * Whether an image is what a client named: full or short ID (classic: three characters at least),
 * `name[:tag]`, or `name@digest`.
 */
export function imageMatchesRef(image: ImageSummary, ref: string): boolean {
  const id = image.Id.replace(/^sha256:/, '');
  const bare = ref.replace(/^sha256:/, '');
  if (/^[0-9a-f]{3,64}$/.test(bare) && id.startsWith(bare)) return true;
  // Docker Hub's full names are the short ones (`docker.io/library/busybox` is `busybox`)
  const short = ref.replace(/^(docker\.io|index\.docker\.io)\//, '').replace(/^library\//, '');
  const tagged = withDefaultTag(short);
  return (
    (image.RepoTags ?? []).includes(tagged) ||
    (image.RepoDigests ?? []).includes(short) ||
    (image.RepoDigests ?? []).includes(ref)
  );
}

/** `name[:tag]` or `name@digest` as the pull call's `fromImage` and `tag` parameters. */
export function pullParams(ref: string): { fromImage: string; tag: string } {
  const at = ref.indexOf('@');
  if (at >= 0) return { fromImage: ref.slice(0, at), tag: ref.slice(at + 1) };
  const colon = ref.lastIndexOf(':');
  if (colon > ref.lastIndexOf('/'))
    return { fromImage: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { fromImage: ref, tag: 'latest' };
}
