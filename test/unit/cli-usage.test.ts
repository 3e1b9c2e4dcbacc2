import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { runCliCaptured } from '../helpers/cli.js';

// Every subcommand the help text lists answers --help and refuses an unknown flag in one line,
// without starting anything; in-process, and through the installed bin (built by npm ci through
// prepare, and by npm test) where the process matters: exit code, streams, the version it finds.
const root = resolve(import.meta.dirname, '../..');
const bin = resolve(root, 'bin/orderbridge.js');
const { version } = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { version: string };

function orderbridge(...args: string[]) {
  const result = spawnSync(process.execPath, [bin, ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 20_000,
    env: { ...process.env, AMQP_URL: 'amqp://guest:guest@127.0.0.1:1' },
  });
  return { code: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
}

const lines = (text: string) => text.split('\n').filter((line) => line !== '');

/** The commands `orderbridge --help` lists (two-space indent under "Commands:"), each once. */
function listedCommands(help: string): string[] {
  const start = help.indexOf('Commands:\n');
  const section = start === -1 ? '' : help.slice(start, help.indexOf('\n\n', start) >>> 0);
  return [...new Set([...section.matchAll(/^ {2}([a-z][a-z-]*)\b/gm)].map((m) => m[1]!))].filter(
    (name) => name !== 'help',
  );
}

const help = await runCliCaptured(['--help']);
const commands = listedCommands(help.stdout);

t.test('orderbridge --help lists the commands, exit 0', async (t) => {
  t.equal(help.code, 0, help.stderr);
  t.match(help.stdout, /^Usage: orderbridge <command>/);
  const installed = orderbridge('--help');
  t.same(installed, { code: 0, signal: null, stdout: `${help.stdout}\n`, stderr: '' }, 'the same from the bin');
  t.ok(commands.length >= 9, `commands: ${commands.join(', ')}`);
  for (const command of [
    'serve',
    'check-config',
    'demo',
    'timeline',
    'dead-letters',
    'replay',
    'report',
    'sim',
    'test-mapping',
  ])
    t.ok(commands.includes(command), `${command} is listed`);
});

// sim's simulators are subcommands of their own, with options of their own.
const invocations = [...commands.map((command) => [command]), ['sim', 'mes'], ['sim', 'crm']];

for (const invocation of invocations) {
  const name = invocation.join(' ');
  t.test(`orderbridge ${name} --help prints its usage, exit 0`, async (t) => {
    const result = await runCliCaptured([...invocation, '--help']);
    t.equal(result.code, 0, result.stderr);
    t.match(result.stdout, new RegExp(`^Usage: orderbridge ${name}\\b`), 'starts with its own usage line');
    t.equal(result.stderr, '', 'nothing on stderr');
    const short = await runCliCaptured([...invocation, '-h']);
    t.same({ code: short.code, stdout: short.stdout }, { code: 0, stdout: result.stdout }, '-h is --help');
  });

  t.test(`orderbridge ${name} --bogus-flag: one line naming it and --help, exit 2`, async (t) => {
    const result = await runCliCaptured([...invocation, '--bogus-flag']);
    t.equal(result.code, 2);
    t.equal(result.stdout, '', 'nothing on stdout');
    t.equal(lines(result.stderr).length, 1, `one line: ${result.stderr}`);
    t.match(result.stderr, /--bogus-flag/, 'names the flag');
    t.match(result.stderr, new RegExp(`orderbridge ${name} --help`), "points at the command's --help");
  });
}

t.test(
  'through the bin: serve --help and serve --bogus-flag end at once with their exit codes and streams',
  async (t) => {
    const helped = orderbridge('serve', '--help');
    t.same(
      { code: helped.code, signal: helped.signal, stderr: helped.stderr },
      { code: 0, signal: null, stderr: '' },
      'exit 0, nothing started',
    );
    t.equal(helped.stdout, `${(await runCliCaptured(['serve', '--help'])).stdout}\n`);
    const refused = orderbridge('serve', '--bogus-flag');
    t.same(
      { code: refused.code, signal: refused.signal, stdout: refused.stdout },
      { code: 2, signal: null, stdout: '' },
      'exit 2, nothing started',
    );
    t.equal(lines(refused.stderr).length, 1, refused.stderr);
  },
);

t.test('orderbridge help COMMAND is COMMAND --help', async (t) => {
  const result = await runCliCaptured(['help', 'timeline']);
  t.equal(result.code, 0);
  t.equal(result.stdout, (await runCliCaptured(['timeline', '--help'])).stdout);
});

t.test('orderbridge --version and -v print the package version, exit 0', async (t) => {
  for (const flag of ['--version', '-v']) {
    const result = orderbridge(flag);
    t.equal(result.code, 0, `${flag}: ${result.stderr}`);
    t.equal(result.stdout, `${version}\n`, flag);
  }
  t.match(help.stdout, /--version/, 'the help text says so');
});

t.test('an unknown top-level flag is one line, exit 2', async (t) => {
  const result = await runCliCaptured(['--bogus-flag']);
  t.equal(result.code, 2);
  t.equal(lines(result.stderr).length, 1, result.stderr);
  t.match(result.stderr, /--bogus-flag.*orderbridge --help/);
});
