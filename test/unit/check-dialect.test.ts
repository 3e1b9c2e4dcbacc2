import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCliCaptured } from '../helpers/cli.js';
import { copyConfig, defaultConfigDir, referenceDialect } from '../helpers/config-dir.js';
import { loadConfig } from '../../src/config/index.js';
import { checkDialectOf } from '../../src/cli/check-config.js';
import { validatorFor } from '../../src/contracts/validate.js';
import { crmSamples } from '../../src/mapping/index.js';
import { anyItem, rootPlace, stepPlace, typesAt, walkPointer } from '../../src/mapping/schema-walk.js';
import { doesNotFit } from '../../src/mapping/schema-values.js';

const lineController = 'mes/line-controller/dialect.yaml';

/** `file:line:column` of the first occurrence of `text` on the line that holds `lineText`. */
function at(file: string, lineText: string, text = lineText.trim()): string {
  const lines = readFileSync(file, 'utf8').split('\n');
  const line = lines.findIndex((l) => l.includes(lineText));
  if (line < 0) throw new Error(`no line with ${lineText}`);
  return `${file}:${line + 1}:${lines[line]!.indexOf(text) + 1}`;
}

t.test('both shipped dialects fit their schemas: no finding', async (t) => {
  for (const dialect of ['mes/reference', 'mes/line-controller']) {
    const config = loadConfig({ dir: defaultConfigDir, env: { ORDERBRIDGE_DIALECT: dialect } });
    t.same(checkDialectOf(config), [], dialect);
    const { code, stdout } = await runCliCaptured(['check-config', '--config', defaultConfigDir], {
      ORDERBRIDGE_DIALECT: dialect,
    });
    t.equal(code, 0, dialect);
    t.match(stdout, /Lint: no findings/);
  }
});

t.test('the sample CRM commands follow the CRM contracts', async (t) => {
  const validate = validatorFor('crmCommand');
  for (const { name, command } of crmSamples) t.ok(validate(command).ok, name);
  t.same(new Set(crmSamples.map((s) => s.command.type)), new Set(['order.create', 'order.cancel', 'order.update']));
});

t.test(
  'an event path that is not in the event schema makes the dialect invalid, at its line and column, with the fix',
  async (t) => {
    const config = copyConfig();
    t.teardown(config.remove);
    config.edit(referenceDialect, (s) =>
      s.replace('    orderId: /order/externalRef', '    orderId: /order/externalRf'),
    );
    const file = join(config.dir, referenceDialect);
    const { code, stderr } = await runCliCaptured(['check-config', '--config', config.dir]);
    t.equal(code, 2);
    t.match(
      stderr,
      `${at(file, 'orderId: /order/externalRf', '/order')}: [unknown_path] /events/paths/orderId: /order/externalRf is not in event.schema.json: /order has no field externalRf (it allows: externalRef, mesOrderNo, state, previousState, workCenter): no event could be read`,
    );
    t.match(stderr, '(fix: did you mean /order/externalRef?)');

    // serve refuses to start on it, with the same words (and never reaches RabbitMQ).
    const served = await runCliCaptured(['serve', '--config', config.dir]);
    t.equal(served.code, 2);
    t.equal(served.stderr, stderr.split('\nLint:')[0]);
  },
);

t.test('a value of a type the gateway cannot read', async (t) => {
  const config = copyConfig();
  t.teardown(config.remove);
  const schemaFile = join(config.dir, 'mes/reference/event.schema.json');
  writeFileSync(
    schemaFile,
    readFileSync(schemaFile, 'utf8').replace(
      '"state": { "type": "string", "minLength": 1, "maxLength": 64 }',
      '"state": { "type": "boolean" }',
    ),
  );
  const file = join(config.dir, referenceDialect);
  const { code, stderr } = await runCliCaptured(['check-config', '--config', config.dir]);
  t.equal(code, 2);
  t.match(
    stderr,
    `${at(file, 'state: /order/state', '/order')}: [incompatible_type] /events/paths/state: /order/state is a boolean in event.schema.json; a state must be text or a number (fix: point state at the field that holds a state)`,
  );
});

