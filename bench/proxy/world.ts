/**
 * The world of parts 2 and 3: a fresh vhost, the MES simulator and the gateway each in their own
 * process, nginx in front of the MES, and real orders: every one sent by the CRM as order.create,
 * ledgered and forwarded by the gateway, created and then walked through its workflow by the MES,
 * whose events the gateway consumes (invalidating its cached MES reads) and the bench overhears.
 */
import { connect } from '../../src/adapters/rabbitmq/amqp.js';
import type { ChannelModel } from 'amqplib';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { declareTopology } from '../../src/adapters/rabbitmq/topology.js';
import type { Config } from '../../src/config/index.js';
import { createVhost } from '../../test/helpers/vhost.js';
import type { Cleanup } from '../shared/cleanup.js';
import { freePort, startNginx, type Nginx } from './nginx.js';
import { startChild, type ChildServer } from './process.js';
import { benchOrders, benchPartners, type SeededOrder } from './seed.js';
import { ChangeLog } from './staleness.js';

export interface WorldOptions {
  orders: number;
  partners: number;
  /** Mean time an order spends in one MES state (the simulator's --step-ms). */
  stepMs: number;
  nginxTtlSeconds: number;
  seed: number;
}

export interface World {
  gateway: ChildServer;
  mes: ChildServer;
  nginx: Nginx;
  orders: SeededOrder[];
  changes: ChangeLog;
  /** Epoch ms when the MES had accepted the last order. */
  createdAt: number;
  /** MES events waiting in the gateway's queue, not yet delivered to it. */
  eventBacklog(): Promise<number>;
  close(): Promise<void>;
}

const log = (line: string) => process.stderr.write(`${line}\n`);

export async function startWorld(
  options: WorldOptions,
  config: Config,
  cleanup: Cleanup,
  tempDir: string,
): Promise<World> {
  const { amqp } = config.gateway;
  const vhost = await createVhost('ob-bench-proxy');
  const removeVhost = cleanup.add(() => vhost.remove());
  const connections: ChannelModel[] = [];
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const step of closers.reverse())
      await step().catch((error: unknown) => log(`part 2: cleanup: ${String(error)}`));
    for (const connection of connections) await connection.close().catch(() => undefined);
    removeVhost();
  };
  try {
    const connection = await connect(vhost.url);
    connections.push(connection);
    const admin = await connection.createChannel();
    // Declared here first so that the MES (which waits for its queue) and the gateway can start together.
    await declareTopology(admin, amqp);
    await admin.close();
    const changes = await ChangeLog.listen(connection, amqp.exchanges.mesEvents, config.dialect);

    const partners = benchPartners(options.partners);
    const orders = benchOrders('P2', options.orders, partners);
    const mesPort = await freePort();
    const since = performance.now();
    const [mes, gateway] = await Promise.all([
      startChild({
        role: 'mes',
        amqpUrl: vhost.url,
        queue: amqp.queues.mesCommands,
        exchange: amqp.exchanges.mesEvents,
        port: mesPort,
        stepMs: options.stepMs,
        seed: options.seed,
      }),
      startChild({
        role: 'gateway',
        amqpUrl: vhost.url,
        ledgerPath: join(tempDir, 'part2-ledger.db'),
        mesUrl: `http://127.0.0.1:${mesPort}`,
        partners,
      }),
    ]);
    closers.push(
      () => mes.stop(),
      () => gateway.stop(),
    );
    const nginx = await startNginx({ dir: join(tempDir, 'nginx'), mesPort, ttlSeconds: options.nginxTtlSeconds });
    const stopNginx = cleanup.add(() => nginx.stopNow());
    closers.push(async () => {
      await nginx.stop();
      stopNginx();
    });
    log(
      `part 2: MES, gateway and nginx up after ${((performance.now() - since) / 1000).toFixed(1)} s; sending ${orders.length} orders`,
    );

    const created = performance.now();
    const publisher = await connection.createConfirmChannel();
    for (let i = 0; i < orders.length; i += 1000) {
      for (const { orderId, partner } of orders.slice(i, i + 1000)) {
        const messageId = `crm-${orderId}`;
        // A CRM order.create (contracts/crm/order-create.schema.json) for the order's partner.
        const body = {
          messageId,
          type: 'order.create',
          sentAt: new Date().toISOString(),
          orderId,
          partner: partner.id,
          customer: { id: 'C-1', name: 'Acme' },
          lines: [{ sku: 'BRKT-200', quantity: 4 }],
        };
        publisher.publish(amqp.exchanges.crmCommands, 'order.create', Buffer.from(JSON.stringify(body)), {
          persistent: true,
          contentType: 'application/json',
          messageId,
        });
      }
      await publisher.waitForConfirms();
    }
    const deadline = Date.now() + 180_000;
    while (changes.orders < orders.length) {
      if (Date.now() > deadline)
        throw new Error(`only ${changes.orders} of ${orders.length} orders accepted by the MES within 180 s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    log(
      `part 2: ${orders.length} orders through CRM → gateway → MES in ${((performance.now() - created) / 1000).toFixed(1)} s`,
    );
    const probe = await connection.createChannel();
    const eventBacklog = async () => (await probe.checkQueue(amqp.queues.mesEvents)).messageCount;
    return { gateway, mes, nginx, orders, changes, createdAt: Date.now(), eventBacklog, close };
  } catch (error) {
    await close();
    throw error;
  }
}
