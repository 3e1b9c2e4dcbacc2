/* Generated from contracts/config/dialect-tests.schema.json by npm run contracts. Do not edit: change the schema. */

/**
 * config/mes/<dialect>/tests.yaml: test cases of one MES dialect, run by `orderbridge test-mapping`. An MES event in, and what each state change it carries means (external status, acknowledgement, quarantine) or the error that dead-letters it; a CRM command in, and the MES command the dialect writes (routing key and exact message) or the error that refuses it.
 */
export type DialectTests = {
  [k: string]: unknown;
} & {
  /**
   * The gateway's clock for every command case that gives none, ISO 8601 with an offset (e.g. 2026-12-06T09:30:00Z).
   */
  now?: string;
  /**
   * MES events in, as the MES publishes them: each is checked against the dialect's event schema, read by its paths and translated by its states, as the gateway does.
   *
   * @minItems 1
   */
  events?: EventCase[];
  /**
   * CRM commands in, as the CRM publishes them (contracts/crm): each is checked against the CRM contract and written by the dialect's command templates, then checked against its command schema, as the gateway does.
   *
   * @minItems 1
   */
  commands?: CommandCase[];
};
/**
 * either expect (one entry per state change) or invalid (a part of the error), not both
 */
export type EventCase = {
  name: Name;
  /**
   * The MES event message, as the MES publishes it (its JSON body, written as YAML or JSON).
   */
  event: {
    [k: string]: unknown;
  };
  /**
   * What each state change the message carries means, in order: one entry per change.
   *
   * @minItems 1
   */
  expect?: Change[];
  /**
   * The message is dead-lettered as invalid (a schema violation, a path that reads nothing): a part of the error, or {matches: a regular expression}.
   */
  invalid?:
    | string
    | {
        /**
         * A regular expression (JavaScript) the error matches.
         */
        matches: string;
      };
} & EventCase1;
/**
 * What the case shows, printed with its result.
 */
export type Name = string;
/**
 * One state change: its external status and acknowledgement (none when absent), or quarantine: true for a state the dialect does not know. The fields read from the message are compared only when given.
 */
export type Change = Change1 & {
  status?: OrderStatus;
  /**
   * The acknowledgement of a pending CRM command this state gives; none (the default) when it gives none.
   */
  ack?: 'accepted' | 'rejected' | 'failed' | 'none';
  /**
   * The state is not in the dialect's states: held for a human, never guessed.
   */
  quarantine?: true;
  /**
   * The MES state read (numeric codes as their decimal text).
   */
  state?: string;
  /**
   * The order id read, after the dialect's value rules (e.g. trimmed).
   */
  orderId?: string;
  /**
   * The event id read (a change without its own id: the message's id with /<index>).
   */
  eventId?: string;
  /**
   * The time read, as the gateway records it (ISO 8601; epoch times as UTC with milliseconds).
   */
  occurredAt?: string;
  /**
   * The id of the command the event answers, when the dialect reads one.
   */
  correlationId?: string;
  /**
   * The reason read, when the dialect reads one.
   */
  reason?: string;
  /**
   * The MES's own event type (mes.event when the dialect reads none).
   */
  type?: string;
};
export type Change1 = {
  [k: string]: unknown;
};
/**
 * The one external order status that the CRM, the online shop and the partners see. The allowed moves between statuses are in status-model.json.
 */
export type OrderStatus =
  | 'received'
  | 'accepted'
  | 'in_production'
  | 'on_hold'
  | 'failed'
  | 'ready'
  | 'shipped'
  | 'delivered'
  | 'rejected'
  | 'cancelled';
export type EventCase1 = {
  [k: string]: unknown;
};
/**
 * either expect (the MES command) or invalid (a part of the error), not both
 */
export type CommandCase = {
  name: Name;
  /**
   * The CRM command, as the CRM publishes it (contracts/crm: order.create, order.cancel or order.update).
   */
  command: {};
  now?: Now;
  /**
   * The MES message id the gateway gives the command; by default the one it derives from the CRM command's messageId.
   */
  messageId?: string;
  /**
   * The MES command the dialect writes: its routing key and its exact message.
   */
  expect?: {
    routingKey: string;
    /**
     * The exact JSON message (the order of fields does not matter).
     */
    message: {
      [k: string]: unknown;
    };
  };
  /**
   * The command is refused (not in the CRM contract, a value not in a template's table, a command that breaks the dialect's command schema): a part of the error, or {matches: a regular expression}.
   */
  invalid?:
    | string
    | {
        /**
         * A regular expression (JavaScript) the error matches.
         */
        matches: string;
      };
} & CommandCase1;
/**
 * The gateway's clock when it writes this command, ISO 8601 with an offset (e.g. 2026-12-06T09:30:00Z); give it here or once at the top of the file.
 */
export type Now = string;
export type CommandCase1 = {
  [k: string]: unknown;
};
