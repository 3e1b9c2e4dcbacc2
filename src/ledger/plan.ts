/**
 * A ledger write written once for every driver: a generator that yields each read it needs and gets
 * the answer back. SQLite answers at once, inside its synchronous transaction (runNow); PostgreSQL
 * answers with promises, inside its unit's transaction (runAwaiting). Writes whose answer the plan
 * does not need are plain calls on the rows port: each driver runs or pipelines them.
 */
export type Plan<R> = Generator<unknown, R, never>;

/** What a rows port answers: a value (SQLite) or a promise of it (PostgreSQL). */
export type Answer<T> = T | Promise<T>;

/** Inside a plan: `const x = yield* answer(rows.read(...))`. */
export function* answer<T>(value: Answer<T>): Generator<Answer<T>, T, T> {
  return yield value;
}

/** Runs a plan whose every answer is a value. */
export function runNow<R>(plan: Plan<R>): R {
  let step = plan.next();
  while (!step.done) {
    if (step.value instanceof Promise) throw new TypeError('a synchronous ledger answered a plan with a promise');
    step = plan.next(step.value as never);
  }
  return step.value;
}

/** Runs a plan, awaiting each answer; a failed read is thrown into the plan where it asked. */
export async function runAwaiting<R>(plan: Plan<R>): Promise<R> {
  let step = plan.next();
  while (!step.done) {
    let value: unknown;
    try {
      value = await step.value;
    } catch (error) {
      step = plan.throw(error);
      continue;
    }
    step = plan.next(value as never);
  }
  return step.value;
}
