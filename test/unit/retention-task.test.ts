import t from 'tap';
import { startRetention } from '../../src/app/retention.js';
import type { Pruned, RetentionPort } from '../../src/ledger/index.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { waitFor } from '../helpers/wait-for.js';

const none: Pruned = { messages: 0, journal: 0, orders: 0, webhookDeliveries: 0, idempotencyKeys: 0 };

t.test(
  'each run makes the partitions ahead first, then prunes; rows that had no partition are warned of',
  async (t) => {
    const calls: string[] = [];
    const pruner: RetentionPort = {
      async createPartitionsAhead(now) {
        calls.push(`ahead ${now}`);
        return { created: ['messages_p20261206'], moved: 3 };
      },
      async pruneOlderThan(cutoff) {
        calls.push(`prune ${cutoff}`);
        return none;
      },
    };
    const lines: { level: number; msg: string; moved?: number }[] = [];
    const logger = createLogger({ destination: { write: (line: string) => lines.push(JSON.parse(line)) } });
    const task = startRetention(pruner, { retentionMs: 1000, intervalMs: 60_000, clock: () => 5000, logger });
    t.teardown(() => task.stop());
    await waitFor(() => calls.length === 2, 5000, 'one run');
    t.same(calls, ['ahead 5000', 'prune 4000'], 'partitions for now, then pruning before now - retention');
    t.match(
      lines.find((line) => line.level === 40),
      { moved: 3, msg: /no partition/ },
      'a warning names how many rows had been written without their partition',
    );
  },
);

t.test('a ledger without partitions (SQLite) is only pruned, and nothing is warned of', async (t) => {
  const calls: string[] = [];
  const lines: { level: number }[] = [];
  const logger = createLogger({ destination: { write: (line: string) => lines.push(JSON.parse(line)) } });
  const task = startRetention(
    {
      async pruneOlderThan(cutoff) {
        calls.push(`prune ${cutoff}`);
        return none;
      },
    },
    { retentionMs: 1000, intervalMs: 60_000, clock: () => 5000, logger },
  );
  t.teardown(() => task.stop());
  await waitFor(() => calls.length === 1, 5000, 'one run');
  t.same(calls, ['prune 4000']);
  t.equal(lines.filter((line) => line.level >= 40).length, 0, 'no warning');
});
