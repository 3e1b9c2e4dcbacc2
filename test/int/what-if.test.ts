import t from 'tap';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { runCliCaptured } from '../helpers/cli.js';
import { whatIf } from '../../src/app/what-if.js';
import { loadConfig } from '../../src/config/index.js';
import { readMesEvent, translate } from '../../src/mapping/index.js';
import { copyConfig, referenceDialect } from '../helpers/config-dir.js';
import { testConfig } from '../helpers/gateway-config.js';
import { create, T0 } from '../helpers/ledger-conformance.js';
import { testEachDriver } from '../helpers/ledger-drivers.js';
import { mesEvent } from '../fixtures/mes-events.js';

testEachDriver(
  t,
  'a changed dialect run over the MES messages the ledger kept lists the orders it would change, and only those',
  async (t, driver) => {
    const env = testConfig();
    t.teardown(env.remove);
    const { ledger, env: ledgerEnv } = await driver.open(t, env.config);
    const current = env.config;
    const walks: Record<string, string[]> = {
      'W-1': ['ACCEPTED', 'PLANNING', 'CUTTING'],
      'W-2': ['ACCEPTED', 'PLANNING', 'CUTTING', 'MACHINING', 'WELDING', 'ASSEMBLY', 'QC_INSPECTION', 'PACKING'],
      'W-3': ['ACCEPTED'],
    };
    let at = T0;
    for (const [orderId, states] of Object.entries(walks)) {
      await ledger.recordCommand(create(orderId), at);
      for (const state of states) {
        at += 1000;
        const event = mesEvent(state, { orderId, eventId: `${orderId}-${state}`, at: new Date(at).toISOString() });
        const read = readMesEvent(event, current.dialect.events);
        if (!read.ok) throw new Error(read.problems.join());
        await ledger.recordMesEvent(
          {
            fields: read.fields,
            translation: translate(read.fields, current.dialect.states),
            type: read.type,
            body: JSON.stringify(event),
          },
          at,
        );
      }
    }
    // Without a kept body a message is not part of the run (ledger.keepMesEventBodies: false).
    const unkept = readMesEvent(
      mesEvent('CUTTING', { orderId: 'W-3', eventId: 'W-3-unkept', at: new Date(at + 1000).toISOString() }),
      current.dialect.events,
    );
    if (unkept.ok)
      await ledger.recordMesEvent(
        { fields: unkept.fields, translation: translate(unkept.fields, current.dialect.states), type: unkept.type },
        at + 1000,
      );

    const changed = copyConfig();
    t.teardown(changed.remove);
    // The dialect deployed now, kept beside the one being changed (as an operator would, e.g. from git).
    cpSync(join(changed.dir, 'mes/reference'), join(changed.dir, 'mes/deployed'), { recursive: true });
    changed.edit(referenceDialect, (s) =>
      s.replace(
        'description: "Operation 10: cutting"\n    status: in_production',
        'description: "Operation 10: cutting"\n    status: on_hold',
      ),
    );
    changed.edit(referenceDialect, (s) => s.replace(/ {2}PACKING:\n( {4}.*\n)+/, ''));
    const candidate = loadConfig({ dir: changed.dir, env: {} });

    const result = await whatIf(ledger, current, candidate, { from: 0, to: Number.MAX_SAFE_INTEGER, limit: 10_000 });
    t.equal(result.messages, 12, 'every kept message, the unkept one not');
    t.equal(result.orders, 3);
    t.same(
      result.differences,
      [
        {
          orderId: 'W-1',
          current: { status: 'in_production', ack: 'accepted', quarantined: [], unreadable: 0 },
          candidate: { status: 'on_hold', ack: 'accepted', quarantined: [], unreadable: 0 },
        },
        {
          orderId: 'W-2',
          current: { status: 'in_production', ack: 'accepted', quarantined: [], unreadable: 0 },
          candidate: { status: 'in_production', ack: 'accepted', quarantined: ['PACKING'], unreadable: 0 },
        },
      ],
      'W-1 would end on hold, W-2 would quarantine PACKING; W-3 is untouched',
    );
    const same = await whatIf(ledger, current, current, { from: 0, to: Number.MAX_SAFE_INTEGER, limit: 10_000 });
    t.same(same.differences, [], 'the same dialect changes nothing');

    const cli = await runCliCaptured(
      ['test-mapping', '--against-ledger', '--baseline', 'mes/deployed', '--since', '3650d', '--config', changed.dir],
      ledgerEnv,
    );
    t.equal(cli.code, 1, 'exit 1: some orders would end differently');
    t.match(cli.stdout, /12 MES message\(s\) of the last 3650d kept in the ledger, 3 order\(s\)/);
    t.match(
      cli.stdout,
      /2 order\(s\) would end differently:\n {2}W-1 {2}status in_production → on_hold\n {2}W-2 {2}quarantined none → PACKING/,
    );
    const unchanged = await runCliCaptured(
      [
        'test-mapping',
        '--against-ledger',
        '--baseline',
        'mes/deployed',
        '--dialect',
        'mes/deployed',
        '--since',
        '3650d',
        '--config',
        changed.dir,
      ],
      ledgerEnv,
    );
    t.equal(unchanged.code, 0);
    t.match(unchanged.stdout, 'No order would end differently.');
    const noBaseline = await runCliCaptured(['test-mapping', '--against-ledger', '--config', changed.dir], ledgerEnv);
    t.equal(noBaseline.code, 2);
    t.match(noBaseline.stderr, /--baseline mes\/NAME/);
  },
);
