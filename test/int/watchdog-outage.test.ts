import t from 'tap';
import { Writable } from 'node:stream';
import { NotPublishedError } from '../../src/app/ports.js';
import { ledgerPolicy } from '../../src/ledger/ledger-policy.js';
import { openSqliteLedger } from '../../src/ledger/index.js';
import type { AppDeps, Publisher } from '../../src/app/ports.js';
import { Watchdog } from '../../src/app/watchdog.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { createAndForward, mesEventInput } from '../fixtures/mes-events.js';
import { waitFor } from '../helpers/amqp-peer.js';
import { testConfig } from '../helpers/gateway-config.js';

t.test(
  'a broker outage pauses the watchdog with one line when it begins and one when it ends, not one per tick',
  async (t) => {
    const env = testConfig();
    const ledger = openSqliteLedger({ path: env.ledgerPath, synchronous: 'FULL', policy: ledgerPolicy(env.config) });
    t.teardown(async () => {
      await ledger.close();
      env.remove();
    });
    const lines: { msg: string; outageMs?: number }[] = [];
    const logger = createLogger({
      level: 'info',
      destination: new Writable({
        write: (chunk: Buffer, _encoding, done) => {
          lines.push(JSON.parse(chunk.toString()) as { msg: string });
          done();
        },
      }),
    });
    let brokerDown = true;
    const published: string[] = [];
    const publisher: Publisher = {
      publish: async (_exchange, _routingKey, _content, options) => {
        if (brokerDown) throw new NotPublishedError('not connected to RabbitMQ');
        published.push(options.messageId);
      },
    };
    // An order event the broker has not confirmed yet: the watchdog's sweep must send it.
    const now = Date.now();
    await createAndForward(ledger, 'W-1', now);
    const recorded = await ledger.recordMesEvent(mesEventInput(env.config.dialect, 'ACCEPTED', 'W-1', now), now);
    t.ok(recorded.kind !== 'refused' && recorded.publish.length > 0, 'an order event waits to be published');

    const deps: AppDeps = { ledger, publisher, config: env.config, clock: Date.now, logger };
    const watchdog = new Watchdog(deps, { intervalMs: 20, maxAttempts: 3, republishAfterMs: 0 });
    watchdog.start();
    t.teardown(() => watchdog.stop());
    await waitFor(() => watchdog.ticks >= 15, 5000, 'fifteen ticks with the broker down');
    brokerDown = false;
    await waitFor(
      () => published.length > 0 && lines.some((l) => l.msg === 'watchdog resumed'),
      5000,
      'the event published once the broker is back',
    );
    await watchdog.stop();

    t.equal(lines.filter((l) => /watchdog paused/.test(l.msg)).length, 1, 'one line when the outage began');
    t.equal(lines.filter((l) => l.msg === 'watchdog tick failed').length, 0, 'no error per tick');
    const resumed = lines.filter((l) => l.msg === 'watchdog resumed');
    t.equal(resumed.length, 1, 'one line when it ended');
    t.ok((resumed[0]?.outageMs ?? 0) > 0, 'with the outage length');
  },
);
