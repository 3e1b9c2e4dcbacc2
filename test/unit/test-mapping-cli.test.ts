import t from 'tap';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCliCaptured } from '../helpers/cli.js';
import { copyConfig, defaultConfigDir } from '../helpers/config-dir.js';
import { loadConfig } from '../../src/config/index.js';
import { dialectRunner } from '../../src/app/dialect-outcome.js';
import { mesCommandId } from '../../src/app/forward-crm-command.js';

// Every dialect shipped in config/mes/ has its test cases beside it; CI runs them all through this test.
const shipped = readdirSync(join(defaultConfigDir, 'mes'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(defaultConfigDir, 'mes', entry.name, 'dialect.yaml')))
  .map((entry) => entry.name);

t.test('the shipped dialects are the reference and the line controller at least', async (t) => {
  t.ok(shipped.includes('reference') && shipped.includes('line-controller'), shipped.join(', '));
});

for (const name of shipped) {
  t.test(`the test cases of mes/${name} all pass`, async (t) => {
    t.ok(existsSync(join(defaultConfigDir, 'mes', name, 'tests.yaml')), `config/mes/${name}/tests.yaml exists`);
    const { code, stdout, stderr } = await runCliCaptured([
      'test-mapping',
      '--config',
      defaultConfigDir,
      '--dialect',
      `mes/${name}`,
    ]);
    t.equal(code, 0, stdout + stderr);
    const lines = stdout.split('\n').filter((line) => /^(ok|FAILED) /.test(line));
    t.ok(lines.length >= 10, `${lines.length} cases`);
    t.ok(
      lines.some((line) => line.startsWith('ok      event: ')) &&
        lines.some((line) => line.startsWith('ok      command: ')),
      'events and commands',
    );
    t.match(stdout, new RegExp(`^${lines.length} case\\(s\\): ${lines.length} passed, 0 failed$`, 'm'));
  });
}

t.test('without --dialect it runs the configured one (ORDERBRIDGE_DIALECT too)', async (t) => {
  const reference = await runCliCaptured(['test-mapping', '--config', defaultConfigDir]);
  t.equal(reference.code, 0);
  t.match(reference.stdout, /^Test cases of Reference MES .* in .*mes\/reference\/tests\.yaml:$/m);
  const other = await runCliCaptured(['test-mapping', '--config', defaultConfigDir], {
    ORDERBRIDGE_DIALECT: 'mes/line-controller',
  });
  t.equal(other.code, 0);
  t.match(other.stdout, /mes\/line-controller\/tests\.yaml:/);
});

t.test('a wrong expectation fails its case (exit 1) with a diff that names the field', async (t) => {
  const config = copyConfig();
  t.teardown(config.remove);
  const file = join(config.dir, 'mes/reference/tests.yaml');
  const text = readFileSync(file, 'utf8');
  const wrong = text
    .replace('          priority: 2\n', '          priority: 3\n')
    .replace('    expect:\n      - status: on_hold\n', '    expect:\n      - status: on_hold\n        ack: rejected\n');
  t.not(wrong, text);
  writeFileSync(file, wrong);
  const { code, stdout } = await runCliCaptured(['test-mapping', '--config', config.dir]);
  t.equal(code, 1);
  const line =
    wrong.split('\n').indexOf('  - name: a create becomes CREATE_ORDER, with priority and unit codes from the tables') +
    1;
  t.match(
    stdout,
    `FAILED  command: a create becomes CREATE_ORDER, with priority and unit codes from the tables\n        at ${file}:${line}:5 (/commands/0)\n        - expected\n        + actual\n`,
  );
  t.match(stdout, /^ {8}- {7}"priority": 3,$/m, 'the expected value, marked -');
  t.match(stdout, /^ {8}\+ {7}"priority": 2,$/m, 'the actual value, marked +');
  t.notMatch(stdout, /[-+] +"customerNo"/, 'fields that agree are not marked');
  t.match(
    stdout,
    /FAILED {2}event: a failed inspection puts the order on hold[\s\S]*?- +"ack": "rejected"/,
    'an ack the state does not give',
  );
  t.match(stdout, /^ok {6}event: a state the dialect does not know is quarantined/m, 'the other cases still run');
  t.match(stdout, /^\d+ case\(s\): \d+ passed, 2 failed$/m);
});

