import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { CHROMIUM } from './support.js';

/** Debian's chromium, headless, driven by playwright-core (which downloads no browser of its own). */
export function launchChromium(): Promise<Browser> {
  // --no-sandbox: the tests run as root, where chromium's sandbox refuses to start
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
}

/** Where tests keep what a person would look at (screenshots): `$SKEP_ARTIFACTS`, else a folder under the temp dir. */
export function artifactPath(name: string): string {
  const dir = process.env.SKEP_ARTIFACTS ?? join(tmpdir(), 'skep-artifacts');
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}
