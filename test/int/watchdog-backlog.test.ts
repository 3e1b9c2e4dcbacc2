import t from 'tap';
import { Broker } from '../../src/adapters/rabbitmq/broker.js';
import type { AppDeps } from '../../src/app/ports.js';
import { Watchdog } from '../../src/app/watchdog.js';
import { durationMs } from '../../src/config/index.js';
import { judgedAsFarAsRead } from '../../src/gateway.js';
import { ledgerPolicy } from '../../src/ledger/ledger-policy.js';
import { openSqliteLedger } from '../../src/ledger/index.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { createAndForward } from '../fixtures/mes-events.js';
import { amqpPeer } from '../helpers/amqp-peer.js';
import { testConfig } from '../helpers/gateway-config.js';
import { createVhost } from '../helpers/vhost.js';

// A gateway behind on its MES events cannot tell an acknowledgement waiting in the queue from one
// that never came: while events wait unread, the watchdog judges deadlines as of when the queue was
// last seen empty (src/app/watchdog.ts), and no further back than maxBehindMs.

t.test(
  'while MES events wait unread, no command is judged lost; once they are read, or too long behind, it is',
  async (t) => {
    const vhost = await createVhost('ob-backlog');
    // One forward: the first judgment of a command flags it lost.
    const env = testConfig({ amqpUrl: vhost.url, gateway: { acknowledgement: { maxAttempts: 1 } } });
    const { amqp, acknowledgement } = env.config.gateway;
    const ledger = openSqliteLedger({ path: env.ledgerPath, synchronous: 'NORMAL', policy: ledgerPolicy(env.config) });
    const broker = new Broker({ urls: [vhost.url], amqp, logger: silentLogger });
    await broker.start();
    const peer = await amqpPeer(vhost.url);
    t.teardown(async () => {
      await peer.close();
      await broker.close();
      await ledger.close();
      await vhost.remove();
      env.remove();
    });

    const began = Date.now();
    let now = began;
    const deadlineMs = durationMs(acknowledgement.deadline);
    // As the gateway wires it: the MES events queue, 10 acknowledgement deadlines at most.
    const maxBehindMs = 10 * deadlineMs;
    const deps: AppDeps = { ledger, publisher: broker, config: env.config, clock: () => now, logger: silentLogger };
    const watchdog = new Watchdog(deps, {
      intervalMs: 100,
      maxAttempts: 1,
      ...judgedAsFarAsRead(broker, env.config.gateway),
    });
    const attention = async (orderId: string) => (await ledger.getOrder(orderId))?.attention?.kind ?? null;
    const waiting = async (count: number) => {
      for (let i = 0; i < count; i++) await peer.channel.sendToQueue(amqp.queues.mesEvents, Buffer.from('{}'));
      await peer.channel.waitForConfirms();
    };

    await createAndForward(ledger, 'B-1', began);
    await waiting(3);
    t.equal(await broker.readyMessages(amqp.queues.mesEvents), 3, 'the queue holds 3 events no consumer was given');

    now = began + deadlineMs + 5000;
    await watchdog.tick();
    t.equal(await attention('B-1'), null, 'past its deadline, with events unread: not judged');

    await peer.channel.purgeQueue(amqp.queues.mesEvents);
    await watchdog.tick();
    t.equal(await attention('B-1'), 'lost', 'the events read: judged, and flagged lost');

    // Behind for good: the alarm still comes, maxBehindMs after the deadline.
    await createAndForward(ledger, 'B-2', now);
    await waiting(1);
    now += deadlineMs + 5000;
    await watchdog.tick();
    t.equal(await attention('B-2'), null, 'another command past its deadline, events unread: not judged');
    now += maxBehindMs;
    await watchdog.tick();
    t.equal(await attention('B-2'), 'lost', `still unread ${maxBehindMs / 1000} s later: judged anyway`);
  },
);
