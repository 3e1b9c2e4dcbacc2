// The SQLite ledger's own cost per CRM command, in process (no broker): record the command, then
// mark it forwarded, as the pipeline does, in group-commit batches of the consumer's prefetch.
// Beside it in the same run, the same with the group commit's savepoint per unit (how it committed
// before 74d0faf: GroupCommit now runs units without one unless one fails), so the ratio says what
// that costs. Medians of interleaved rounds; synchronous NORMAL (no fsync), so CPU is what shows.
// Also the bytes the process wrote a command (the WAL's frames and the checkpoint's pages): each
// page a commit touches is written whole, so a random index key costs a page, not its bytes.
// --random-ids gives orders and CRM messages random ids, as a real CRM's are (the default's
// sequential ones share index pages); pin to one core (taskset -c 1) for steadier figures.
//   npm run -s bench:build && node dist-bench/bench/pipeline/ledger-units.js [--commands 20000] [--batch 256] [--rounds 5] [--random-ids]
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { mesCommandId } from '../../src/app/forward-crm-command.js';
import { GroupCommit } from '../../src/ledger/sqlite/group-commit.js';
import { openSqliteLedger } from '../../src/ledger/sqlite/open.js';
import type { LedgerPolicy } from '../../src/ledger/store.js';
import { median, positiveInt } from '../shared/figures.js';

const { values } = parseArgs({
  options: {
    commands: { type: 'string', default: '20000' },
    batch: { type: 'string', default: '256' },
    rounds: { type: 'string', default: '5' },
    'random-ids': { type: 'boolean', default: false },
  },
});
const commands = positiveInt('--commands', values.commands);
const batch = positiveInt('--batch', values.batch);
const rounds = positiveInt('--rounds', values.rounds);
const newOrderId = values['random-ids'] ? () => `O-${randomUUID()}` : (n: number) => `O-${n}`;
// An MES command as the reference dialect writes one (~250 bytes): the row's size decides its pages.
const payload = JSON.stringify({
  header: { messageId: `ob-${'x'.repeat(27)}`, sentAt: new Date(0).toISOString(), kind: 'ORDER_CREATE' },
  order: {
    id: 'O-0000000000',
    partner: 'bench',
    lines: [
      { sku: 'SKU-0001', qty: 3 },
      { sku: 'SKU-0002', qty: 1 },
    ],
  },
});

/** Bytes this process has passed to write() so far (Linux), or undefined elsewhere. */
function bytesWritten(): number | undefined {
  try {
    const line = readFileSync('/proc/self/io', 'utf8').match(/^wchar: (\d+)$/m);
    return line ? Number(line[1]) : undefined;
  } catch {
    return undefined;
  }
}

type Units = { work: () => unknown }[];
type Internals = {
  commitBatch(batch: Units): unknown[];
  runEachInSavepoint(batch: Units): unknown[];
};
const groupCommit = GroupCommit.prototype as unknown as Internals;
const withoutSavepoints = groupCommit.commitBatch;
/** The group commit as it was: a savepoint per unit, always (now only its retry after a failed unit). */
function savepointPerUnit(this: Internals, units: Units): unknown[] {
  return this.runEachInSavepoint(units);
}
const sides = { 'no savepoint unless a unit fails': withoutSavepoints, 'savepoint per unit': savepointPerUnit };
type Side = keyof typeof sides;

const policy: LedgerPolicy = {
  ack: { deadlineMs: 3_600_000, maxAttempts: 3, backoff: 2 },
  deadlines: { stuckAfterMs: () => undefined },
} as unknown as LedgerPolicy;

type Round = { ms: number; cpuUsPerCommand: number; kibPerCommand: number | undefined };

async function round(side: Side): Promise<Round> {
  groupCommit.commitBatch = sides[side];
  const dir = mkdtempSync(join(tmpdir(), 'orderbridge-ledger-units-'));
  const ledger = openSqliteLedger({ path: join(dir, 'ledger.db'), synchronous: 'NORMAL', policy });
  const started = performance.now();
  const cpu = process.cpuUsage();
  const written = bytesWritten();
  for (let first = 0; first < commands; first += batch) {
    const ids = Array.from({ length: Math.min(batch, commands - first) }, (_, i) => newOrderId(first + i));
    await Promise.all(
      ids.map(async (orderId) => {
        const result = await ledger.recordCommand(
          {
            crmMessageId: `crm-${orderId}`,
            type: 'order.create',
            orderId,
            partner: 'bench',
            sentAt: new Date().toISOString(),
            mes: { messageId: mesCommandId(`crm-${orderId}`), routingKey: 'order.create', payload },
          },
          Date.now(),
        );
        if (result.kind === 'forward') await ledger.markForwarded(result.out, Date.now());
      }),
    );
  }
  const used = process.cpuUsage(cpu);
  const ms = performance.now() - started;
  const writtenNow = bytesWritten();
  const kibPerCommand =
    written !== undefined && writtenNow !== undefined ? (writtenNow - written) / 1024 / commands : undefined;
  await ledger.close();
  rmSync(dir, { recursive: true, force: true });
  return { ms, cpuUsPerCommand: (used.user + used.system) / commands, kibPerCommand };
}

const results = new Map<Side, Round[]>();
const names = Object.keys(sides) as Side[];
for (let r = 0; r < rounds; r++) {
  for (const side of r % 2 ? [...names].reverse() : names) {
    results.set(side, [...(results.get(side) ?? []), await round(side)]);
  }
}
groupCommit.commitBatch = withoutSavepoints;
const figures = names.map((side) => {
  const runs = results.get(side)!;
  const kib = runs.map((r) => r.kibPerCommand).filter((k) => k !== undefined);
  return {
    side,
    ms: median(runs.map((r) => r.ms)),
    cpu: median(runs.map((r) => r.cpuUsPerCommand)),
    kib: kib.length ? median(kib) : undefined,
  };
});
console.log(
  `SQLite ledger, in process: ${commands.toLocaleString('en-US')} commands recorded and marked forwarded, batches of ${batch}, ${values['random-ids'] ? 'random' : 'sequential'} ids, median of ${rounds} interleaved rounds`,
);
for (const { side, ms, cpu, kib } of figures)
  console.log(
    `  ${side.padEnd(34)} ${cpu.toFixed(1).padStart(6)} µs CPU per command   ${kib === undefined ? '' : `${kib.toFixed(2).padStart(6)} KiB written per command   `}${ms.toFixed(0).padStart(6)} ms per round`,
  );
console.log(`  ratio (CPU per command, now / before): ${(figures[0]!.cpu / figures[1]!.cpu).toFixed(2)}`);
