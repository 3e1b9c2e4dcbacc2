/* Generated from contracts/config/dialect.schema.json by npm run contracts. Do not edit: change the schema. */

/**
 * A JSON Pointer such as /order/state.
 */
export type JsonPointer = string;
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
/**
 * An MES state as its events name it: letters of any script, digits, _ . : / - and inner spaces, at most 64 characters (e.g. 730, FREIGEGEBEN, STÖRUNG, IN ARBEIT).
 */
export type MesState = string;
/**
 * A template: a constant (text, number, boolean, null); an object of fields (each a template; a field whose value is absent is left out); an array of templates; or one of {from}, {fill}, {gateway}, {each}, {index}, {const}, {fields}. A field named like one of these keywords is written inside {fields: {...}}.
 */
export type Template =
  | (string | number | boolean | null)
  | Template[]
  | FromValue
  | {
      /**
       * Text with the values of the CRM command (or, inside `each`, of the element) put in at {/pointer} placeholders, e.g. "CRM-{/orderId}"; left out when a placeholder's value is absent.
       */
      fill: string;
      maxLength?: number;
    }
  | {
      gateway: 'messageId' | 'now' | 'nowEpochMillis' | 'nowEpochSeconds' | 'commandType';
    }
  | {
      each: JsonPointer;
      item: Template;
    }
  | {
      index: {
        start?: number;
        step?: number;
      };
    }
  | {
      const: unknown;
    }
  | {
      fields: {
        [k: string]: Template;
      };
    }
  | {
      [k: string]: Template;
    };

/**
 * config/mes/<dialect>/dialect.yaml: everything Orderbridge knows about one MES, with no code: how to read its events, what its states mean externally, how to write its commands, and how its API answers about one order. Files it names (JSON Schemas) are relative to the dialect file.
 */
