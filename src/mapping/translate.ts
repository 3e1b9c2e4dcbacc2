import type { DialectConfig } from '../contracts/generated/config/dialect.js';
import type { OrderStatus } from './status-model.js';
import type { MesEventFields } from './read-mes-event.js';

export type Acknowledgement = 'accepted' | 'rejected' | 'failed';

/** What an MES event means externally: a status, an acknowledgement of the pending command, or both. */
export interface Translation {
  kind: 'translated';
  event: MesEventFields;
  status?: OrderStatus;
  ack?: Acknowledgement;
}

/** An MES state the mapping does not know: held for a human, never guessed. */
export interface Quarantine {
  kind: 'quarantine';
  event: MesEventFields;
  reason: string;
}

export function translate(event: MesEventFields, states: DialectConfig['states']): Translation | Quarantine {
  const mapped = Object.hasOwn(states, event.state) ? states[event.state] : undefined;
  if (mapped === undefined) {
    return {
      kind: 'quarantine',
      event,
      reason: `unknown MES state ${JSON.stringify(event.state)}: add it to the dialect's states`,
    };
  }
  const translation: Translation = { kind: 'translated', event };
  if (mapped.status !== undefined) translation.status = mapped.status;
  if (mapped.ack !== undefined) translation.ack = mapped.ack;
  return translation;
}
