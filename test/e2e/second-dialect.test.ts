import t from 'tap';
import type { ConsumeMessage } from 'amqplib';
import commandSchema from '../../config/mes/line-controller/command.schema.json' with { type: 'json' };
import { validatorForSchema } from '../../src/contracts/validate.js';
import { startTestGateway } from '../helpers/test-gateway.js';
import { waitFor } from '../helpers/amqp-peer.js';

// A test peer speaks the example line-controller dialect (config/mes/line-controller) on RabbitMQ:
// it checks every command the gateway writes against that dialect's command schema and answers with
// numeric state codes, epoch-millisecond times, several changes per message, padded job refs, no
// correlation id, duplicates and reordering. Nothing of the reference MES is involved.
const orders = 40;
const validCommand = validatorForSchema<{ op: string; jobRef: string; commandId: string }>(commandSchema);

type Plan = 'shipped' | 'rejected' | 'cancelled';
const planOf = (i: number): Plan => (i % 10 === 0 ? 'rejected' : i % 10 === 5 ? 'cancelled' : 'shipped');
const orderId = (i: number) => `LC-${String(i).padStart(3, '0')}`;

t.test(
  'another MES connected by config alone: its commands follow its schema, its events end where it says, no false lost',
  async (t) => {
    const { gateway, peer, amqp } = await startTestGateway(t, {
      dialect: 'mes/line-controller',
      // Short deadlines: a dialect whose acknowledgement did not work would flag orders lost within seconds.
      gateway: {
        acknowledgement: { deadline: '1s', maxAttempts: 2, backoff: 1, evidenceLookup: false },
        stuck: { checkInterval: '200ms' },
      },
    });
    const { exchanges, queues } = amqp;
    const toCrm = await peer.collect(queues.crmOrderEvents);
    const deadLetters = await peer.collect(queues.deadLetter);
    const commands: { routingKey: string; body: { op: string; jobRef: string; commandId: string } }[] = [];
    const invalidCommands: string[] = [];
    let seq = 1000;
    const send = (ref: string, codes: number[], at = Date.now()) =>
      peer.publish(exchanges.mesEvents, 'status', {
        seq: ++seq,
        job: { ref, line: 'L2' },
        changes: codes.map((code, k) => ({ code, atMs: at + k })),
      });
    const sendTwice = async (ref: string, codes: number[]) => {
      const message = { seq: ++seq, job: { ref }, changes: codes.map((code, k) => ({ code, atMs: Date.now() + k })) };
      await peer.publish(exchanges.mesEvents, 'status', message);
      await peer.publish(exchanges.mesEvents, 'status', message);
    };

    const answer = async (body: { op: string; jobRef: string }) => {
      const i = Number(body.jobRef.slice(3));
      // The controller pads some refs; the dialect trims them.
      const ref = i % 4 === 0 ? `${body.jobRef}  ` : body.jobRef;
      if (body.op === 'STOP') return send(ref, [99]);
      if (body.op !== 'NEW') return;
      const plan = planOf(i);
      if (plan === 'rejected') return send(ref, [15]);
      await send(ref, [10]);
      if (plan === 'cancelled') return;
      await sendTwice(ref, [20, 30]);
      const start = Date.now() + 10;
      if (i % 3 === 0) {
        // Reordered: the shipment is heard before the message that finished the job.
        await send(ref, [50], start + 20);
        await send(ref, [20, 40], start);
      } else {
        await send(ref, [20, 40], start);
        await send(ref, [50], start + 20);
      }
    };
    const consumer = await peer.channel.consume(queues.mesCommands, (message: ConsumeMessage | null) => {
      if (!message) return;
      const body = JSON.parse(message.content.toString());
      const valid = validCommand(body);
      if (!valid.ok) invalidCommands.push(JSON.stringify(valid.problems));
      else commands.push({ routingKey: message.fields.routingKey, body: valid.value });
      void answer(body).finally(() => peer.channel.ack(message));
    });
    t.teardown(() => peer.channel.cancel(consumer.consumerTag).catch(() => undefined));

    for (let i = 1; i <= orders; i++) {
      await peer.publish(exchanges.crmCommands, 'order.create', {
        messageId: `crm-${orderId(i)}`,
        type: 'order.create',
        sentAt: new Date().toISOString(),
        orderId: orderId(i),
        partner: 'shop',
        customer: { id: 'c-77', name: 'Acme' },
        priority: i % 2 ? 'rush' : 'normal',
        lines: [
          { sku: 'brkt-200', quantity: 4, unit: 'kg' },
          { sku: 'nut-8', quantity: 100 },
        ],
      });
    }
    const statusOf = async (i: number) => (await gateway.ledger.getOrder(orderId(i)))?.state.status;
    await waitFor(
      async () => {
        for (let i = 1; i <= orders; i++)
          if (planOf(i) === 'cancelled' && (await statusOf(i)) !== 'accepted') return false;
        return true;
      },
      15_000,
      'the orders to be cancelled accepted',
    );
    for (let i = 5; i <= orders; i += 10) {
      await peer.publish(exchanges.crmCommands, 'order.cancel', {
        messageId: `crm-cancel-${orderId(i)}`,
        type: 'order.cancel',
        sentAt: new Date().toISOString(),
        orderId: orderId(i),
        reason: 'customer withdrew',
      });
    }
    await waitFor(
      async () => {
        for (let i = 1; i <= orders; i++) if ((await statusOf(i)) !== planOf(i)) return false;
        return true;
      },
      20_000,
      'every order in the status its MES reported',
    );
    // Past two acknowledgement deadlines and their re-forward: a wrong alarm would have come by now.
    await new Promise((resolve) => setTimeout(resolve, 3_000));

    t.same(invalidCommands, [], "every command the gateway wrote follows the dialect's command schema");
    const newJobs = commands.filter((c) => c.body.op === 'NEW');
    t.equal(new Set(newJobs.map((c) => c.body.jobRef)).size, orders, 'one create per order');
    t.equal(newJobs.length, orders, 'no create forwarded twice: the first status acknowledged each');
    t.ok(
      commands.every(
        (c) =>
          c.routingKey ===
          ({ NEW: 'job.new', STOP: 'job.stop', AMEND: 'job.amend' } as Record<string, string>)[c.body.op],
      ),
      'routing keys from the dialect',
    );
    t.equal(
      commands.filter((c) => c.body.op === 'STOP').length,
      orders / 10,
      'the cancels, as STOP, each sent once: the cancelled state answered it',
    );
    for (let i = 1; i <= orders; i++) t.equal(await statusOf(i), planOf(i), `${orderId(i)} ends ${planOf(i)}`);
    const lost = toCrm.filter((e) => e.message.fields.routingKey === 'order.attention.lost');
    t.same(
      lost.map((e) => e.message.fields.routingKey),
      [],
      'the watchdog raised no lost order',
    );
    const acks = toCrm.filter((e) => e.message.fields.routingKey.startsWith('order.ack.'));
    const creates = orders - orders / 10;
    const cancels = orders / 10;
    t.equal(
      acks.filter((e) => e.message.fields.routingKey === 'order.ack.accepted').length,
      creates + cancels,
      'every accepted create, and every cancel (answered by its cancelled state), acknowledged once',
    );
    t.equal(
      acks.filter((e) => e.message.fields.routingKey === 'order.ack.rejected').length,
      orders / 10,
      'every refused create acknowledged as rejected',
    );
    t.same(
      deadLetters.map((d) => d.message.properties.headers?.['x-orderbridge-error']),
      [],
      'no dead letters',
    );
  },
);
