import anyTest, { type TestFn } from 'ava';
import { realEngineSupport } from './support.js';

/**
 * Registers real-engine tests when this machine can run engines. Elsewhere they are skipped with the
 * reason said plainly; in CI (CI=true) a missing engine is a failure, never a skip.
 */
export function withRealEngines(register: (test: TestFn) => void): void {
  const support = realEngineSupport();
  if (support.ok) {
    register(anyTest);
    return;
  }
  if (process.env.CI === 'true' || process.env.CI === '1') {
    anyTest('real engines are available', (t) =>
      t.fail(`${support.reason}; in CI these tests must run (.ci/run installs what they need)`),
    );
    return;
  }
  console.log(`skipping real-engine tests: ${support.reason}`);
  anyTest.skip(`real-engine tests (${support.reason})`, () => {});
}
