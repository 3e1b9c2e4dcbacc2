import t from 'tap';
import { backoffDelay } from '../../src/adapters/rabbitmq/cluster-connection.js';

const backoff = { initialDelay: 200, maxDelay: 15_000, factor: 2, jitter: 0.5 };
const samples = (round: number) => Array.from({ length: 500 }, () => backoffDelay(backoff, round));
const within = (delays: number[], low: number, high: number) => delays.every((d) => d >= low && d <= high);

t.test(
  'reconnect delays: initialDelay ± jitter in the first round, doubling per round, never past maxDelay',
  async (t) => {
    t.ok(within(samples(1), 100, 300), 'round 1: 200 ms ± 50%');
    t.ok(within(samples(3), 400, 1200), 'round 3: 800 ms ± 50%');
    const all = Array.from({ length: 30 }, (_, i) => samples(i + 1)).flat();
    t.ok(within(all, 0, backoff.maxDelay), 'capped, jitter included');
    t.ok(Math.max(...samples(30)) > 0.9 * backoff.maxDelay, 'and the cap is reached');
    t.equal(backoffDelay({ ...backoff, jitter: 0 }, 2), 400, 'no jitter: exactly initialDelay × factor');
  },
);
