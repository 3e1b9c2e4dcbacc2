import t from 'tap';
import { produceReport } from '../../src/app/report/produce-report.js';
import type { ReconciliationReport } from '../../src/app/report/report.js';
import { applyMesEvent, createAndForward } from '../fixtures/mes-events.js';
import { testConfig } from '../helpers/gateway-config.js';
import { testEachDriver } from '../helpers/ledger-drivers.js';

// The report's acknowledgement latencies, computed by each driver's SQL, against the computation
// the report did in JS before (over every answer's time and latency): equal figure for figure.

const from = Date.parse('2026-11-25T10:00:00Z');
const to = from + 4 * 3_600_000;

/** Nearest-rank percentile of sorted values, as the report computed it in JS. */
function percentile(sorted: number[], p: number): number | null {
  if (!sorted.length) return null;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** The report's former ackLatencyMs and series, from every answer (when it came, how long after forwarding). */
function expectedFigures(acks: { at: number; ms: number }[]) {
  const latencies = acks.map((a) => a.ms).sort((a, b) => a - b);
  const bucketMs = Math.max(1, Math.ceil((to - from) / 48));
  const buckets: number[][] = Array.from({ length: Math.ceil((to - from) / bucketMs) }, () => []);
  for (const ack of acks) {
    const index = Math.floor((ack.at - from) / bucketMs);
    if (index >= 0 && index < buckets.length) buckets[index]!.push(ack.ms);
  }
  const ackLatencyMs: ReconciliationReport['ackLatencyMs'] = {
    count: latencies.length,
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? null,
  };
  const series: ReconciliationReport['series'] = {
    bucketMs,
    buckets: buckets.map((values, i) => {
      values.sort((a, b) => a - b);
      return {
        start: new Date(from + i * bucketMs).toISOString(),
        acknowledged: values.length,
        p50Ms: percentile(values, 50),
        p99Ms: percentile(values, 99),
      };
    }),
  };
  return { ackLatencyMs, series };
}

testEachDriver(
  t,
  'acknowledgement latency percentiles equal the nearest-rank ones computed in JS',
  async (t, driver) => {
    const env = testConfig();
    t.teardown(env.remove);
    const { ledger, config } = await driver.open(t, env.config, { synchronous: 'NORMAL' });
    // Deterministic pseudo-random latencies with repeats; bucket sizes from 1 to over 100 (ranks
    // where p·n is whole and where it is not); a few answers after the window's end (counted, in no
    // bucket); rejections and failures count as answers too.
    let seed = 7;
    const next = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    const acks: { at: number; ms: number }[] = [];
    const sentAt = [
      ...Array.from({ length: 130 }, () => from + 600_000 + next(60_000)),
      ...Array.from({ length: 100 }, () => from + 3_000_000 + next(200_000)),
      from + 7_300_000,
      ...Array.from({ length: 70 }, () => from + next(4 * 3_600_000 - 10_000)),
      ...Array.from({ length: 3 }, () => to - 1000),
    ];
    for (const [i, at] of sentAt.entries()) {
      const orderId = `L-${i}`;
      const ms = i % 5 === 0 ? 250 : next(i % 3 === 0 ? 40 : 9000);
      const state = i % 17 === 0 ? 'REJECTED' : i % 19 === 0 ? 'ERROR' : 'ACCEPTED';
      await createAndForward(ledger, orderId, at);
      await applyMesEvent(ledger, config.dialect, state, orderId, at + ms, { eventId: `${orderId}-answer` });
      acks.push({ at: at + ms, ms });
    }
    // Forwarded, never answered: no latency.
    await createAndForward(ledger, 'L-OPEN', from + 1000);
    const recorded = await ledger.timeline('L-OPEN');
    const recordedAt = (channel: string) => recorded.find((entry) => entry.channel === channel)?.at;
    t.equal(
      recordedAt('mes.command'),
      recordedAt('crm.command'),
      'a command and the MES command it becomes are recorded at one time: the latency reads the command alone',
    );

    const { report } = await produceReport({ config, ledger, from, to, now: to + 60_000, lang: 'en' });
    const expected = expectedFigures(acks);
    t.ok(
      acks.some((a) => a.at >= to),
      'some answers came after the window (the fixture covers them)',
    );
    t.ok(
      expected.series.buckets.some((b) => b.acknowledged === 1) &&
        expected.series.buckets.some((b) => b.acknowledged >= 100) &&
        expected.series.buckets.some((b) => b.acknowledged === 0),
      'buckets of one answer, of over a hundred and of none (the fixture covers them)',
    );
    t.same(report.ackLatencyMs, expected.ackLatencyMs, 'count, p50, p90, p99 and max as before');
    t.equal(report.ackLatencyMs.count, sentAt.length);
    t.same(report.series, expected.series, 'every bucket: start, count, p50 and p99 as before');
  },
);

testEachDriver(t, 'a window without answers has no latencies', async (t, driver) => {
  const env = testConfig();
  t.teardown(env.remove);
  const { ledger, config } = await driver.open(t, env.config, { synchronous: 'NORMAL' });
  await createAndForward(ledger, 'L-OPEN', from + 1000);
  const { report } = await produceReport({ config, ledger, from, to, now: to + 60_000, lang: 'en' });
  t.same(report.ackLatencyMs, { count: 0, p50: null, p90: null, p99: null, max: null });
  t.same(report.series, expectedFigures([]).series);
});