t.test('an expected error the dialect does not give fails, saying what it looked for', async (t) => {
  const config = copyConfig();
  t.teardown(config.remove);
  const file = join(config.dir, 'mes/reference/tests.yaml');
  writeFileSync(
    file,
    readFileSync(file, 'utf8').replace(
      `invalid: 'missing required field "externalRef"'`,
      `invalid: 'missing required field "mesOrderNo"'`,
    ),
  );
  const { code, stdout } = await runCliCaptured(['test-mapping', '--config', config.dir]);
  t.equal(code, 1);
  t.match(
    stdout,
    /FAILED {2}event: a message without the order's reference is invalid\n.*\n {8}the error does not contain "missing required field \\"mesOrderNo\\"":\n/,
  );
  t.match(stdout, /\+ +"invalid": "\/order\/externalRef: missing required field \\"externalRef\\"/);
});

t.test('a case can expect a template refusal: a value missing from a table of the dialect', async (t) => {
  const config = copyConfig();
  t.teardown(config.remove);
  const dialect = join(config.dir, 'mes/line-controller/dialect.yaml');
  const text = readFileSync(dialect, 'utf8');
  writeFileSync(
    dialect,
    text.replace('table: { pcs: ST, m: MTR, kg: KGM, set: SET }', 'table: { pcs: ST, m: MTR, kg: KGM }'),
  );
  const cases = join(config.dir, 'kits.yaml');
  writeFileSync(
    cases,
    [
      'commands:',
      '  - name: kits are not made on this line',
      '    now: 2026-12-06T09:30:00Z',
      '    command: { messageId: m-1, type: order.create, sentAt: "2026-12-06T09:00:00Z", orderId: SO-1, partner: shop, customer: { id: c, name: C }, lines: [{ sku: kit, quantity: 1, unit: set }] }',
      '    invalid: \'commands/order.create/message/items/item/unit: "set" at /unit is not in its table (pcs, m, kg)\'',
      '',
    ].join('\n'),
  );
  const { code, stdout } = await runCliCaptured([
    'test-mapping',
    '--config',
    config.dir,
    '--dialect',
    'mes/line-controller',
    '--cases',
    cases,
  ]);
  t.equal(code, 0, stdout);
  t.match(stdout, /^ok {6}command: kits are not made on this line$/m);
  const shipped = await runCliCaptured(['test-mapping', '--config', config.dir, '--dialect', 'mes/line-controller']);
  t.equal(shipped.code, 1, 'the shipped case that sends a kit now fails');
  t.match(
    shipped.stdout,
    /\+ +"invalid": "commands\/order\.create\/message\/items\/item\/unit: \\"set\\" at \/unit is not in its table/,
  );
});

t.test('an invalid tests.yaml exits 2 with file:line:column, pointer and fix for each problem', async (t) => {
  const config = copyConfig();
  t.teardown(config.remove);
  const file = join(config.dir, 'mes/reference/tests.yaml');
  const text = readFileSync(file, 'utf8')
    .replace('      - status: on_hold\n', '      - status: onhold\n')
    .replace(
      '    invalid: \'missing required field "externalRef"\'\n',
      '    invalid: \'missing required field "externalRef"\'\n    expect: [{ status: accepted }]\n',
    )
    .replace('now: 2026-12-06T09:30:00Z\n', '');
  writeFileSync(file, text);
  const lines = text.split('\n');
  const status = lines.indexOf('      - status: onhold') + 1;
  const both = lines.indexOf("  - name: a message without the order's reference is invalid") + 1;
  const { code, stdout, stderr } = await runCliCaptured(['test-mapping', '--config', config.dir]);
  t.equal(code, 2);
  t.equal(stdout, '', 'no case runs');
  t.match(stderr, `Invalid test cases in ${file}: `);
  t.match(
    stderr,
    `${file}:${status}:17: /events/3/expect/0/status: "onhold" is not one of the allowed values (fix: did you mean "on_hold"?`,
  );
  t.match(
    stderr,
    `${file}:${both}:5: /events/10: does not match any allowed shape (fix: make it either expect (one entry per state change) or invalid (a part of the error), not both)`,
  );
  t.match(
    stderr,
    new RegExp(
      `${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:5: /commands/0/now: missing required field "now" \\(fix: add now \\(the gateway's clock`,
    ),
  );
});

t.test('a YAML syntax error and a missing cases file are invalid too (exit 2)', async (t) => {
  const config = copyConfig();
  t.teardown(config.remove);
  const broken = join(config.dir, 'broken.yaml');
  writeFileSync(broken, 'events:\n  - name: a\n   event: {}\n');
  const syntax = await runCliCaptured(['test-mapping', '--config', config.dir, '--cases', broken]);
  t.equal(syntax.code, 2);
  t.match(syntax.stderr, new RegExp(`${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:\\d+: YAML syntax: `));
  const missing = await runCliCaptured([
    'test-mapping',
    '--config',
    config.dir,
    '--cases',
    join(config.dir, 'none.yaml'),
  ]);
  t.equal(missing.code, 2);
  t.match(missing.stderr, /none\.yaml: \/: file not found/);
  const noDialect = await runCliCaptured(['test-mapping', '--config', config.dir, '--dialect', 'mes/nope']);
  t.equal(noDialect.code, 2);
  t.match(noDialect.stderr, /mes\/nope\/dialect\.yaml: \/: file not found/);
});

t.test('the help names test-mapping', async (t) => {
  const { code, stdout } = await runCliCaptured(['help']);
  t.equal(code, 0);
  t.match(stdout, /^ {2}test-mapping \[--config DIR\] \[--dialect mes\/NAME\] \[--cases FILE\]$/m);
});

t.test('the runner applies one dialect to single messages, as the gateway does, for any what-if', async (t) => {
  const runner = dialectRunner(
    loadConfig({ dir: defaultConfigDir, env: { ORDERBRIDGE_DIALECT: 'mes/line-controller' } }),
  );
  t.same(
    runner.event({
      seq: 5,
      job: { ref: 'SO-1 ' },
      changes: [
        { code: 10, atMs: 1_796_549_400_000 },
        { code: 35, atMs: 1_796_549_400_001 },
      ],
    }),
    {
      ok: true,
      changes: [
        {
          fields: { eventId: '5/0', orderId: 'SO-1', state: '10', occurredAt: '2026-12-06T09:30:00.000Z' },
          type: 'mes.event',
          status: 'accepted',
          ack: 'accepted',
        },
        {
          fields: { eventId: '5/1', orderId: 'SO-1', state: '35', occurredAt: '2026-12-06T09:30:00.001Z' },
          type: 'mes.event',
          quarantine: 'unknown MES state "35": add it to the dialect\'s states',
        },
      ],
    },
  );
  t.match(runner.event({ seq: 'x', job: { ref: 'SO-1' }, changes: [{ code: 10, atMs: 0 }] }), {
    ok: false,
    error: /^\/seq: must be an integer, found a string/,
  });
  const cancel = {
    messageId: 'crm-9',
    type: 'order.cancel',
    sentAt: '2026-12-06T09:00:00Z',
    orderId: 'SO-1',
    reason: 'no longer needed',
  };
  t.match(runner.command(cancel, { now: 1_796_549_400_000 }), {
    ok: true,
    routingKey: 'job.stop',
    message: { commandId: mesCommandId('crm-9'), issuedAt: 1_796_549_400 },
  });
  t.match(runner.command(cancel, { now: 1_796_549_400_000, messageId: 'given' }), {
    ok: true,
    message: { commandId: 'given' },
  });
  t.match(runner.command({ ...cancel, type: 'order.delete' }, { now: 0 }), {
    ok: false,
    error: /^\/type: "order\.delete" is not a CRM command/,
  });
});
