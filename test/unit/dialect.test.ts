import t from 'tap';
import { loadConfig } from '../../src/config/index.js';
import type { CrmCommand } from '../../src/contracts/generated/crm/command.js';
import { dialectCommandWriter, mesCommandId } from '../../src/app/forward-crm-command.js';
import { mesEventReader, orderLookupTarget, readOrderAnswer, readTime, translate } from '../../src/mapping/index.js';
import { compileTemplate, formatDate } from '../../src/mapping/command-template.js';
import { defaultConfigDir } from '../helpers/config-dir.js';

const reference = loadConfig({ dir: defaultConfigDir, env: {} });
const lineController = loadConfig({ dir: defaultConfigDir, env: { ORDERBRIDGE_DIALECT: 'mes/line-controller' } });
const now = Date.UTC(2026, 11, 6, 9, 30, 0);

const create: CrmCommand = {
  messageId: 'crm-1',
  type: 'order.create',
  sentAt: '2026-12-06T09:00:00Z',
  orderId: 'SO-1',
  partner: 'shop',
  priority: 'rush',
  customer: { id: 'c-77', name: 'Acme' },
  requestedDeliveryDate: '2026-12-24',
  lines: [
    { sku: 'brkt-200', quantity: 4, unit: 'kg', description: 'Bracket' },
    { sku: 'nut-8', quantity: 100 },
  ],
};

t.test('the reference dialect writes the reference MES command the codec used to write', async (t) => {
  const built = dialectCommandWriter(reference)(create, mesCommandId('crm-1'), now);
  t.same(built, {
    ok: true,
    routingKey: 'CREATE_ORDER',
    message: {
      header: {
        messageId: mesCommandId('crm-1'),
        messageType: 'CREATE_ORDER',
        sender: 'ORDERBRIDGE',
        createdAt: '2026-12-06T09:30:00.000Z',
      },
      body: {
        externalRef: 'SO-1',
        customerNo: 'c-77',
        customerName: 'Acme',
        priority: 2,
        dueDate: '2026-12-24',
        positions: [
          { pos: 10, material: 'brkt-200', qty: 4, uom: 'KG', text: 'Bracket' },
          { pos: 20, material: 'nut-8', qty: 100, uom: 'PCE' },
        ],
      },
    },
  });
  const cancel = dialectCommandWriter(reference)(
    { messageId: 'crm-2', type: 'order.cancel', sentAt: '2026-12-06T09:00:00Z', orderId: 'SO-1', reason: 'withdrawn' },
    'ob-2',
    now,
  );
  t.match(cancel, {
    ok: true,
    routingKey: 'CANCEL_ORDER',
    message: { body: { externalRef: 'SO-1', cancelReason: 'withdrawn' } },
  });
  const update = dialectCommandWriter(reference)(
    {
      messageId: 'crm-3',
      type: 'order.update',
      sentAt: '2026-12-06T09:00:00Z',
      orderId: 'SO-1',
      changes: { notes: 'gate 4' },
    },
    'ob-3',
    now,
  );
  t.same(
    update.ok && update.message,
    {
      header: {
        messageId: 'ob-3',
        messageType: 'CHANGE_ORDER',
        sender: 'ORDERBRIDGE',
        createdAt: '2026-12-06T09:30:00.000Z',
      },
      body: { externalRef: 'SO-1', remark: 'gate 4' },
    },
    'absent changes are left out',
  );
});

t.test(
  'another dialect writes another format from the same command: tables, text amounts, upper case, epoch seconds, compact dates, composed text',
  async (t) => {
    const built = dialectCommandWriter(lineController)(create, 'ob-1', now);
    t.same(built, {
      ok: true,
      routingKey: 'job.new',
      message: {
        commandId: 'ob-1',
        op: 'NEW',
        jobRef: 'SO-1',
        issuedAt: now / 1000,
        customer: 'C-77',
        rush: true,
        due: '20261224',
        label: 'c-77/SO-1',
        items: [
          { no: 1, article: 'BRKT-200', amount: '4', unit: 'KGM' },
          { no: 2, article: 'NUT-8', amount: '100', unit: 'ST' },
        ],
      },
    });
  },
);

