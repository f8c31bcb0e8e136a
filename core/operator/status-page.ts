import { readFileSync } from 'node:fs';

/**
 * The status page's files, in core/operator/status-page/. They are read from there, not from
 * build/ (tsc copies no HTML, and a copy could go stale): compiled, this module is
 * build/core/operator/status-page.js, three folders below the package's root, in a checkout as
 * in an installed package (package.json's "files" ships the folder).
 */
const FOLDER = new URL('../../../core/operator/status-page/', import.meta.url);

/**
 * Writes `text` inline in place of `tag` in `page`;
 * a page that lost the tag, or text that would end early, throws.
 */
function inline(page: string, tag: string, element: 'style' | 'script', text: string): string {
  if (!page.includes(tag)) throw new Error(`the status page's index.html lacks ${tag}`);
  if (text.toLowerCase().includes(`</${element}`))
    throw new Error(`the status page's ${element} contains </${element}`);
  // a function: `$&` in the text is no pattern
  return page.replace(tag, () => `<${element}>\n${text}</${element}>`);
}

function read(name: string): string {
  return readFileSync(new URL(name, FOLDER), 'utf8');
}

/**
 * The status page: one document, its style and script inline (no build step, no CDN: the manager
 * may have no internet), read once, when this module loads. It follows `/status/stream`, whose
 * first event is a snapshot; each change then updates only its own row.
 */
export const STATUS_PAGE = inline(
  inline(
    read('index.html'),
    '<link rel="stylesheet" href="status.css" />',
    'style',
    read('status.css'),
  ),
  '<script src="status.js"></script>',
  'script',
  read('status.js'),
);
