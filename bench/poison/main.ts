/**
 * Partner reads while hostile messages arrive on every AMQP input: the cached GET /v1/orders/{id}
 * paced at a fixed rate for `--seconds`, in rounds that alternate a quiet gateway (the baseline) with
 * one receiving the malformed-input corpus (test/fixtures/hostile-inputs.ts: depth, size, encoding,
 * not-JSON…) at `--poison-rate` messages a second, spread over the CRM command, MES event and CRM
 * fact inputs. Before the fix of issue 13, 40 such messages made 2,040 redeliveries in 33 s and a
 * partner's read p50 rose from ~1 ms to 872 ms. Prints p50/p99 per round, their medians and the
 * ratio poisoned/baseline, and checks that every hostile message was dead-lettered exactly once.
 *
 *   npm run bench:poison [-- --seconds 10 --rounds 3 --rate 2000 --poison-rate 40 --corpus all|deep]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { connect } from '../../src/adapters/rabbitmq/amqp.js';
import { loadConfig } from '../../src/config/index.js';
import { hostileInputs } from '../../test/fixtures/hostile-inputs.js';
import { defaultConfigDir } from '../../test/helpers/config-dir.js';
import { createVhost } from '../../test/helpers/vhost.js';
import { cleanupOnExit } from '../shared/cleanup.js';
import { formatInt, table } from '../shared/figures.js';
import { pacedInChild, type PacedFigures } from '../proxy/paced.js';
import { hasTaskset } from '../shared/children.js';
import { machineCpuMs } from '../shared/cpu.js';
import { startChild } from '../proxy/process.js';
import { benchOrders, benchPartners, seedLedger } from '../proxy/seed.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    rate: { type: 'string', default: '2000' },
    'poison-rate': { type: 'string', default: '40' },
    orders: { type: 'string', default: '5000' },
    // all: the whole malformed-input corpus; deep: only the 9,000-level body of issue 13's report.
    corpus: { type: 'string', default: 'all' },
  },
});
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const rate = Number(values.rate);
const poisonRate = Number(values['poison-rate']);
const corpus =
  values.corpus === 'deep'
    ? hostileInputs.filter((h) => h.reason === 'too_deep' && h.body.length < 100_000).slice(0, 1)
    : hostileInputs;
if (!corpus.length) throw new Error(`--corpus ${values.corpus}: use all or deep`);

const log = (line: string) => process.stderr.write(`${line}\n`);
const cleanup = cleanupOnExit(log);

const pin = availableParallelism() >= 2 && hasTaskset();
const vhost = await createVhost('ob-bench-poison');
cleanup.add(() => vhost.remove());
const dir = mkdtempSync(join(tmpdir(), 'orderbridge-bench-poison-'));
cleanup.add(() => rmSync(dir, { recursive: true, force: true }));
const config = loadConfig({ dir: defaultConfigDir, env: { AMQP_URL: vhost.url } });
const { exchanges, queues } = config.gateway.amqp;
const inputs = [exchanges.crmCommands, exchanges.mesEvents, exchanges.crmEvents];

const partners = benchPartners(4);
const orders = benchOrders('PZ', Number(values.orders), partners);
const ledgerPath = join(dir, 'ledger.db');
await seedLedger(ledgerPath, config, orders);
// The gateway on CPU 0, the paced reader on CPU 1; this process (the poison publisher) anywhere.
const gateway = await startChild(
  { role: 'gateway', amqpUrl: vhost.url, ledgerPath, mesUrl: 'http://127.0.0.1:9', partners },
  pin ? { cpus: '0' } : {},
);
const requests = orders.map(({ orderId, partner }) => ({ path: `/v1/orders/${orderId}`, key: partner.key }));
const paced = () =>
  pacedInChild(
    { port: gateway.port, requests, rate, seconds, connections: 4 },
    join(dir, 'paced.json'),
    pin ? '1' : undefined,
  );

const connection = await connect(vhost.url);
const channel = await connection.createConfirmChannel();
let published = 0;

/** The corpus, round-robin over the inputs, `poisonRate` a second until `until`; each body made unique by trailing whitespace, so each has its own ledger row. */
async function publishPoison(until: number): Promise<void> {
  while (Date.now() < until) {
    const hostile = corpus[published % corpus.length]!;
    const body = Buffer.concat([hostile.body, Buffer.alloc(1 + Math.floor(published / corpus.length), 0x20)]);
    channel.publish(inputs[published % inputs.length]!, 'poison', body, { persistent: true });
    published++;
    await new Promise((resolve) => setTimeout(resolve, 1000 / poisonRate));
  }
  await channel.waitForConfirms();
}

