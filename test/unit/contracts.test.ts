import t from 'tap';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { validatorFor } from '../../src/contracts/validate.js';
import { readCrmCommand } from '../../src/app/read-messages.js';
import statusModel from '../../contracts/external/status-model.json' with { type: 'json' };

const root = resolve(import.meta.dirname, '../..');
const script = join(root, 'scripts/contracts.mjs');

t.test('contracts:check passes: the committed types match the schemas', async (t) => {
  const result = spawnSync(process.execPath, [script, '--check'], { encoding: 'utf8' });
  t.equal(result.status, 0, result.stderr);
});

t.test('contracts:check fails when a schema changed and the types were not regenerated', async (t) => {
  const copy = mkdtempSync(join(tmpdir(), 'orderbridge-contracts-'));
  t.teardown(() => rmSync(copy, { recursive: true, force: true }));
  cpSync(join(root, 'contracts'), join(copy, 'contracts'), { recursive: true });
  cpSync(join(root, 'config/mes'), join(copy, 'config/mes'), { recursive: true });
  cpSync(join(root, 'src/contracts/generated'), join(copy, 'src/contracts/generated'), { recursive: true });
  const schemaFile = join(copy, 'contracts/external/order-status.schema.json');
  const schema = JSON.parse(readFileSync(schemaFile, 'utf8'));
  schema.enum.push('archived');
  writeFileSync(schemaFile, JSON.stringify(schema));
  const result = spawnSync(process.execPath, [script, '--check', '--root', copy], { encoding: 'utf8' });
  t.equal(result.status, 1);
  t.match(result.stderr, /stale[\s\S]*external\/order-status\.ts/);
});

t.test('status-model.json satisfies its own schema', async (t) => {
  const result = validatorFor('statusModel')(statusModel);
  t.ok(result.ok, JSON.stringify(!result.ok && result.problems));
});

t.test('reference messages validate; server-owned or unknown fields are refused', async (t) => {
  const create = {
    messageId: 'crm-msg-1',
    type: 'order.create',
    sentAt: '2026-11-25T10:00:00Z',
    orderId: 'CRM-1001',
    partner: 'shop',
    customer: { id: 'C-17', name: 'Acme GmbH' },
    lines: [{ sku: 'BRKT-200', quantity: 40 }],
    priority: 'rush',
  };
  t.ok(validatorFor('crmOrderCreate')(create).ok);
  t.ok(validatorFor('crmCommand')(create).ok, 'the command union accepts it');
  const withStatus = validatorFor('crmOrderCreate')({ ...create, status: 'shipped' });
  t.match(withStatus, { ok: false, problems: [{ pointer: '/status', message: 'unknown field "status"' }] });
  for (const sentAt of ['2026-12-31T23:59:60Z', '2026-02-29T10:00:00Z'])
    t.match(
      validatorFor('crmOrderCreate')({ ...create, sentAt }),
      { ok: false, problems: [{ pointer: '/sentAt', message: /is not a valid date-time/ }] },
      `${sentAt}: RFC 3339 allows it, no clock or calendar has it`,
    );
  const badLine = validatorFor('crmOrderCreate')({ ...create, lines: [{ sku: 'X', quantity: 0 }] });
  t.match(badLine, { ok: false, problems: [{ pointer: '/lines/0/quantity' }] });
  const cancel = {
    messageId: 'crm-msg-2',
    type: 'order.cancel',
    sentAt: '2026-11-25T10:00:00Z',
    orderId: 'CRM-1001',
    reason: 'customer changed mind',
  };
  t.ok(validatorFor('crmCommand')(cancel).ok);
  const update = {
    messageId: 'crm-msg-3',
    type: 'order.update',
    sentAt: '2026-11-25T10:00:00Z',
    orderId: 'CRM-1001',
    changes: {},
  };
  t.match(
    validatorFor('crmOrderUpdate')(update),
    { ok: false, problems: [{ pointer: '/changes' }] },
    'an update must change something',
  );
  const event = {
    specversion: '1.0',
    id: 'evt-1',
    source: '/orderbridge',
    type: 'dev.orderbridge.order.status_changed',
    time: '2026-11-25T10:00:00Z',
    subject: 'CRM-1001',
    datacontenttype: 'application/json',
    data: {
      orderId: 'CRM-1001',
      kind: 'status_changed',
      status: 'in_production',
      previousStatus: 'accepted',
      mesState: 'CUTTING',
      occurredAt: '2026-11-25T10:00:00Z',
    },
  };
  t.ok(validatorFor('orderEvent')(event).ok, 'a CloudEvents order event');
});

t.test('every schema is JSON Schema 2020-12 with an $id that mirrors its path', async (t) => {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.schema.json') ? [join(dir, e.name)] : [],
    );
  for (const file of walk(join(root, 'contracts'))) {
    const schema = JSON.parse(readFileSync(file, 'utf8'));
    t.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema', file);
    t.equal(schema.$id, `https://orderbridge.dev/${file.slice(root.length + 1)}`, file);
  }
});

t.test('a CRM command that is no object, or has no known type, says what it is and the fix', async (t) => {
  const errors = [null, [1, 2], 'hello', { type: 5 }, {}, { type: 'order.delete' }].map((body) => {
    const read = readCrmCommand(body);
    return read.ok ? 'ok' : read.error;
  });
  t.same(errors, [
    '/: null is not a CRM command (fix: send a JSON object)',
    '/: an array is not a CRM command (fix: send a JSON object)',
    '/: "hello" is not a CRM command (fix: send a JSON object)',
    '/type: 5 is not a CRM command type (fix: use order.create, order.cancel or order.update)',
    '/type: nothing is not a CRM command type (fix: use order.create, order.cancel or order.update)',
    '/type: "order.delete" is not a CRM command type (fix: use order.create, order.cancel or order.update)',
  ]);
});
