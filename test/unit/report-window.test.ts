import t from 'tap';
import { windowOf } from '../../src/app/report/window.js';

const now = Date.parse('2026-12-06T12:00:00Z');

t.test('a report window is a real span of time, or an error naming the field and the fix', async (t) => {
  t.same(windowOf({}, now), { from: now - 86_400_000, to: now }, 'the last 24 h by default');
  t.same(windowOf({ since: '7d' }, now), { from: now - 7 * 86_400_000, to: now });
  t.match(
    windowOf({ since: '99999999999d' }, now),
    { field: 'since', error: /before 1970; give a shorter duration/ },
    'a window before the epoch is refused, not a 500 while formatting it',
  );
  t.match(windowOf({ since: '0s' }, now), { field: 'since', error: /longer than 0/ });
  t.match(windowOf({ since: 'forever' }, now), { field: 'since', error: /duration such as/ });
  t.match(windowOf({ from: '1900-01-01T00:00:00Z' }, now), { field: 'from', error: /before 1970/ });
  t.match(windowOf({ from: 'x', to: 'y' }, now), { field: 'from' });
  t.match(windowOf({ from: '2026-12-06T00:00:00Z', to: '2026-12-05T00:00:00Z' }, now), {
    field: 'to',
    error: /later than from/,
  });
  t.match(windowOf({ since: '1h', from: '2026-12-06T00:00:00Z' }, now), { field: 'since', error: /not both/ });
});
