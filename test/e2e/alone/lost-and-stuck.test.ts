// Runs alone, after the other end-to-end tests (npm test): it bounds how soon a fault is detected past
// its deadline, and a heavy test beside it on two cores puts the gateway behind on its queues, when
// deadlines are rightly judged later (src/app/watchdog.ts). Beside kill-gateway it missed the bound
// in 2 of 4 runs of 32d6f08 on 2026-12-07 (lost max 1.6–2.8 s); alone it met it (max 0.45–0.49 s).
import t from 'tap';
import { loadConfig } from '../../../src/config/index.js';
import { checkRun } from '../../helpers/checker.js';
import { defaultConfigDir } from '../../helpers/config-dir.js';
import { runE2e, stuckOnlyWhenAccepted } from '../../helpers/e2e.js';

const { dialect } = loadConfig({ dir: defaultConfigDir, env: {} });
const ackDeadlineMs = 2000;
const stuckAfterMs = 3000;
const allowedLatencyMs = 2000;

t.test(
  'the MES drops 5% of commands and stalls another 5%: exactly those are flagged lost / stuck within deadline + 2 s',
  async (t) => {
    const { report, mes, ledger } = await runE2e(t, {
      // Moderate load: detection latency is measured against the deadline, not against a backlog.
      orders: 600,
      rate: 150,
      gateway: {
        'acknowledgement.deadline': `${ackDeadlineMs}ms`,
        'acknowledgement.maxAttempts': 1,
        'acknowledgement.evidenceLookup': true,
        'stuck.checkInterval': '250ms',
        'stuck.deadlines': stuckOnlyWhenAccepted(`${stuckAfterMs}ms`),
      },
      mes: [
        '--step-ms',
        '100',
        '--qc-fail-share',
        '0',
        '--drop-share',
        '0.05',
        '--stall-share',
        '0.05',
        '--seed',
        '11',
      ],
      crm: ['--deliver-after-ms', '50'],
    });
    const check = checkRun(report, mes, ledger, dialect);
    t.ok(
      mes.faults.dropped.length > 10 && mes.faults.stalled.length > 10,
      `the MES dropped ${mes.faults.dropped.length} and stalled ${mes.faults.stalled.length} orders`,
    );
    t.same(check.flaggedLost, mes.faults.dropped, 'flagged lost: exactly the dropped orders');
    t.same(check.flaggedStuck, mes.faults.stalled, 'flagged stuck: exactly the stalled orders');
    t.same([...report.lost].sort(), mes.faults.dropped, 'the CRM heard lost for exactly those');
    t.same([...report.stuck].sort(), mes.faults.stalled, 'the CRM heard stuck for exactly those');
    const everFlagged = ledger
      .prepare(`SELECT DISTINCT order_id FROM journal WHERE kind = 'attention_raised' ORDER BY order_id`)
      .pluck()
      .all();
    t.same(
      everFlagged,
      [...mes.faults.dropped, ...mes.faults.stalled].sort(),
      'no false alarm, not even one later cleared',
    );
    t.same(check.lost, [], 'no order silently lost');
    t.same(check.mismatched, []);

    const lostLatency = ledger
      .prepare(`
    SELECT o.attention_since - m.created_at - ${ackDeadlineMs} AS latency FROM orders o JOIN messages m ON m.order_id = o.order_id AND m.channel = 'crm.command'
    WHERE o.attention = 'lost'`)
      .pluck()
      .all() as number[];
    const stuckLatency = ledger
      .prepare(`SELECT attention_since - status_entered_at - ${stuckAfterMs} FROM orders WHERE attention = 'stuck'`)
      .pluck()
      .all() as number[];
    const worstLost = Math.max(...lostLatency);
    const worstStuck = Math.max(...stuckLatency);
    t.comment(
      `detection latency past the deadline: lost p50 ${median(lostLatency)} ms, max ${worstLost} ms; stuck p50 ${median(stuckLatency)} ms, max ${worstStuck} ms`,
    );
    t.ok(Math.min(...lostLatency, ...stuckLatency) >= 0, 'never flagged before the deadline');
    t.ok(worstLost <= allowedLatencyMs, `lost detected within deadline + ${worstLost} ms`);
    t.ok(worstStuck <= allowedLatencyMs, `stuck detected within deadline + ${worstStuck} ms`);
  },
);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}
