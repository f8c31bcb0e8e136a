import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import anyTest, { type TestFn } from 'ava';
import { SWARM } from '../../core/cli/commands.js';
import { run } from '../harness/exec.js';
import { REPO_ROOT, SWARM_BIN } from '../harness/skep.js';

/** zsh is Debian's `zsh` package (.ci/run installs it); without it, a skip, but a failure in CI. */
const hasZsh = spawnSync('zsh', ['-fc', 'true']).status === 0;
const inCI = process.env.CI === 'true' || process.env.CI === '1';
const test: TestFn = hasZsh ? anyTest : (anyTest.skip as unknown as TestFn);
if (!hasZsh && inCI) anyTest('zsh is installed', (t) => t.fail('no zsh; .ci/run installs it'));

const dir = mkdtempSync(join(tmpdir(), 'skep-zsh-completion-'));
const fpath = join(dir, 'functions');
const script = join(fpath, '_swarm');
const files = join(dir, 'files');
const driver = join(dir, 'complete.zsh');

/**
 * A real interactive zsh in a pseudo-terminal (zsh/zpty) with compinit, the script sourced or
 * autoloaded from $fpath; the line typed, then TAB. Every match zsh's completion adds is written to
 * the file $2, then END once the line is done with.
 */
const DRIVER = `zmodload zsh/zpty
load=$1 out=$2 line=$3
zpty z zsh -f -i
ready() { local seen; zpty -r z seen '*READY>*' }
# the prompt spelled so that the command's own echo does not look like it
zpty -w z "PS1='READ''Y> '; autoload -U compinit; $load"
ready
zpty -w z "compadd() { local -a hits; builtin compadd -A hits \\"\\$@\\"; print -rl -- \\$hits >> \${(q)out}; builtin compadd \\"\\$@\\" }"
ready
zpty -n -w z "$line"$'\\t'
# what comes after the TAB waits for its matches (at most 1.5 s: some lines have none), as a user would: zsh
# may cut a completion short when more keys are already waiting (seen under load, in CI's coverage run)
size=-1
for i in {1..30}; do
  [[ -s $out ]] && (( $(wc -c < $out) == size )) && break
  [[ -s $out ]] && size=$(wc -c < $out)
  sleep 0.05
done
zpty -w z $'\\C-u'"print -r -- END >> \${(q)out}"
for i in {1..200}; do [[ -f $out ]] && grep -qx END $out && break; sleep 0.05; done
zpty -d z
`;

test.before(async () => {
  const printed = await run(process.execPath, [SWARM_BIN, 'completion', 'zsh'], { cwd: REPO_ROOT });
  if (printed.code !== 0) throw new Error(`swarm completion zsh: ${printed.stderr}`);
  mkdirSync(fpath, { recursive: true });
  writeFileSync(script, printed.stdout);
  writeFileSync(driver, DRIVER);
  mkdirSync(join(files, 'certs'), { recursive: true });
  for (const file of ['cert.pem', 'key.pem']) writeFileSync(join(files, file), '');
});
anyTest.after.always(() => rmSync(dir, { recursive: true, force: true }));

const LOADS = {
  sourced: `compinit -u -D; source ${script}`,
  autoloaded: `fpath=(${fpath} $fpath); compinit -u -D`,
};

let runs = 0;
/** The matches zsh offers for `line` followed by TAB, each once, in the order zsh added them. */
async function complete(line: string, load: keyof typeof LOADS = 'sourced'): Promise<string[]> {
  const out = join(dir, `matches-${++runs}`);
  const res = await run('zsh', ['-f', driver, LOADS[load], out, line], {
    cwd: files,
    timeoutMs: 30_000,
  });
  const seen = readFileSync(out, 'utf8').split('\n');
  if (res.code !== 0 || !seen.includes('END')) throw new Error(`zsh: ${res.code} ${res.stderr}`);
  return [...new Set(seen.filter((m) => m !== '' && m !== 'END'))];
}

test('the script is valid zsh, defines _swarm and registers it for swarm', async (t) => {
  t.is((await run('zsh', ['-n', script])).code, 0);
  const text = readFileSync(script, 'utf8');
  t.true(text.startsWith('#compdef swarm\n'));
  const res = await run('zsh', [
    '-fc',
    `autoload -U compinit; compinit -u -D; source ${script}; whence -w _swarm; print -r -- $_comps[swarm]`,
  ]);
  t.is(res.stdout, '_swarm: function\n_swarm\n', res.stderr);
});

test('zsh completes the commands, their flags, known values and files', async (t) => {
  t.deepEqual(
    await complete('swarm '),
    SWARM.commands.map((c) => c.names[0]),
  );
  t.deepEqual(await complete('swarm co'), ['completion']);
  t.deepEqual(await complete('swarm completion '), ['bash', 'zsh']);
  t.deepEqual(await complete('swarm manage --st'), ['--strategy', '--status-addr', '--state-file']);
  t.deepEqual(await complete('swarm manage --strategy '), ['spread', 'binpack', 'random']);
  t.deepEqual(await complete('swarm manage --strategy=b'), ['binpack']);
  t.deepEqual(await complete('swarm -l '), ['debug', 'info', 'warn', 'error']);
  t.deepEqual(await complete('swarm m -f con'), ['containerslots', 'constraint']);
  t.deepEqual((await complete('swarm manage --tlscert ')).sort(), ['cert.pem', 'certs', 'key.pem']);
  // a flag given once is not offered again; a repeatable one is
  t.deepEqual(await complete('swarm manage --strategy spread --str'), []);
  t.deepEqual(await complete('swarm manage -f health --filt'), ['--filter']);
});

test('autoloaded from $fpath as _swarm, it completes too', async (t) => {
  t.deepEqual(await complete('swarm node ', 'autoloaded'), ['ls', 'inspect', 'update']);
  t.deepEqual(await complete('swarm node --availability ', 'autoloaded'), [
    'active',
    'pause',
    'drain',
  ]);
});
