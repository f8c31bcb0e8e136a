import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Transpiled TypeScript by content hash: loading the compiler costs half a second of every start-up. */
const CACHE_DIR = join(tmpdir(), `skep-ts-cache-${process.getuid?.() ?? 'user'}`);

async function transpiled(source: string, file: string): Promise<string> {
  const cached = join(CACHE_DIR, `${createHash('sha256').update(source).digest('hex')}.mjs`);
  try {
    return readFileSync(cached, 'utf8');
  } catch {
    // not transpiled yet
  }
  const ts = (await import('typescript')).default;
  const output = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 }, fileName: file }).outputText;
  try {
    mkdirSync(CACHE_DIR, { recursive: true });
    writeFileSync(cached, output);
  } catch {
    // a cache that cannot be written only costs the next start-up the compiler again
  }
  return output;
}

/** Imports a module; a TypeScript file is transpiled next to itself first, so its relative imports resolve. */
export async function importModule(file: string): Promise<Record<string, unknown>> {
  if (!['.ts', '.mts', '.cts'].includes(extname(file))) return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const output = await transpiled(readFileSync(file, 'utf8'), file);
  const temp = join(dirname(file), `.${randomBytes(6).toString('hex')}.skep-module.mjs`);
  writeFileSync(temp, output);
  try {
    return (await import(pathToFileURL(temp).href)) as Record<string, unknown>;
  } finally {
    unlinkSync(temp);
  }
}
