import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

// Each benchmark checks what it needs before it starts (its prebench script, scripts/ensure-env.sh
// --bench NAME), and only that: on a machine without one, it stops at once with one line naming it.
const root = resolve(import.meta.dirname, '../..');
const script = join(root, 'scripts/ensure-env.sh');
const { scripts } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
const benches = Object.keys(scripts)
  .filter((name) => /^bench:[a-z]+$/.test(name) && name !== 'bench:build')
  .map((name) => name.slice('bench:'.length));

/** A PATH with bash and tr only: none of the tools, no apt-get, no rabbitmqctl, no rabbitmq-server. */
function barePath(): { path: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'orderbridge-bare-path-'));
  for (const command of ['bash', 'tr']) {
    const found = spawnSync('bash', ['-c', `type -P ${command}`], { encoding: 'utf8' }).stdout.trim();
    symlinkSync(found, join(dir, command));
  }
  return { path: dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

function ensureEnv(path: string, ...args: string[]) {
  const env: Record<string, string> = { PATH: path, ORDERBRIDGE_NO_INSTALL: '1', HOME: tmpdir() };
  const result = spawnSync(join(path, 'bash'), [script, ...args], {
    cwd: root,
    encoding: 'utf8',
    env,
    timeout: 30_000,
  });
  return {
    code: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
    lines: result.stderr.split('\n').filter(Boolean),
  };
}

t.test('every benchmark runs scripts/ensure-env.sh --bench NAME first', async (t) => {
  t.same(benches.sort(), ['pipeline', 'poison', 'proxy', 'report']);
  for (const bench of benches)
    t.equal(scripts[`prebench:${bench}`], `bash scripts/ensure-env.sh --bench ${bench}`, `prebench:${bench}`);
});

t.test('bench:proxy without wrk and nginx stops at once with one line naming both and how to get them', async (t) => {
  const bare = barePath();
  t.teardown(bare.remove);
  const result = ensureEnv(bare.path, '--bench', 'proxy');
  t.equal(result.code, 1);
  t.equal(result.stdout, '');
  t.equal(result.lines.length, 1, result.stderr);
  t.match(result.stderr, /^ensure-env: wrk, nginx not found: run `(sudo )?apt-get install -y wrk nginx`/);
});

t.test(
  "the other benchmarks ask for none of the tests' tools, nor for wrk and nginx, only for RabbitMQ and rabbitmqctl",
  async (t) => {
    const bare = barePath();
    t.teardown(bare.remove);
    for (const bench of benches.filter((b) => b !== 'proxy')) {
      const result = ensureEnv(bare.path, '--bench', bench);
      t.equal(result.code, 1, `${bench}: stops (no rabbitmqctl on this PATH)`);
      t.equal(result.lines.length, 1, `${bench}: one line: ${result.stderr}`);
      t.match(result.stderr, /RabbitMQ|rabbitmq/, `${bench}: about RabbitMQ`);
      t.notMatch(
        result.stderr,
        /chromium|promtool|prometheus|wrk|nginx|PostgreSQL/,
        `${bench}: nothing it does not need`,
      );
    }
  },
);

t.test('an unknown benchmark name is refused with the usage', async (t) => {
  const bare = barePath();
  t.teardown(bare.remove);
  const result = ensureEnv(bare.path, '--bench', 'warp');
  t.equal(result.code, 2);
  t.match(
    result.stderr,
    /no benchmark 'warp' \(usage: scripts\/ensure-env.sh \[--bench \[pipeline\|proxy\|report\|poison\]\]\)/,
  );
});
