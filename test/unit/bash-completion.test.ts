import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { SWARM } from '../../core/cli/commands.js';
import { dashed } from '../../core/cli/flag.js';
import { run } from '../harness/exec.js';
import { REPO_ROOT, SWARM_BIN } from '../harness/skep.js';

/** `swarm completion bash` as a user gets it, and a folder with files to complete. */
const dir = mkdtempSync(join(tmpdir(), 'skep-bash-completion-'));
const script = join(dir, 'swarm.bash');
const files = join(dir, 'files');
test.before(async () => {
  const printed = await run(process.execPath, [SWARM_BIN, 'completion', 'bash'], {
    cwd: REPO_ROOT,
  });
  if (printed.code !== 0) throw new Error(`swarm completion bash: ${printed.stderr}`);
  writeFileSync(script, printed.stdout);
  mkdirSync(join(files, 'certs'), { recursive: true });
  for (const file of ['cert.pem', 'key.pem', 'swarm.config.json'])
    writeFileSync(join(files, file), '');
});
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

/**
 * What bash completes the last of `words` to, as it calls the function when TAB is pressed: the
 * words as bash split them (a `--flag=value` at its `=`), the cursor at the end of the last one.
 */
async function complete(words: string[], setup = ''): Promise<string[]> {
  const body = `source "$1"; shift; ${setup}
    complete -p swarm >&2
    COMP_WORDS=("$@"); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); COMP_LINE="$*"; COMP_POINT=\${#COMP_LINE}
    _swarm; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const res = await run('bash', ['--norc', '--noprofile', '-c', body, 'bash', script, ...words], {
    cwd: files,
    env: { PATH: process.env.PATH },
  });
  if (res.code !== 0 || res.stderr !== 'complete -F _swarm swarm\n') {
    throw new Error(`bash: code ${res.code}: ${res.stderr}`);
  }
  return res.stdout.split('\n').filter(Boolean);
}

const command = (name: string) => SWARM.commands.find((c) => c.names[0] === name)!;

test('swarm <TAB>: the commands by their first names; help <TAB> the same topics', async (t) => {
  const names = SWARM.commands.map((c) => c.names[0]!);
  t.deepEqual(names, ['manage', 'join', 'list', 'node', 'completion', 'help']);
  t.deepEqual(await complete(['swarm', '']), names);
  t.deepEqual(await complete(['swarm', 'help', '']), names);
  t.deepEqual(await complete(['swarm', 'ma']), ['manage']);
  t.deepEqual(await complete(['swarm', 'co']), ['completion']);
  // a global flag's value is not taken for the command
  t.deepEqual(await complete(['swarm', '-l', 'debug', '--experimental', 'jo']), ['join']);
  t.deepEqual(await complete(['swarm', 'completion', '']), ['bash', 'zsh']);
  t.deepEqual(await complete(['swarm', 'node', '']), ['ls', 'inspect', 'update']);
  t.deepEqual(await complete(['swarm', 'node', '-H', 'tcp://x:1', 'up']), ['update']);
});

test('every command offers its flags from the table, long and short, aliases by their own names', async (t) => {
  for (const cmd of [SWARM, ...SWARM.commands]) {
    const words = cmd === SWARM ? ['swarm', '-'] : ['swarm', cmd.names.at(-1)!, '-'];
    const expected = cmd.flags.flatMap((flag) => flag.names.map(dashed));
    t.deepEqual(await complete(words), expected, words.join(' '));
  }
  const manage = await complete(['swarm', 'manage', '-']);
  for (const flag of [
    '--strategy',
    '--filter',
    '-f',
    '--host',
    '-H',
    '--config',
    '--tlscert',
    '-c',
  ])
    t.true(manage.includes(flag), flag);
  t.deepEqual(await complete(['swarm', 'manage', '--st']), [
    '--strategy',
    '--status-addr',
    '--state-file',
  ]);
  t.deepEqual(await complete(['swarm', '--log']), ['--log-level', '--log-format']);
});

test("a flag's known values complete, after it or after its '='", async (t) => {
  t.deepEqual(await complete(['swarm', 'manage', '--strategy', '']), [
    'spread',
    'binpack',
    'random',
  ]);
  t.deepEqual(await complete(['swarm', 'manage', '--strategy', '=', 'b']), ['binpack']);
  t.deepEqual(await complete(['swarm', 'manage', '--strategy', '=']), [
    'spread',
    'binpack',
    'random',
  ]);
  t.deepEqual(await complete(['swarm', '-l', '']), ['debug', 'info', 'warn', 'error']);
  t.deepEqual(await complete(['swarm', '--log-level', '=', 'w']), ['warn']);
  t.deepEqual(await complete(['swarm', 'm', '-f', 'c']), ['containerslots', 'constraint']);
  t.deepEqual(await complete(['swarm', 'node', 'update', '--availability', '']), [
    'active',
    'pause',
    'drain',
  ]);
  // where '=' does not break words, the whole word is replaced
  t.deepEqual(await complete(['swarm', 'manage', '--strategy=r'], "COMP_WORDBREAKS=' '"), [
    '--strategy=random',
  ]);
  // every flag with values in the table, by every name
  for (const cmd of [SWARM, ...SWARM.commands]) {
    for (const flag of cmd.flags.filter((f) => f.values)) {
      for (const name of flag.names) {
        const words = [...(cmd === SWARM ? ['swarm'] : ['swarm', cmd.names[0]!]), dashed(name), ''];
        t.deepEqual(await complete(words), flag.values, words.join(' '));
      }
    }
  }
});

test('file flags complete files; free values and the discovery argument complete nothing', async (t) => {
  const all = ['cert.pem', 'certs', 'key.pem', 'swarm.config.json'];
  t.deepEqual((await complete(['swarm', 'manage', '--tlscert', ''])).sort(), all);
  t.deepEqual((await complete(['swarm', 'manage', '--tlskey', 'k'])).sort(), ['key.pem']);
  t.deepEqual(await complete(['swarm', 'manage', '--config', '=', 'sw']), ['swarm.config.json']);
  t.deepEqual(await complete(['swarm', 'manage', '--state-file', 'c']), ['cert.pem', 'certs']);
  const fileFlags = command('manage').flags.filter((f) => f.kind === 'file');
  t.true(fileFlags.length >= 5, fileFlags.map((f) => f.names[0]).join());
  for (const flag of fileFlags)
    t.deepEqual((await complete(['swarm', 'manage', dashed(flag.names[0]!), ''])).sort(), all);
  // a value nothing knows: no commands, no files offered
  t.deepEqual(await complete(['swarm', 'manage', '-H', '']), []);
  t.deepEqual(await complete(['swarm', 'join', '--advertise', '']), []);
  t.deepEqual(await complete(['swarm', 'manage', '-H', '0.0.0.0:2375', '']), []);
  t.deepEqual(await complete(['swarm', 'completion', 'bash', '']), []);
  t.deepEqual(await complete(['swarm', 'nosuch', '-']), []);
});
