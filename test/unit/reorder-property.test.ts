import t from 'tap';
import {
  applyStatus,
  canMove,
  initialOrderState,
  movesFrom,
  rankOf,
  type OrderStatus,
  type StatusFact,
} from '../../src/mapping/index.js';
import { pick, seededRandom, shuffleWithinWindows } from '../helpers/random.js';

const sequences = 5000;
const seed = Number(process.env.PROPERTY_SEED ?? 20261125);

/** A walk the MES could really make: allowed moves only, strictly increasing event times. */
function generateWalk(random: () => number): StatusFact[] {
  const facts: StatusFact[] = [];
  let status: OrderStatus = 'received';
  let time = Date.parse('2026-01-01T00:00:00Z');
  const length = 1 + Math.floor(random() * 12);
  for (let i = 0; i < length; i++) {
    const next: OrderStatus[] = movesFrom(status).filter((s) => s !== 'delivered'); // delivered is CRM-owned
    if (!next.length) break;
    status = pick(random, next);
    time += 1000 + Math.floor(random() * 60_000);
    facts.push({ status, source: 'mes', occurredAt: new Date(time).toISOString() });
  }
  return facts;
}

/** Every fact at least once, some twice or three times, then shuffled within windows. */
function deliver(random: () => number, facts: StatusFact[]): StatusFact[] {
  const withDuplicates = facts.flatMap((f) => (random() < 0.3 ? [f, f, ...(random() < 0.3 ? [f] : [])] : [f]));
  return shuffleWithinWindows(random, withDuplicates, 2 + Math.floor(random() * 8));
}

t.test(
  `reordered and duplicated MES events never regress the status (${sequences} sequences, seed ${seed})`,
  async (t) => {
    const random = seededRandom(seed);
    let failures = 0;
    for (let n = 0; n < sequences && failures < 5; n++) {
      const walk = generateWalk(random);
      const arrival = deliver(random, walk);
      let state = initialOrderState({ status: 'received', source: 'crm', occurredAt: '2026-01-01T00:00:00Z' });
      for (const fact of arrival) {
        const outcome = applyStatus(state, fact);
        if (
          outcome.kind === 'applied' &&
          !(canMove(outcome.from, outcome.to) && rankOf(outcome.to) >= rankOf(outcome.from))
        ) {
          failures++;
          t.fail(`sequence ${n} (seed ${seed}): moved ${outcome.from} → ${outcome.to}`);
        }
        state = outcome.state;
      }
      const newest = walk.at(-1)?.status ?? 'received';
      if (state.status !== newest) {
        failures++;
        t.fail(`sequence ${n} (seed ${seed}): ended ${state.status}, the newest event says ${newest}`, {
          walk: walk.map((f) => f.status),
          arrival: arrival.map((f) => `${f.status}@${f.occurredAt.slice(11, 19)}`),
        });
      }
    }
    t.equal(
      failures,
      0,
      `final status equals the newest event's in all ${sequences} sequences (replay with PROPERTY_SEED=${seed})`,
    );
  },
);

t.test('the same events in any order end in the same state', async (t) => {
  const random = seededRandom(seed + 1);
  for (let n = 0; n < 500; n++) {
    const walk = generateWalk(random);
    const finals = [walk, deliver(random, walk), deliver(random, walk)].map((arrival) =>
      arrival.reduce(
        (state, fact) => applyStatus(state, fact).state,
        initialOrderState({ status: 'received', source: 'crm', occurredAt: '2026-01-01T00:00:00Z' }),
      ),
    );
    // statusSince may differ: when the order left a status and came back, a late event in between
    // is not allowed to rewrite when the current stretch began (it is out of order by then).
    if (finals.some((f) => f.status !== finals[0]!.status)) {
      t.fail(`sequence ${n} (seed ${seed + 1}) diverged`, { finals });
      return;
    }
  }
  t.pass('500 sequences delivered three ways each converge on one status');
});