type Round = { kind: 'baseline' | 'poisoned'; figures: PacedFigures; stealPercent?: number };
const results: Round[] = [];
log(
  `bench:poison: ${formatInt(rate)} cached reads/s for ${seconds} s per round, ${rounds} rounds each; ${poisonRate} hostile messages/s (${corpus.length} kind${corpus.length === 1 ? '' : 's'}, 3 inputs) in the poisoned ones${pin ? '; gateway on CPU 0, reader on CPU 1' : ''}`,
);
await paced(); // warm-up: the gateway's read model and the JIT
for (let round = 0; round < rounds; round++) {
  for (const kind of ['baseline', 'poisoned'] as const) {
    const before = machineCpuMs();
    const reading = paced();
    if (kind === 'poisoned') await publishPoison(Date.now() + seconds * 1000);
    const figures = await reading;
    const after = machineCpuMs();
    const stealPercent = before && after ? ((after.stealMs - before.stealMs) / (seconds * 1000)) * 100 : undefined;
    results.push({ kind, figures, ...(stealPercent !== undefined ? { stealPercent } : {}) });
    log(
      `round ${round + 1} ${kind.padEnd(8)} p50 ${figures.p50.toFixed(2)} ms, p99 ${figures.p99.toFixed(2)} ms, max ${figures.max.toFixed(1)} ms, ${figures.failed} failed${stealPercent === undefined ? '' : `, VM steal ${stealPercent.toFixed(0)}%`}`,
    );
  }
}

// Every hostile message dead-lettered, each once: the gateway's ledger row counts its deliveries.
const admin = await connection.createChannel();
const deadline = Date.now() + 30_000;
while ((await admin.checkQueue(queues.deadLetter)).messageCount < published && Date.now() < deadline)
  await new Promise((resolve) => setTimeout(resolve, 200));
const deadLetters = (await admin.checkQueue(queues.deadLetter)).messageCount;
await connection.close();
await gateway.stop();
const ledger = new Database(ledgerPath, { readonly: true });
const { rows, deliveries } = ledger
  .prepare(`SELECT COUNT(*) AS rows, COALESCE(MAX(deliveries), 0) AS deliveries FROM messages WHERE state = 'invalid'`)
  .get() as { rows: number; deliveries: number };
ledger.close();

const median = (numbers: number[]) => [...numbers].sort((a, b) => a - b)[Math.floor(numbers.length / 2)]!;
const of = (kind: Round['kind'], figure: 'p50' | 'p99') =>
  median(results.filter((r) => r.kind === kind).map((r) => r.figures[figure]));
process.stdout.write(
  `${table(
    ['', 'p50 ms (median)', 'p99 ms (median)'],
    [
      ['baseline', of('baseline', 'p50').toFixed(2), of('baseline', 'p99').toFixed(2)],
      ['poisoned', of('poisoned', 'p50').toFixed(2), of('poisoned', 'p99').toFixed(2)],
    ],
  )}\n`,
);
process.stdout.write(
  `p99 poisoned/baseline: ${(of('poisoned', 'p99') / of('baseline', 'p99')).toFixed(2)}; p50: ${(of('poisoned', 'p50') / of('baseline', 'p50')).toFixed(2)}\n`,
);
process.stdout.write(
  `hostile messages: ${published} published, ${deadLetters} dead-lettered, ${rows} ledger rows, most deliveries of one: ${deliveries}\n`,
);
if (deadLetters !== published || rows !== published || deliveries !== 1) {
  log('bench:poison: not every hostile message was dead-lettered exactly once');
  process.exitCode = 1;
}
