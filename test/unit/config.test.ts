import t from 'tap';
import { readFileSync } from 'node:fs';
import { brokerUrls, ConfigError, durationMs, loadConfig, type ConfigProblem } from '../../src/config/index.js';
import { copyConfig, defaultConfigDir, referenceDialect } from '../helpers/config-dir.js';

function problemsOf(dir: string, env = {}): ConfigProblem[] {
  try {
    loadConfig({ dir, env });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected the config to be invalid');
}

t.test('the default config loads, typed and frozen', async (t) => {
  const config = loadConfig({ dir: defaultConfigDir, env: {} });
  t.equal(config.gateway.amqp.queueType, 'quorum');
  t.equal(config.gateway.ledger.synchronous, 'FULL');
  t.ok(Object.isFrozen(config.gateway.amqp.exchanges), 'nested objects are frozen');
  t.throws(() => {
    (config.gateway.http as { port: number }).port = 1;
  });
});

t.test('environment variables override their fields and are validated like the file', async (t) => {
  const config = loadConfig({
    dir: defaultConfigDir,
    env: { AMQP_URL: 'amqp://u:p@mq:5672/vh', ORDERBRIDGE_HTTP_PORT: '9090' },
  });
  t.equal(config.gateway.amqp.url, 'amqp://u:p@mq:5672/vh');
  t.equal(config.gateway.http.port, 9090);
  const [problem, ...rest] = problemsOf(defaultConfigDir, { ORDERBRIDGE_HTTP_PORT: 'eighty' });
  t.same(rest, []);
  t.match(problem, {
    source: 'environment variable ORDERBRIDGE_HTTP_PORT',
    pointer: '/http/port',
    message: /must be an integer/,
  });
});

t.test(
  'the broker: amqp.url is a list of one, amqp.urls a cluster, AMQP_URL replaces either (comma-separated)',
  async (t) => {
    const nodes = 'amqp://u:p@mq1:5672/vh, amqp://u:p@mq2:5672/vh,amqp://u:p@mq3:5672/vh';
    t.same(brokerUrls(loadConfig({ dir: defaultConfigDir, env: {} }).gateway.amqp), [
      'amqp://guest:guest@127.0.0.1:5672',
    ]);
    const cluster = loadConfig({ dir: defaultConfigDir, env: { AMQP_URL: nodes } }).gateway.amqp;
    t.same(brokerUrls(cluster), ['amqp://u:p@mq1:5672/vh', 'amqp://u:p@mq2:5672/vh', 'amqp://u:p@mq3:5672/vh']);
    t.equal(cluster.url, undefined, "the file's url is replaced, not kept beside the list");

    const config = copyConfig();
    t.teardown(config.remove);
    config.edit('gateway.yaml', (s) =>
      s.replace(/ {2}url: .*\n/, '  urls: [amqp://a:5672, amqp://b:5672]\n  quorumInitialGroupSize: 3\n'),
    );
    const fromFile = loadConfig({ dir: config.dir, env: {} }).gateway.amqp;
    t.same(brokerUrls(fromFile), ['amqp://a:5672', 'amqp://b:5672']);
    t.equal(fromFile.quorumInitialGroupSize, 3);
    t.same(brokerUrls(loadConfig({ dir: config.dir, env: { AMQP_URL: 'amqp://c:5672' } }).gateway.amqp), [
      'amqp://c:5672',
    ]);
    const [bad, ...rest] = problemsOf(config.dir, { AMQP_URL: 'amqp://c:5672,http://d' });
    t.same(rest, []);
    t.match(bad, { source: 'environment variable AMQP_URL', pointer: '/amqp/urls/1', message: /http:\/\/d/ });
    // URLs the broker client cannot read: refused here, not found out by a gateway that half-starts.
    for (const url of ['amqp://u:p@mq:5672/%zz', 'amqp://u:p@mq:notaport/vh', 'amqp://u:p@mq:5672/a b'])
      t.match(
        problemsOf(config.dir, { AMQP_URL: url }),
        [{ source: 'environment variable AMQP_URL', fix: /percent-encoded/ }],
        `${url}: refused, with the form to write`,
      );
    t.same(
      brokerUrls(
        loadConfig({ dir: config.dir, env: { AMQP_URL: 'amqps://u:p%40ss@[::1]:5671/%2F?heartbeat=5' } }).gateway.amqp,
      ),
      ['amqps://u:p%40ss@[::1]:5671/%2F?heartbeat=5'],
      'every part of a URL, percent-encoded',
    );

    config.edit('gateway.yaml', (s) => s.replace('  urls:', '  url: amqp://a:5672\n  urls:'));
    t.match(
      problemsOf(config.dir),
      [{ pointer: '/amqp', fix: /url or urls, not both/ }],
      'url and urls together: one problem',
    );
    config.edit('gateway.yaml', (s) => s.replace(/ {2}urls: .*\n/, '').replace(/ {2}url: .*\n/, ''));
    t.match(problemsOf(config.dir), [{ pointer: '/amqp', message: /urls/ }], 'neither: says urls is missing');
  },
);

t.test('a typo in a status, a missing field and a YAML syntax error are all reported at once', async (t) => {
  const config = copyConfig();
  t.teardown(config.remove);
  config.edit(referenceDialect, (s) =>
    s.replace(
      'description: "Operation 20: machining"\n    status: in_production',
      'description: "Operation 20: machining"\n    status: in_produktion',
    ),
  );
  config.edit(referenceDialect, (s) => s.replace('    eventId: /header/eventId\n', ''));
  const lineOf = (file: string, text: string) =>
    readFileSync(`${config.dir}/${file}`, 'utf8').split('\n').indexOf(text) + 1;
  config.edit('gateway.yaml', (s) => s.replace('  prefetch: 256', '  prefetch: [256'));
  const problems = problemsOf(config.dir);

  const typo = problems.find((p) => p.pointer === '/states/MACHINING/status');
  t.match(typo, {
    source: /dialect\.yaml$/,
    line: Number,
    message: /"in_produktion" is not one of the allowed values/,
    fix: /did you mean "in_production"/,
  });
  const missing = problems.find((p) => p.pointer === '/events/paths/eventId');
  t.match(missing, {
    source: /dialect\.yaml$/,
    line: lineOf(referenceDialect, '  paths:'),
    message: /missing required field "eventId"/,
    fix: /add eventId/,
  });
  const syntax = problems.find((p) => p.message.startsWith('YAML syntax'));
  t.match(syntax, { source: /gateway\.yaml$/, line: Number, fix: /\w/ });
});

t.test('lines point at the offending value', async (t) => {
  const config = copyConfig();
  t.teardown(config.remove);
  config.edit('gateway.yaml', (s) => s.replace('  deadline: 30s', '  deadline: 30 seconds'));
  config.edit('gateway.yaml', (s) => s.replace('  maxAttempts: 3 ', '  maxAttempts: 3\n  maxAtempts: 3 '));
  const problems = problemsOf(config.dir);
  const lines = (await import('node:fs')).readFileSync(`${config.dir}/gateway.yaml`, 'utf8').split('\n');
  const duration = problems.find((p) => p.pointer === '/acknowledgement/deadline');
  t.match(duration, { fix: /a duration such as 500ms, 30s/ });
  t.match(lines[duration!.line! - 1], /deadline: 30 seconds/);
  const unknown = problems.find((p) => p.pointer === '/acknowledgement/maxAtempts');
  t.match(unknown, { message: /unknown field "maxAtempts"/, fix: /did you mean "maxAttempts"/ });
  t.match(lines[unknown!.line! - 1], /maxAtempts/);
});

t.test(
  'every problem has the line and column of its bad value, and a value YAML typed by itself says how to quote it',
  async (t) => {
    const config = copyConfig();
    t.teardown(config.remove);
    config.edit(referenceDialect, (s) =>
      s
        .replace('  name: Reference MES (sim/mes)', '  name: 1e3')
        .replace('    next: [MACHINING, PAUSED, CANCELLED, ERROR]', '    next: [10, 20]')
        .replace('    next: [REWORK, CANCELLED]', '    next:\n      - REWORK\n      - 08')
        .replace('    description: Packed, waiting for the carrier', '    description: null')
        .replace('  WELDING:\n', '  WEL$DING:\n')
        .replace('    description: Packing for dispatch\n', ''),
    );
    config.edit('gateway.yaml', (s) =>
      s.replace('  evidenceLookup: true ', '  evidenceLookup: yes ').replace('  port: 8080', '  port: "8080"'),
    );
    const problems = problemsOf(config.dir, { ORDERBRIDGE_METRICS_PORT: 'ninety' });
    const text = {
      mapping: readFileSync(`${config.dir}/${referenceDialect}`, 'utf8'),
      gateway: readFileSync(`${config.dir}/gateway.yaml`, 'utf8'),
    };
    const lineOf = (file: keyof typeof text, line: string) => text[file].split('\n').indexOf(line) + 1;
    const at = (pointer: string) => problems.find((p) => p.pointer === pointer);

    t.match(at('/mes/name'), {
      source: /dialect\.yaml$/,
      line: lineOf('mapping', '  name: 1e3'),
      column: 9,
      message: 'must be a string, found a number (YAML reads the unquoted 1e3 as the number 1000)',
      fix: 'quote it: "1e3"',
    });
    const cutting = lineOf('mapping', '    next: [10, 20]');
    t.match(at('/states/CUTTING/next/0'), {
      line: cutting,
      column: 12,
      message: 'must be a string, found a number (YAML reads the unquoted 10 as a number)',
      fix: 'quote it: "10"',
    });
    t.match(at('/states/CUTTING/next/1'), { line: cutting, column: 16, fix: 'quote it: "20"' });
    t.match(at('/states/QC_FAILED/next/1'), {
      line: lineOf('mapping', '      - 08'),
      column: 9,
      message: /the unquoted 08 as the number 8/,
      fix: 'quote it: "08"',
    });
    t.match(at('/states/READY_FOR_DISPATCH/description'), {
      line: lineOf('mapping', '    description: null'),
      column: 18,
      message: 'must be a string, found null (YAML reads the unquoted null as null)',
      fix: 'quote it: "null"',
    });
    t.match(
      at('/states/WEL$DING'),
      { line: lineOf('mapping', '  WEL$DING:'), column: 3, message: '"WEL$DING" does not have the expected form' },
      'a bad state name: its own line, not the states: line',
    );
    t.match(
      at('/states/PACKING/description'),
      { line: lineOf('mapping', '  PACKING:'), column: 3, message: 'missing required field "description"' },
      'a missing field: the object that lacks it',
    );

    t.match(at('/acknowledgement/evidenceLookup'), {
      source: /gateway\.yaml$/,
      line: lineOf('gateway', '  evidenceLookup: yes       # ask the MES API before declaring an order lost'),
      column: 19,
      message: /YAML 1\.2 reads yes as a string/,
      fix: 'write true',
    });
    t.match(at('/http/port'), {
      line: lineOf('gateway', '  port: "8080"'),
      column: 9,
      message: /the quotes make it a string/,
      fix: 'remove the quotes: 8080',
    });
    t.match(
      at('/metrics/port'),
      {
        source: 'environment variable ORDERBRIDGE_METRICS_PORT',
        line: undefined,
        message:
          /must be an integer, found a string \(the value comes from the environment, not from .*gateway\.yaml\)/,
        fix: /^set ORDERBRIDGE_METRICS_PORT to an integer .*; or unset it to use the value in .*gateway\.yaml$/,
      },
      'a value an environment variable set has no line: the problem names the variable',
    );
    t.equal(problems.length, 10);
    const lines = (source: RegExp) => problems.filter((p) => source.test(p.source)).map((p) => p.line);
    t.same(
      lines(/dialect\.yaml$/),
      [...lines(/dialect\.yaml$/)].sort((a, b) => a! - b!),
      "a file's problems top to bottom, as a reader fixes them",
    );
    const gateway = problems.filter((p) => /gateway\.yaml$|^environment/.test(p.source));
    t.equal(gateway.at(-1)?.source, 'environment variable ORDERBRIDGE_METRICS_PORT', 'the ones with no line last');
  },
);

t.test('a missing file says which and how to get it', async (t) => {
  const config = copyConfig();
  t.teardown(config.remove);
  (await import('node:fs')).rmSync(`${config.dir}/${referenceDialect}`);
  t.match(problemsOf(config.dir), [
    { source: /dialect\.yaml$/, message: 'file not found', fix: /defaults are in the repository's config/ },
  ]);
});

t.test('durations', async (t) => {
  t.equal(durationMs('500ms'), 500);
  t.equal(durationMs('30s'), 30_000);
  t.equal(durationMs('5m'), 300_000);
  t.equal(durationMs('2h'), 7_200_000);
  t.equal(durationMs('3d'), 259_200_000);
  t.throws(() => durationMs('3 days'), /not a duration/);
});

t.test('a webhook secret comes from the environment variable the config names, and is never shown', async (t) => {
  const config = copyConfig();
  t.teardown(config.remove);
  config.edit('gateway.yaml', (s) =>
    s.replace(
      '    requestsPerSecond: 50\n',
      '    requestsPerSecond: 50\n    webhooks:\n      - url: https://shop.example.com/hooks\n        secretEnv: SHOP_WEBHOOK_SECRET\n',
    ),
  );
  t.match(problemsOf(config.dir), [
    {
      source: 'environment variable SHOP_WEBHOOK_SECRET',
      pointer: '/partners/0/webhooks/0/secretEnv',
      message: 'is not set',
      fix: /export SHOP_WEBHOOK_SECRET=whsec_/,
    },
  ]);
  const wrong = problemsOf(config.dir, { SHOP_WEBHOOK_SECRET: 'hunter2-not-a-secret' });
  t.match(wrong, [{ message: 'is not a Standard Webhooks secret' }]);
  t.notMatch(JSON.stringify(wrong), /hunter2/, 'the value is never repeated');
  const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
  const loaded = loadConfig({ dir: config.dir, env: { SHOP_WEBHOOK_SECRET: secret } });
  t.equal(loaded.secrets.SHOP_WEBHOOK_SECRET, secret);
  const readOnly = loadConfig({ dir: config.dir, env: {}, secrets: 'skip' });
  t.same(readOnly.secrets, {}, "secrets: 'skip' (the commands that only read) neither needs nor reads them");
  t.equal(
    readOnly.gateway.partners[0]?.webhooks?.[0]?.secretEnv,
    'SHOP_WEBHOOK_SECRET',
    'the rest of the config is loaded as usual',
  );
});

t.test('a URL refused by the schema is shown without its password, from the environment or the file', async (t) => {
  const problems = problemsOf(defaultConfigDir, {
    DATABASE_URL: 'mysql://app:s3cret-db-pw@db:3306/orders',
    AMQP_URL: 'ftp://guest:s3cret-mq-pw@mq',
  });
  const text = JSON.stringify(problems);
  t.match(text, /mysql:\/\/app:\*\*\*@db:3306/, 'the URL is named, masked');
  t.notMatch(text, /s3cret/, 'no password');
});
