/**
 * What dominates a CPU profile (`node --cpu-prof`, or `npm run bench -- --profile=DIR`): self time per function and
 * per file, over the whole run or a window of it.
 *   node build/bench/profile-summary.js FILE.cpuprofile [--from=MS] [--to=MS] [--top=N]
 * MS counts from the profile's start (the manager's start, within a few ms).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, ...rest] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: profile-summary FILE.cpuprofile [--from=MS] [--to=MS] [--top=N]\n');
  process.exit(2);
}
const option = (name: string, fallback: number) =>
  Number(rest.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const [from, to, top] = [option('from', 0), option('to', Infinity), option('top', 25)];

const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const place = (n: ProfileNode) =>
  `${n.callFrame.url.replace(/^.*\/(node_modules\/)?/, '') || '(native)'}`;
const perFunction = new Map<string, number>();
const perFile = new Map<string, number>();
let [clock, total, idle] = [0, 0, 0];
profile.samples.forEach((id, i) => {
  clock += profile.timeDeltas[i]!;
  if (clock / 1000 < from || clock / 1000 > to) return;
  const node = byId.get(id)!;
  const us = profile.timeDeltas[i]!;
  total += us;
  if (node.callFrame.functionName === '(idle)') return void (idle += us);
  const name = `${node.callFrame.functionName || '(anonymous)'} ${place(node)}:${node.callFrame.lineNumber + 1}`;
  perFunction.set(name, (perFunction.get(name) ?? 0) + us);
  perFile.set(place(node), (perFile.get(place(node)) ?? 0) + us);
});

const busy = total - idle;
const lines = (m: Map<string, number>) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(
      ([k, us]) =>
        `${(us / 1000).toFixed(0).padStart(7)} ms ${((us / busy) * 100).toFixed(1).padStart(5)}%  ${k}`,
    );
process.stdout.write(
  [
    `window ${(total / 1000).toFixed(0)} ms, busy ${(busy / 1000).toFixed(0)} ms (${((busy / total) * 100).toFixed(0)}% of the main thread); shares are of busy time`,
    '-- by function (self time)',
    ...lines(perFunction),
    '-- by file',
    ...lines(perFile),
    '',
  ].join('\n'),
);