t.test('epoch times read as ISO, and a correlation id the dialect never reads', async (t) => {
  const config = copyConfig();
  t.teardown(config.remove);
  const path = join(config.dir, lineController);
  writeFileSync(
    path,
    readFileSync(path, 'utf8')
      .replace('    occurredAt: { time: epochMillis }\n', '')
      .replace('  by: state', '  by: correlationId'),
  );
  const { code, stderr } = await runCliCaptured(['check-config', '--config', config.dir], {
    ORDERBRIDGE_DIALECT: 'mes/line-controller',
  });
  t.equal(code, 2);
  t.match(
    stderr,
    `${at(path, 'occurredAt: /atMs', '/atMs')}: [incompatible_type] /events/changes/paths/occurredAt: /changes/*/atMs is an integer in event.schema.json; with time: iso (the default) a time must be ISO 8601 text (fix: set events.values.occurredAt.time to epochMillis or epochSeconds`,
  );
  t.match(stderr, `${at(path, 'by: correlationId', 'correlationId')}: [no_correlation] /acknowledgement/by: `);
  t.match(stderr, 'the watchdog would flag every order lost');
});

t.test('a template field the command schema does not have, and a required field no template writes', async (t) => {
  const config = copyConfig();
  t.teardown(config.remove);
  config.edit(referenceDialect, (s) =>
    s.replace(
      '        messageType: CANCEL_ORDER\n        sender: ORDERBRIDGE\n',
      '        messageType: CANCEL_ORDER\n        sendr: ORDERBRIDGE\n',
    ),
  );
  config.edit(referenceDialect, (s) =>
    s.replace(
      '      body:\n        externalRef: { from: /orderId }\n        dueDate: { from: /changes/requestedDeliveryDate }',
      '      body:\n        dueDate: { from: /changes/requestedDeliveryDate }',
    ),
  );
  const file = join(config.dir, referenceDialect);
  const text = readFileSync(file, 'utf8');
  const { code, stderr } = await runCliCaptured(['check-config', '--config', config.dir]);
  t.equal(code, 2);
  t.match(
    stderr,
    `${at(file, 'sendr: ORDERBRIDGE', 'sendr')}: [unknown_field] /commands/order.cancel/message/header/sendr: command.schema.json at /header has no field sendr`,
  );
  t.match(stderr, '(fix: did you mean sender?)');
  const headerLine = text.split('\n').indexOf('        sendr: ORDERBRIDGE') - 2;
  t.match(
    stderr,
    `${file}:${headerLine}:7: [missing_field] /commands/order.cancel/message/header: command.schema.json at /header requires sender, which the template never writes: every order.cancel command would be refused (fix: add sender: `,
  );
  const bodyLine = text.split('\n').indexOf('        dueDate: { from: /changes/requestedDeliveryDate }');
  t.match(
    stderr,
    `${file}:${bodyLine}:7: [missing_field] /commands/order.update/message/body: command.schema.json at /body requires externalRef`,
  );
});

t.test('a required field missing only in commands with an optional list is a lint finding (exit 1)', async (t) => {
  const config = copyConfig();
  t.teardown(config.remove);
  config.edit(referenceDialect, (s) =>
    s.replace(/(each: \/changes\/lines\n {10}item:\n) {12}pos: \{ index: \{ start: 10, step: 10 \} \}\n/, '$1'),
  );
  const { code, stdout } = await runCliCaptured(['check-config', '--config', config.dir]);
  t.equal(code, 1);
  t.match(
    stdout,
    '[missing_field] /commands/order.update/message/body/positions/item: command.schema.json at /body/positions/* requires pos, which the template never writes: every order.update command with /changes/lines would be refused',
  );
});