export interface DialectConfig {
  mes: {
    name: string;
    description?: string;
  };
  /**
   * How the MES's event messages are read.
   */
  events: {
    /**
     * The JSON Schema every event message follows; a message that does not is dead-lettered as invalid.
     */
    schema: string;
    /**
     * JSON Pointers (RFC 6901) into an MES event message. state and occurredAt are required here unless events.changes reads them from each change.
     */
    paths: {
      eventId: JsonPointer;
      orderId: JsonPointer;
      state?: JsonPointer;
      occurredAt?: JsonPointer;
      correlationId?: JsonPointer;
      reason?: JsonPointer;
      /**
       * A JSON Pointer such as /order/state.
       */
      type?: string;
    };
    /**
     * For an MES that sends several state changes in one message: the array of changes, and pointers into each change (a field not given here is read from the message by events.paths). A change without its own event id gets the message's id with /<index>.
     */
    changes?: {
      /**
       * A JSON Pointer such as /order/state.
       */
      path: string;
      paths: {
        eventId?: JsonPointer;
        orderId?: JsonPointer;
        state: JsonPointer;
        occurredAt?: JsonPointer;
        correlationId?: JsonPointer;
        reason?: JsonPointer;
        type?: JsonPointer;
      };
    };
    /**
     * How raw values become the gateway's: numeric codes are always read as their decimal text; text may be trimmed and upper- or lower-cased; times may be ISO 8601 with an offset (the default) or epoch seconds or milliseconds.
     */
    values?: {
      eventId?: TextRule;
      orderId?: TextRule;
      state?: TextRule;
      correlationId?: TextRule;
      occurredAt?: {
        time: 'iso' | 'epochSeconds' | 'epochMillis';
      };
    };
  };
  /**
   * How the MES answers a CRM command. correlationId: its events name the command they answer (events.paths.correlationId). state: it sends no correlation; the first state with `ack` reported for an order whose create is open answers it. Default: correlationId when events.paths.correlationId is set, else state.
   */
  acknowledgement?: {
    by: 'correlationId' | 'state';
  };
  /**
   * External statuses that the CRM, not the MES, establishes (e.g. received, delivered, customer cancellation).
   */
  crmOwned: OrderStatus[];
  states: {
    [k: string]: StateMapping;
  };
  /**
   * How each CRM command becomes the MES's command: a template per CRM command type, compiled once at start-up; every command it builds is checked against the schema.
   */
  commands: {
    /**
     * The JSON Schema every command sent to the MES must follow.
     */
    schema: string;
    'order.create': CommandTemplate;
    'order.cancel': CommandTemplate;
    'order.update': CommandTemplate;
  };
  /**
   * How the MES API answers about one order. Without orderLookup the gateway never asks the MES about an order.
   */
  api?: {
    /**
     * GET {mesApi.baseUrl}{path}, with {orderId} in the path replaced by the order id (URL-encoded) or, with `query`, the id in that query parameter. A status in unknownStatus (default [404]), or an answer without a value at foundPointer when it is given, means the MES does not know the order. Used by the evidence look-up, GET /mes/orders/{orderId} and the report's reconciliation.
     */
    orderLookup?: {
      /**
       * e.g. /orders/{orderId}, or /orders with query: ref.
       */
      path: string;
      query?: string;
      /**
       * @minItems 1
       */
      unknownStatus?: number[];
      /**
       * A JSON Pointer such as /order/state.
       */
      foundPointer?: string;
      /**
       * A JSON Pointer such as /order/state.
       */
      statePointer?: string;
    };
  };
}
export interface TextRule {
  trim?: boolean;
  case?: 'upper' | 'lower';
}
export interface StateMapping {
  status?: OrderStatus;
  /**
   * Entering this state acknowledges the pending CRM command with this outcome.
   */
  ack?: 'accepted' | 'rejected' | 'failed';
  description: string;
  /**
   * The MES's own workflow: states it can move to from this one. check-config verifies that every such move is allowed externally.
   */
  next?: MesState[];
}
export interface CommandTemplate {
  /**
   * The routing key the command is published with (a constant, or a template value).
   */
  routingKey:
    | (string | number | boolean | null)
    | Template[]
    | FromValue
    | {
        /**
         * Text with the values of the CRM command (or, inside `each`, of the element) put in at {/pointer} placeholders, e.g. "CRM-{/orderId}"; left out when a placeholder's value is absent.
         */
        fill: string;
        maxLength?: number;
      }
    | {
        gateway: 'messageId' | 'now' | 'nowEpochMillis' | 'nowEpochSeconds' | 'commandType';
      }
    | {
        each: JsonPointer;
        item: Template;
      }
    | {
        index: {
          start?: number;
          step?: number;
        };
      }
    | {
        const: unknown;
      }
    | {
        fields: {
          [k: string]: Template;
        };
      }
    | {
        [k: string]: Template;
      };
  /**
   * A template: a constant (text, number, boolean, null); an object of fields (each a template; a field whose value is absent is left out); an array of templates; or one of {from}, {fill}, {gateway}, {each}, {index}, {const}, {fields}. A field named like one of these keywords is written inside {fields: {...}}.
   */
  message:
    | (string | number | boolean | null)
    | Template[]
    | FromValue
    | {
        /**
         * Text with the values of the CRM command (or, inside `each`, of the element) put in at {/pointer} placeholders, e.g. "CRM-{/orderId}"; left out when a placeholder's value is absent.
         */
        fill: string;
        maxLength?: number;
      }
    | {
        gateway: 'messageId' | 'now' | 'nowEpochMillis' | 'nowEpochSeconds' | 'commandType';
      }
    | {
        each: JsonPointer;
        item: Template;
      }
    | {
        index: {
          start?: number;
          step?: number;
        };
      }
    | {
        const: unknown;
      }
    | {
        fields: {
          [k: string]: Template;
        };
      }
    | {
        [k: string]: Template;
      };
}
/**
 * A value of the CRM command (or, inside `each`, of the element) at a JSON Pointer; left out when absent, unless `default` is given.
 */
export interface FromValue {
  from: JsonPointer;
  /**
   * Translates the value (e.g. units, priorities); a value not in the table fails the command with a clear error.
   */
  table?: {
    [k: string]: string | number | boolean;
  };
  /**
   * Used when the value is absent (before `table`).
   */
  default?: string | number | boolean;
  /**
   * Converts the value's type.
   */
  as?: 'string' | 'number' | 'integer';
  case?: 'upper' | 'lower';
  /**
   * Cuts text to this many characters (MES fields are often short).
   */
  maxLength?: number;
  /**
   * Writes a date or date-time value (ISO 8601) in this pattern, in UTC: YYYY MM DD HH mm ss and separators, e.g. YYYYMMDD or DD.MM.YYYY.
   */
  dateFormat?: string;
}
