import type { Config } from '../config/index.js';
import { validatorForSchema } from '../contracts/validate.js';
import { mesEventReader, type MesChange } from '../mapping/index.js';

/** An MES message read by a dialect: its state changes, or what is wrong with it (the field and the fix). */
export type ReadMessage = { ok: true; value: MesChange[] } | { ok: false; error: string };

/** Problems of a schema validation, one line each. */
export function describeProblems(problems: { pointer: string; message: string; fix: string }[]): string {
  return problems.map((p) => `${p.pointer || '/'}: ${p.message} (fix: ${p.fix})`).join('; ');
}

/** Reads an (already parsed) MES message by the dialect: checked against its event schema, then read by its paths into state changes. */
export function dialectMessageReader({ dialect, dialectSchemas }: Pick<Config, 'dialect' | 'dialectSchemas'>): (body: unknown) => ReadMessage {
  const validate = validatorForSchema(dialectSchemas.event);
  const readChanges = mesEventReader(dialect.events);
  return (body) => {
    const valid = validate(body);
    if (!valid.ok) return { ok: false, error: describeProblems(valid.problems) };
    const read = readChanges(valid.value);
    return read.ok ? { ok: true, value: read.changes } : { ok: false, error: read.problems.join('; ') };
  };
}
