import t from 'tap';
import { startPeriodicTask } from '../../src/shared/periodic-task.js';
import { waitFor } from '../helpers/wait-for.js';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
// Timers that keep the event loop alive (an unref'd one is not listed).
const refdTimers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

t.test('runs never overlap: the next is scheduled when the previous one has settled', async (t) => {
  let active = 0;
  let most = 0;
  let runs = 0;
  const task = startPeriodicTask(
    async () => {
      active++;
      most = Math.max(most, active);
      await pause(15);
      active--;
      runs++;
    },
    { intervalMs: 1, onError: () => t.fail('no run fails') },
  );
  await waitFor(() => runs >= 3, 5000, 'three runs');
  await task.stop();
  t.equal(most, 1, 'one run at a time');
});

t.test('the first run waits intervalMs unless firstRunAfterMs says otherwise', async (t) => {
  const started: string[] = [];
  const late = startPeriodicTask(async () => void started.push('late'), {
    intervalMs: 10_000,
    onError: () => undefined,
  });
  const early = startPeriodicTask(async () => void started.push('early'), {
    intervalMs: 10_000,
    firstRunAfterMs: 0,
    onError: () => undefined,
  });
  await pause(30);
  await Promise.all([late.stop(), early.stop()]);
  t.same(started, ['early']);
});

t.test('stop() waits for the run in progress, and no run starts after it', async (t) => {
  let finished = 0;
  let started = 0;
  const task = startPeriodicTask(
    async () => {
      started++;
      await pause(40);
      finished++;
    },
    { intervalMs: 1, firstRunAfterMs: 0, onError: () => undefined },
  );
  await waitFor(() => started === 1, 5000, 'the first run started');
  await task.stop();
  t.equal(finished, 1, 'the run in progress ended before stop() resolved');
  await pause(30);
  t.equal(started, 1, 'nothing ran after stop()');
});

t.test('a failed run is reported and the next one still runs', async (t) => {
  const errors: unknown[] = [];
  let runs = 0;
  const task = startPeriodicTask(
    async () => {
      runs++;
      if (runs === 1) throw new Error('first run fails');
    },
    { intervalMs: 1, firstRunAfterMs: 0, onError: (error) => errors.push(error) },
  );
  await waitFor(() => runs >= 2, 5000, 'a run after the failed one');
  await task.stop();
  t.equal(errors.length, 1);
  t.match(errors[0], { message: 'first run fails' });
  t.ok(runs >= 2, 'runs went on after the failure');
});

t.test("an unref'd timer does not hold the process open; the default one does", async (t) => {
  const held = startPeriodicTask(async () => undefined, { intervalMs: 60_000, onError: () => undefined });
  const housekeeping = startPeriodicTask(async () => undefined, {
    intervalMs: 60_000,
    unref: true,
    onError: () => undefined,
  });
  const timers = refdTimers();
  await housekeeping.stop();
  t.equal(refdTimers(), timers, "stopping the unref'd one changes no active (ref'd) timer");
  await held.stop();
  t.equal(refdTimers(), timers - 1, 'stopping the default one does');
});