t.test('a constant that does not fit says which values would, or to quote it', async (t) => {
  const config = copyConfig();
  t.teardown(config.remove);
  config.edit(referenceDialect, (s) =>
    s
      .replace('        messageType: CHANGE_ORDER', '        messageType: CHANGE')
      .replace('        cancelReason: { from: /reason }', '        cancelReason: 42'),
  );
  const file = join(config.dir, referenceDialect);
  const { code, stderr } = await runCliCaptured(['check-config', '--config', config.dir]);
  t.equal(code, 2);
  t.match(
    stderr,
    `${at(file, 'messageType: CHANGE', 'CHANGE')}: [invalid_value] /commands/order.update/message/header/messageType: "CHANGE" does not fit command.schema.json at /header/messageType: it is not one of "CREATE_ORDER", "CANCEL_ORDER", "CHANGE_ORDER" (fix: use one of:`,
  );
  t.match(
    stderr,
    `${at(file, 'cancelReason: 42', '42')}: [invalid_value] /commands/order.cancel/message/body/cancelReason: 42 does not fit command.schema.json at /body/cancelReason: it must be a string, not an integer (fix: quote it: "42")`,
  );
});

t.test(
  'a `from` that the CRM command does not have: a finding, an error when it writes a required field',
  async (t) => {
    const config = copyConfig();
    t.teardown(config.remove);
    config.edit(referenceDialect, (s) =>
      s.replace('        customerNo: { from: /customer/id }', '        customerNo: { from: /customer/ident }'),
    );
    config.edit(referenceDialect, (s) =>
      s.replace('            material: { from: /sku }', '            material: { from: /lines/sku }'),
    );
    const file = join(config.dir, referenceDialect);
    const optional = await runCliCaptured(['check-config', '--config', config.dir]);
    t.equal(optional.code, 2, 'the required material is never written');
    t.match(
      optional.stderr,
      `${at(file, 'material: { from: /lines/sku }', '/lines/sku')}: [unknown_from] /commands/order.create/message/body/positions/item/material/from: /lines/*/lines/sku is not in the CRM order.create command (in the elements of /lines) (it allows: sku, description, quantity, unit): the required field it writes would always be missing`,
    );
    t.match(optional.stderr, 'inside each, pointers are relative to the element of /lines');
    t.match(
      optional.stderr,
      `${at(file, 'customerNo: { from: /customer/ident }', '/customer/ident')}: [unknown_from] /commands/order.create/message/body/customerNo/from: /customer/ident is not in the CRM order.create command: /customer has no field ident (it allows: id, name): the field it writes would always be left out`,
    );
  },
);

t.test('table values, gaps and over-long texts are lint findings (exit 1)', async (t) => {
  const config = copyConfig();
  t.teardown(config.remove);
  config.edit(referenceDialect, (s) =>
    s.replace(
      'uom: { from: /unit, default: pcs, table: { pcs: PCE, m: M, kg: KG, set: SET } }',
      'uom: { from: /unit, default: pcs, table: { pcs: PCE, m: M, kg: KGS } }',
    ),
  );
  config.edit(referenceDialect, (s) =>
    s.replace(
      '        customerName: { from: /customer/name }',
      '        customerName: { from: /customer/name }\n        cancelReason: { from: /notes }',
    ),
  );
  const file = join(config.dir, referenceDialect);
  const { code, stdout } = await runCliCaptured(['check-config', '--config', config.dir]);
  t.equal(code, 1);
  t.match(
    stdout,
    `${at(file, 'kg: KGS', 'KGS')}: [invalid_value] /commands/order.create/message/body/positions/item/uom/table/kg: kg → "KGS" does not fit`,
  );
  t.match(
    stdout,
    '[table_gap] /commands/order.create/message/body/positions/item/uom/table: the CRM order.create may send set at /lines/*/unit, which the table lacks',
  );
  t.match(
    stdout,
    `${at(file, 'cancelReason: { from: /notes }', '/notes')}: [too_long] /commands/order.create/message/body/cancelReason/from: /notes may have 2000 characters, where command.schema.json at /body/cancelReason allows 500: longer ones would be refused (fix: add maxLength: 500`,
  );
});

