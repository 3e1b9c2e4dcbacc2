import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Env } from '../../src/config/index.js';
import { defaultAmqpUrl } from '../shared/broker.js';
import { numberFlag, shareFlag, UsageError } from '../shared/options.js';

export interface CrmSettings {
  amqpUrl: string;
  /** Where the CRM publishes its commands. */
  commandExchange: string;
  /** Where the CRM publishes the facts it owns (order.delivered). */
  factExchange: string;
  /** The queue of external order events the CRM consumes; the gateway declares it. */
  queue: string;
  orders: number;
  /** order.create commands per second. */
  rate: number;
  /** Part of every order id, so parallel runs never collide. */
  runId: string;
  partner: string;
  cancelShare: number;
  updateShare: number;
  deliverAfterMs: number;
  timeoutMs: number;
  /** Wait for every order's final answer; otherwise finish once everything is published. */
  settle: boolean;
  seed: number;
  waitMs: number;
  prefetch: number;
  tickMs: number;
}

export const crmDefaults: Omit<CrmSettings, 'runId'> = {
  amqpUrl: defaultAmqpUrl,
  commandExchange: 'crm.commands',
  factExchange: 'crm.events',
  queue: 'crm.order-events',
  orders: 100,
  rate: 100,
  partner: 'shop',
  cancelShare: 0,
  updateShare: 0,
  deliverAfterMs: 500,
  timeoutMs: 120000,
  settle: true,
  seed: 1,
  waitMs: 30000,
  prefetch: 256,
  tickMs: 20,
};

export function randomRunId(): string {
  return randomBytes(3).toString('hex');
}

const runIdPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/;
const partnerPattern = /^[a-z0-9][a-z0-9-]{0,62}$/;

export const crmUsage = `Usage: orderbridge sim crm [options]

The reference CRM: publishes order commands at a steady rate, listens to the external order events,
reports delivery of shipped orders, and finishes when every order has a final answer.

Options:
  --amqp-url URL[,URL…]    RabbitMQ: one node, or a cluster's nodes (default: AMQP_URL or ${defaultAmqpUrl})
  --orders N               order.create commands to send (default: ${crmDefaults.orders})
  --rate R                 order.create commands per second (default: ${crmDefaults.rate})
  --run-id ID              part of every order id, ORD-<ID>-000001 (default: random hex)
  --partner ID             partner of the orders (default: ${crmDefaults.partner})
  --cancel-share S         orders cancelled shortly after creation (default: 0)
  --update-share S         orders updated shortly after creation (default: 0)
  --deliver-after-ms MS    publish order.delivered this long after hearing shipped (default: ${crmDefaults.deliverAfterMs})
  --timeout-ms MS          give up waiting for answers after this long (default: ${crmDefaults.timeoutMs})
  --settle / --no-settle   wait for every order's final answer, or stop once all is published (default: settle)
  --seed N                 fixes customers, lines and which orders are cancelled/updated (default: ${crmDefaults.seed})
  --report FILE            write the JSON report there when finished
  --queue NAME             order event queue to consume (default: ${crmDefaults.queue})
  --command-exchange NAME  exchange for CRM commands (default: ${crmDefaults.commandExchange})
  --fact-exchange NAME     exchange for CRM facts (default: ${crmDefaults.factExchange})
  --wait-ms MS             how long to wait for the gateway to declare the queue (default: ${crmDefaults.waitMs})
  --help                   this text`;

/** Parses `sim crm` flags; throws UsageError with a message naming the bad flag. */
export interface CrmCliSettings extends CrmSettings {
  /** Where the CLI writes the JSON report when the run ends. */
  reportFile?: string;
}

export function parseCrmArgs(args: string[], env: Env): CrmCliSettings | 'help' {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      help: { type: 'boolean', short: 'h' },
      'amqp-url': { type: 'string' },
      orders: { type: 'string' },
      rate: { type: 'string' },
      'run-id': { type: 'string' },
      partner: { type: 'string' },
      'cancel-share': { type: 'string' },
      'update-share': { type: 'string' },
      'deliver-after-ms': { type: 'string' },
      'timeout-ms': { type: 'string' },
      settle: { type: 'boolean' },
      'no-settle': { type: 'boolean' },
      seed: { type: 'string' },
      report: { type: 'string' },
      queue: { type: 'string' },
      'command-exchange': { type: 'string' },
      'fact-exchange': { type: 'string' },
      'wait-ms': { type: 'string' },
    },
  });
  if (values.help) return 'help';
  if (values.settle && values['no-settle'])
    throw new UsageError('--settle and --no-settle contradict each other: give one');
  const runId = values['run-id'] ?? randomRunId();
  if (!runIdPattern.test(runId))
    throw new UsageError(`--run-id must be 1-40 letters, digits, '.', '_' or '-', got ${JSON.stringify(runId)}`);
  const partner = values.partner ?? crmDefaults.partner;
  if (!partnerPattern.test(partner))
    throw new UsageError(`--partner must be lower-case letters, digits and '-', got ${JSON.stringify(partner)}`);
  return {
    ...crmDefaults,
    amqpUrl: values['amqp-url'] ?? env.AMQP_URL ?? defaultAmqpUrl,
    orders: numberFlag('orders', values.orders, crmDefaults.orders, { integer: true, min: 1, max: 999_999 }),
    rate: numberFlag('rate', values.rate, crmDefaults.rate, { min: 0.001, max: 1_000_000 }),
    runId,
    partner,
    cancelShare: shareFlag('cancel-share', values['cancel-share']),
    updateShare: shareFlag('update-share', values['update-share']),
    deliverAfterMs: numberFlag('deliver-after-ms', values['deliver-after-ms'], crmDefaults.deliverAfterMs, {
      integer: true,
      min: 0,
    }),
    timeoutMs: numberFlag('timeout-ms', values['timeout-ms'], crmDefaults.timeoutMs, { integer: true, min: 1 }),
    settle: !values['no-settle'],
    seed: numberFlag('seed', values.seed, crmDefaults.seed, { integer: true, min: 0, max: 2 ** 32 - 1 }),
    ...(values.report ? { reportFile: values.report } : {}),
    queue: values.queue ?? crmDefaults.queue,
    commandExchange: values['command-exchange'] ?? crmDefaults.commandExchange,
    factExchange: values['fact-exchange'] ?? crmDefaults.factExchange,
    waitMs: numberFlag('wait-ms', values['wait-ms'], crmDefaults.waitMs, { integer: true, min: 0 }),
  };
}
