import test from 'ava';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { REPO_ROOT } from '../harness/skep.js';

/** Every TypeScript file under these folders of the checkout. */
function sources(folders: string[]): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (path.endsWith('.ts') && !path.endsWith('.d.ts')) found.push(path);
    }
  };
  for (const folder of folders) walk(join(REPO_ROOT, folder));
  return found;
}

/** The relative imports and re-exports of a file, type-only ones included. */
function importsOf(file: string, known: Set<string>): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
  const out: string[] = [];
  source.forEachChild((node) => {
    const specifier =
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier;
    if (specifier && ts.isStringLiteral(specifier) && specifier.text.startsWith('.')) {
      const target = resolve(dirname(file), specifier.text.replace(/\.js$/, '.ts'));
      if (known.has(target)) out.push(target);
    }
  });
  return out;
}

test('no import circle in core/, plugins/ and config/ (type imports count too)', (t) => {
  const files = sources(['core', 'plugins', 'config']);
  const known = new Set(files);
  const graph = new Map(files.map((f) => [f, importsOf(f, known)]));
  const circles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (file: string, path: string[]) => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'open')
      return void circles.push(
        [...path.slice(path.indexOf(file)), file].map((f) => relative(REPO_ROOT, f)).join(' → '),
      );
    state.set(file, 'open');
    for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
    state.set(file, 'done');
  };
  for (const file of files) visit(file, []);
  t.deepEqual(circles, []);
});
