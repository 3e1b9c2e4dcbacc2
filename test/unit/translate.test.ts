import t from 'tap';
import { referenceMesValidators } from '../../sim/mes/contracts.js';
import { resolve } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { readMesEvent, readPointer, translate } from '../../src/mapping/index.js';
import { mesEvent } from '../fixtures/mes-events.js';

const { dialect } = loadConfig({ dir: resolve(import.meta.dirname, '../../config'), env: {} });

t.test('JSON Pointers read own properties only, with ~0 and ~1 escapes', async (t) => {
  const doc = { a: { 'b/c': 1, 'd~e': 2, list: ['x', 'y'] } };
  t.equal(readPointer(doc, '/a/b~1c'), 1);
  t.equal(readPointer(doc, '/a/d~0e'), 2);
  t.equal(readPointer(doc, '/a/list/1'), 'y');
  t.equal(readPointer(doc, '/a/missing/deeper'), undefined);
  t.equal(readPointer(doc, '/a/__proto__'), undefined, 'no prototype walk');
  t.equal(readPointer(doc, '/a/constructor'), undefined);
});

t.test('reads the fields of a reference MES event by the configured paths', async (t) => {
  const event = mesEvent('CUTTING', {
    eventId: 'ev-9',
    orderId: 'CRM-7',
    at: '2026-11-25T10:15:00Z',
    correlationId: 'cmd-1',
  });
  t.ok(referenceMesValidators().event(event).ok, 'the fixture is a valid MES event');
  const read = readMesEvent(event, dialect.events);
  t.same(read, {
    ok: true,
    fields: {
      eventId: 'ev-9',
      orderId: 'CRM-7',
      state: 'CUTTING',
      occurredAt: '2026-11-25T10:15:00Z',
      correlationId: 'cmd-1',
    },
    type: 'ORDER_STATE_CHANGED',
  });
});

t.test('names every missing or unusable field', async (t) => {
  const read = readMesEvent(
    { header: { eventId: '', createdAt: 'yesterday' }, order: { state: true } },
    dialect.events,
  );
  t.equal(read.ok, false);
  if (!read.ok) {
    t.match(
      read.problems.join('\n'),
      /eventId: expected a non-empty string or number at \/header\/eventId, found an empty string/,
    );
    t.match(read.problems.join('\n'), /orderId: .*\/order\/externalRef, found nothing/);
    t.match(read.problems.join('\n'), /state: .*\/order\/state, found true/);
    t.match(read.problems.join('\n'), /occurredAt: at \/header\/createdAt: "yesterday" is not an ISO 8601 date-time/);
  }
});

t.test('every configured MES state translates to its external status and acknowledgement', async (t) => {
  for (const [state, expected] of Object.entries(dialect.states)) {
    const read = readMesEvent(mesEvent(state), dialect.events);
    if (!read.ok) throw new Error(read.problems.join('; '));
    const translation = translate(read.fields, dialect.states);
    t.equal(translation.kind, 'translated', state);
    if (translation.kind === 'translated') {
      t.equal(translation.status, expected.status, `${state} → ${expected.status}`);
      t.equal(translation.ack, expected.ack, `${state} acknowledges ${expected.ack ?? 'nothing'}`);
    }
  }
});

t.test('acceptance, rejection and processing error are acknowledgements', async (t) => {
  const ackOf = (state: string) => {
    const read = readMesEvent(mesEvent(state), dialect.events);
    const result = read.ok ? translate(read.fields, dialect.states) : undefined;
    return result?.kind === 'translated' ? result.ack : undefined;
  };
  t.equal(ackOf('ACCEPTED'), 'accepted');
  t.equal(ackOf('REJECTED'), 'rejected');
  t.equal(ackOf('ERROR'), 'failed');
  t.equal(ackOf('CUTTING'), undefined);
});

t.test('an unknown MES state is quarantined, never guessed', async (t) => {
  for (const state of ['SANDBLASTING', 'cutting', 'CUTTING ', '__proto__', 'constructor', 'toString']) {
    const read = readMesEvent(mesEvent(state), dialect.events);
    if (!read.ok) throw new Error(read.problems.join('; '));
    const result = translate(read.fields, dialect.states);
    t.equal(result.kind, 'quarantine', JSON.stringify(state));
    if (result.kind === 'quarantine') t.match(result.reason, /unknown MES state .* add it to the dialect's states/);
  }
});
