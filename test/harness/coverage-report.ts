import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { REPO_ROOT } from './skep.js';

/**
 * After `c8 ava build/test/unit/` (`npm run coverage`): line coverage per folder from
 * coverage/coverage-summary.json, as a table, and a failing exit when a folder the unit tier must cover is
 * under its floor.
 */
const FLOORS: Record<string, number> = { 'core/scheduler': 85, 'core/cluster': 85, plugins: 85 };

type Summary = Record<string, { lines: { total: number; covered: number } }>;
const summary = JSON.parse(
  readFileSync(`${REPO_ROOT}coverage/coverage-summary.json`, 'utf8'),
) as Summary;

/** `core/x/file.ts` counts for `core/x`; `plugins/filters/x.ts` for `plugins`; `config/x.ts` for `config`. */
const folderOf = (file: string) => {
  const parts = relative(REPO_ROOT, file).split('/');
  return parts[0] === 'core' && parts.length > 2 ? `${parts[0]}/${parts[1]}` : parts[0]!;
};

const folders = new Map<string, { total: number; covered: number }>();
for (const [file, { lines }] of Object.entries(summary)) {
  if (file === 'total') continue;
  const folder = folders.get(folderOf(file)) ?? { total: 0, covered: 0 };
  folder.total += lines.total;
  folder.covered += lines.covered;
  folders.set(folderOf(file), folder);
}

const pct = ({ total, covered }: { total: number; covered: number }) =>
  total === 0 ? 100 : (100 * covered) / total;
const rows = [...folders].sort(([a], [b]) => a.localeCompare(b));
const failing: string[] = [];
console.log(`${'folder'.padEnd(16)} ${'lines'.padStart(11)} ${'covered'.padStart(8)}  floor`);
for (const [folder, lines] of rows) {
  const floor = FLOORS[folder];
  if (floor !== undefined && pct(lines) < floor)
    failing.push(`${folder} ${pct(lines).toFixed(1)}% < ${floor}%`);
  console.log(
    `${folder.padEnd(16)} ${`${lines.covered}/${lines.total}`.padStart(11)} ${`${pct(lines).toFixed(1)}%`.padStart(8)}  ${floor === undefined ? '' : `${floor}%`}`,
  );
}
const total = summary.total!.lines;
console.log(
  `${'all'.padEnd(16)} ${`${total.covered}/${total.total}`.padStart(11)} ${`${pct(total).toFixed(1)}%`.padStart(8)}`,
);
if (failing.length > 0) {
  console.error(`under the floor: ${failing.join('; ')}`);
  process.exitCode = 1;
}