t.test('a command the dialect cannot write says which template field and how to fix it', async (t) => {
  const odd = { ...create, lines: [{ sku: 'x', quantity: 1, unit: 'furlong' }] } as unknown as CrmCommand;
  const built = dialectCommandWriter(lineController)(odd, 'ob-1', now);
  t.match(built, {
    ok: false,
    error:
      /commands\/order\.create\/message\/items\/item\/unit: "furlong" at \/unit is not in its table \(pcs, m, kg, set\); fix: add it to the table/,
  });
  const tooLong = dialectCommandWriter(reference)(
    { ...create, lines: Array.from({ length: 501 }, () => ({ sku: 'x', quantity: 1 })) },
    'ob-1',
    now,
  );
  t.match(
    tooLong,
    { ok: false, error: /does not follow the dialect's command schema: \/body\/positions/ },
    'checked against the command schema',
  );
});

t.test('several state changes in one message, numeric codes, epoch milliseconds, padded refs', async (t) => {
  const read = mesEventReader(lineController.dialect.events)({
    seq: 77,
    job: { ref: ' SO-1  ' },
    changes: [
      { code: 20, atMs: now },
      { code: 40, atMs: now + 5, text: 'done' },
    ],
  });
  t.same(read, {
    ok: true,
    changes: [
      {
        fields: { eventId: '77/0', orderId: 'SO-1', state: '20', occurredAt: '2026-12-06T09:30:00.000Z' },
        type: 'mes.event',
      },
      {
        fields: {
          eventId: '77/1',
          orderId: 'SO-1',
          state: '40',
          occurredAt: '2026-12-06T09:30:00.005Z',
          reason: 'done',
        },
        type: 'mes.event',
      },
    ],
  });
  if (read.ok)
    t.match(translate(read.changes[1]!.fields, lineController.dialect.states), { kind: 'translated', status: 'ready' });
  const bad = mesEventReader(lineController.dialect.events)({
    seq: 78,
    job: { ref: 'SO-1' },
    changes: [{ code: 20, atMs: 1_733_480_000 }],
  });
  t.match(
    bad,
    {
      ok: false,
      problems: [
        /changes\[0\]\.occurredAt: at \/changes\/0\/atMs: 1733480000 read as epochMillis is 1970-01-21T.*outside 2000–2100/,
      ],
    },
    'seconds sent as milliseconds are caught, not stored as 1970',
  );
});

t.test('times: ISO needs an offset; epoch seconds and milliseconds', async (t) => {
  t.same(readTime('2026-12-06T10:15:00+01:00'), { ok: true, iso: '2026-12-06T10:15:00+01:00' });
  t.match(readTime('2026-12-06T10:15:00'), { ok: false, problem: /with an offset/ }, 'a local time names no instant');
  t.same(
    ['2026-12-06 10:15+01', '2026-12-06t10:15:00.5z', '2026-12-06T10:15:00-0530', '2024-02-29T00:00:00Z'].map((time) =>
      readTime(time),
    ),
    [
      { ok: true, iso: '2026-12-06T10:15:00+01:00' },
      { ok: true, iso: '2026-12-06T10:15:00.5Z' },
      { ok: true, iso: '2026-12-06T10:15:00-05:30' },
      { ok: true, iso: '2024-02-29T00:00:00Z' },
    ],
    'ISO 8601 forms are written as RFC 3339 (seconds, T, Z, ±hh:mm), in the MES offset',
  );
  for (const [time, why] of [
    ['2026-11-31T10:00:00+01:00', /2026-11 has 30 days/],
    ['2026-02-29T10:00:00Z', /2026-02 has 28 days/],
    ['2026-13-01T10:00:00Z', /no month 13/],
    ['2026-12-06T24:00:00Z', /hours go to 23/],
    ['2026-12-06T10:15:60Z', /seconds to 59/],
    ['2026-12-06T10:15:00+24:00', /offset is at most/],
  ] as const)
    t.match(readTime(time), { ok: false, problem: why }, `${time}: refused, not rolled over`);
  t.same(readTime(1_780_000_000, 'epochSeconds'), { ok: true, iso: new Date(1_780_000_000_000).toISOString() });
  t.same(
    readTime('1780000000123', 'epochMillis'),
    { ok: true, iso: new Date(1_780_000_000_123).toISOString() },
    'digits in a string too',
  );
});

t.test(
  'the order look-up: a search answer with an empty list means unknown; a numeric state is read as text',
  async (t) => {
    const lookup = lineController.dialect.api!.orderLookup!;
    t.same(
      readOrderAnswer(lookup, 200, () => ({ jobs: [] })),
      { knows: false },
    );
    t.same(
      readOrderAnswer(lookup, 200, () => ({ jobs: [{ code: 20 }] })),
      { knows: true, state: '20' },
    );
    t.same(
      readOrderAnswer(lookup, 503, () => ({})),
      { error: 'the MES API answered 503' },
    );
    const ref = reference.dialect.api!.orderLookup!;
    t.same(
      readOrderAnswer(ref, 404, () => undefined),
      { knows: false },
    );
    t.same(
      readOrderAnswer(ref, 200, () => ({ state: 'CUTTING' })),
      { knows: true, state: 'CUTTING' },
    );
  },
);

t.test(
  'fill composes text and is left out when a placeholder has no value; fields writes keyword-named fields; dateFormat needs a date',
  async (t) => {
    const template = compileTemplate(
      {
        label: { fill: 'CRM-{/orderId}/{/notes}' },
        ref: { fill: '{/orderId}' },
        envelope: { fields: { from: { from: '/customer/id' }, each: 'literal' } },
      },
      'test',
    );
    t.same(
      template(create, { messageId: 'ob-1', now, commandType: 'order.create' }),
      { ref: 'SO-1', envelope: { from: 'c-77', each: 'literal' } },
      'no notes: the label is left out',
    );
    t.same(template({ ...create, notes: 'gate 4' }, { messageId: 'ob-1', now, commandType: 'order.create' }), {
      label: 'CRM-SO-1/gate 4',
      ref: 'SO-1',
      envelope: { from: 'c-77', each: 'literal' },
    });
    const notADate = dialectCommandWriter(lineController)(
      { ...create, requestedDeliveryDate: 'soon' } as unknown as CrmCommand,
      'ob-1',
      now,
    );
    t.match(notADate, {
      ok: false,
      error: /due: "soon" at \/requestedDeliveryDate is not a date or date-time, so dateFormat cannot write it/,
    });
    t.equal(formatDate('2026-12-24T23:30:00-02:00', 'DD.MM.YYYY HH:mm'), '25.12.2026 01:30', 'in UTC');
  },
);

t.test('the order look-up path: {orderId} in the path, URL-encoded, or a query parameter', async (t) => {
  t.same(orderLookupTarget({ path: '/api/orders/{orderId}/state' }, 'SO 1/2'), {
    path: '/api/orders/SO%201%2F2/state',
    query: '',
  });
  t.same(orderLookupTarget({ path: '/orders', query: 'externalRef' }, 'SO-1'), {
    path: '/orders',
    query: 'externalRef=SO-1',
  });
  t.same(
    readOrderAnswer({ path: '/x', unknownStatus: [204, 410] }, 410, () => undefined),
    { knows: false },
    'the dialect names what "unknown" looks like',
  );
  t.same(
    readOrderAnswer({ path: '/x', unknownStatus: [204, 410] }, 404, () => undefined),
    { error: 'the MES API answered 404' },
  );
});
