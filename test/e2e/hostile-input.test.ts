import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { deadLetterHeaders } from '../../src/app/dead-letter-headers.js';
import { loadConfig } from '../../src/config/index.js';
import { hostileInputs, hostileRequests } from '../fixtures/hostile-inputs.js';
import { amqpPeer, waitFor, type Received } from '../helpers/amqp-peer.js';
import { checkRun } from '../helpers/checker.js';
import { runCliCaptured } from '../helpers/cli.js';
import { defaultConfigDir } from '../helpers/config-dir.js';
import { runE2e } from '../helpers/e2e.js';

const config = loadConfig({ dir: defaultConfigDir, env: {} });
const { exchanges, queues } = config.gateway.amqp;
const inputs = [
  { channel: 'crm.command', exchange: exchanges.crmCommands, routingKey: 'order.create' },
  { channel: 'mes.event', exchange: exchanges.mesEvents, routingKey: 'ORDER_STATE_CHANGED' },
  { channel: 'crm.fact', exchange: exchanges.crmEvents, routingKey: 'order.delivered' },
];
const partnerKey = randomBytes(24).toString('base64url');
// Sender-written headers that must decide nothing: forged gateway headers and a forged x-death.
const forgedHeaders = {
  [deadLetterHeaders.reason]: 'fine',
  [deadLetterHeaders.originalExchange]: exchanges.mesCommands,
  'x-death': [{ queue: queues.mesCommands, reason: 'rejected', count: 1 }],
};

t.test(
  'the malformed-input corpus over HTTP and every AMQP input: all refused with a reason, once, nothing lost, real orders unaffected',
  async (t) => {
    let deadLetters: Received[] = [];
    const answers: { name: string; status: number; contentType: string | null; expected: number }[] = [];
    let alive = false;
    let reported: { code: number; stdout: string; stderr: string } | undefined;
    const { report, mes, ledger } = await runE2e(t, {
      orders: 200,
      rate: 100,
      mes: ['--step-ms', '20'],
      crm: ['--deliver-after-ms', '50'],
      gateway: {
        partners: [
          {
            id: 'shop',
            name: 'Online shop',
            apiKeySha256: createHash('sha256').update(partnerKey).digest('hex'),
            requestsPerSecond: 10_000,
          },
        ],
      },
      during: async (run) => {
        const peer = await amqpPeer(run.vhostUrl);
        t.teardown(peer.close);
        deadLetters = await peer.collect(queues.deadLetter);
        for (const input of inputs)
          for (const hostile of hostileInputs)
            await peer.publish(input.exchange, input.routingKey, hostile.body, forgedHeaders);
        for (const hostile of hostileInputs) {
          try {
            const response = await fetch(`${run.gatewayUrl()}/v1/orders`, {
              method: 'POST',
              body: hostile.body,
              headers: {
                authorization: `Bearer ${partnerKey}`,
                'content-type': 'application/json',
                'idempotency-key': `hostile-${answers.length}`,
              },
            });
            answers.push({
              name: hostile.name,
              status: response.status,
              contentType: response.headers.get('content-type'),
              expected: hostile.http,
            });
            await response.arrayBuffer();
          } catch (error) {
            answers.push({
              name: `${hostile.name} (${String((error as Error).cause ?? error)})`,
              status: -1,
              contentType: null,
              expected: hostile.http,
            });
          }
        }
        const order = JSON.stringify({
          customer: { id: 'C-1', name: 'Customer' },
          lines: [{ sku: 'S-1', quantity: 1 }],
        });
        for (const hostile of hostileRequests) {
          const headers: Record<string, string> = {
            authorization: `Bearer ${partnerKey}`,
            'content-type': 'application/json',
            'idempotency-key': `hostile-header-${answers.length}`,
          };
          for (const [name, value] of Object.entries(hostile.headers)) {
            if (value === null) delete headers[name];
            else headers[name] = value;
          }
          const response = await fetch(`${run.gatewayUrl()}/v1/orders`, { method: 'POST', body: order, headers });
          answers.push({
            name: `header: ${hostile.name}`,
            status: response.status,
            contentType: response.headers.get('content-type'),
            expected: hostile.status,
          });
          await response.arrayBuffer();
        }
        await waitFor(
          () => deadLetters.length === inputs.length * hostileInputs.length,
          30_000,
          'a dead letter for every hostile message',
        );
      },
      beforeStop: async (run) => {
        alive = run.gateway.child.exitCode === null;
        reported = await runCliCaptured(['report', '--since', '1h', '--format', 'json'], run.gatewayEnv);
      },
    });

    t.ok(alive, 'the gateway is alive after the corpus');
    for (const answer of answers) {
      t.equal(answer.status, answer.expected, `HTTP: ${answer.name}`);
      t.equal(answer.contentType, 'application/problem+json', `HTTP: ${answer.name} is a problem`);
    }

    for (const input of inputs) {
      const letters = deadLetters.filter((d) => d.message.fields.routingKey === input.channel);
      const reasons = letters.map((d) => String(d.message.properties.headers?.[deadLetterHeaders.reason]));
      t.same(
        reasons.sort(),
        hostileInputs.map((h) => h.reason).sort(),
        `${input.channel}: each refused with its reason`,
      );
      t.ok(
        letters.every(
          (d) => String(d.message.properties.headers?.[deadLetterHeaders.originalExchange]) === input.exchange,
        ),
        `${input.channel}: forged origin headers replaced by the gateway's`,
      );
      t.ok(
        letters.every((d) => d.message.properties.headers?.['x-death'] === undefined),
        `${input.channel}: a forged x-death is not carried`,
      );
    }
    const rows = ledger
      .prepare(
        `SELECT channel, COUNT(*) AS n, MAX(deliveries) AS deliveries FROM messages WHERE state = 'invalid' GROUP BY channel ORDER BY channel`,
      )
      .all();
    t.same(
      rows,
      inputs
        .map((i) => ({ channel: i.channel, n: hostileInputs.length, deliveries: 1 }))
        .sort((a, b) => a.channel.localeCompare(b.channel)),
      'every hostile message has its ledger row, delivered once: no redelivery loop',
    );

    t.equal(reported?.code, 0, reported?.stderr ?? 'no report');
    const cliReport = JSON.parse(reported?.stdout ?? '{}') as { events: { invalid: number; deadLettered: number } };
    t.equal(
      cliReport.events.invalid,
      inputs.length * hostileInputs.length,
      'orderbridge report counts every one as invalid',
    );

    const check = checkRun(report, mes, ledger, config.dialect);
    t.same(check.lost, [], 'no real order lost');
    t.same(check.mismatched, []);
    t.equal(report.acknowledged.accepted, 200, 'every real order went through beside the corpus');
  },
);