t.test('a sample command catches what no static check sees (formats, patterns)', async (t) => {
  const config = copyConfig();
  t.teardown(config.remove);
  config.edit(referenceDialect, (s) =>
    s.replace('        dueDate: { from: /requestedDeliveryDate }', '        dueDate: { from: /notes }'),
  );
  const file = join(config.dir, referenceDialect);
  const { code, stdout } = await runCliCaptured(['check-config', '--config', config.dir]);
  t.equal(code, 1);
  t.match(
    stdout,
    `${at(file, 'dueDate: { from: /notes }', 'dueDate')}: [sample_invalid] /commands/order.create/message/body/dueDate: the command built from the full order.create sample is refused by command.schema.json: /body/dueDate: "Deliver to gate 3; call before arrival." is not a valid date`,
  );
});

t.test('the schema walker', async (t) => {
  const registry = {
    'https://x.test/common.json': {
      $defs: {
        line: {
          type: 'object',
          additionalProperties: false,
          required: ['sku'],
          properties: { sku: { type: 'string', maxLength: 4 } },
        },
      },
    },
  };
  const schema = {
    $id: 'https://x.test/root.json',
    type: 'object',
    properties: {
      lines: { type: 'array', items: { $ref: 'common.json#/$defs/line' } },
      pair: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'integer' }], items: false },
      code: { anyOf: [{ type: 'integer' }, { type: 'string', enum: ['A', 'B'] }] },
      both: { allOf: [{ $ref: '#/$defs/closed' }, { properties: { extra: { type: 'string' } } }] },
      loose: { type: 'object' },
    },
    $defs: { closed: { type: 'object', additionalProperties: false, properties: { id: { type: 'string' } } } },
  };
  const root = rootPlace(schema, registry);
  const typesOf = (pointer: string) => {
    const walked = walkPointer(root, pointer);
    return walked.ok ? typesAt(walked.place) : 'not there';
  };
  t.same(typesOf('/lines/3/sku'), ['string'], 'items through a $ref to another file');
  t.equal(typesOf('/lines/0/qty'), 'not there', 'additionalProperties false in the referenced schema');
  t.same(typesOf('/pair/1'), ['integer'], 'prefixItems');
  t.equal(typesOf('/pair/2'), 'not there', 'items: false after prefixItems');
  t.same(typesOf('/code'), ['string', 'integer'], 'anyOf branches');
  t.equal(typesOf('/code/x'), 'not there', 'nothing inside a scalar');
  t.equal(typesOf('/both/extra'), 'not there', 'allOf: the closed branch forbids what the other names');
  t.same(typesOf('/both/id'), ['string']);
  t.equal(typesOf('/loose/anything/deeper'), undefined, 'an open object: unknown, never "not there"');
  const pair = walkPointer(root, '/pair');
  t.same(pair.ok && typesAt(stepPlace(pair.place, anyItem)!), ['string', 'integer'], 'any element of a tuple');
  const code = walkPointer(root, '/code');
  t.ok(code.ok);
  if (code.ok) {
    t.equal(doesNotFit(code.place, 'A'), undefined);
    t.equal(doesNotFit(code.place, 7), undefined);
    t.match(doesNotFit(code.place, 'C'), /not one of "A", "B"/);
  }
  const lines = walkPointer(root, '/lines');
  t.ok(lines.ok);
  if (lines.ok) {
    t.equal(doesNotFit(lines.place, [{ sku: 'AB' }]), undefined);
    t.match(doesNotFit(lines.place, [{ sku: 'ABCDEF' }]), /longer than 4/);
    t.match(doesNotFit(lines.place, [{}]), /lacks the required field sku/);
  }
  t.equal(walkPointer(rootPlace({ $ref: 'elsewhere.json' }), '/a/b').ok, true, 'a $ref it cannot resolve says nothing');
});
