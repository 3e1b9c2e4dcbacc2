// The reference MES speaks the reference dialect: its messages follow config/mes/reference/'s schemas.
import commandSchema from '../../config/mes/reference/command.schema.json' with { type: 'json' };
import eventSchema from '../../config/mes/reference/event.schema.json' with { type: 'json' };
import type { MesCommand } from '../generated/mes/reference/command.js';
import type { MesEvent } from '../generated/mes/reference/event.js';
import { validatorForSchema, type Validator } from '../../src/contracts/validate.js';

let validators: { command: Validator<MesCommand>; event: Validator<MesEvent> } | undefined;

/** Validators of the reference MES's commands and events, compiled on first use. */
export function referenceMesValidators(): { command: Validator<MesCommand>; event: Validator<MesEvent> } {
  validators ??= {
    command: validatorForSchema<MesCommand>(commandSchema),
    event: validatorForSchema<MesEvent>(eventSchema),
  };
  return validators;
}
