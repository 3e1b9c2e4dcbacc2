/* Generated from contracts/external/status-model.schema.json by npm run contracts. Do not edit: change the schema. */

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
 * Shape of status-model.json: every external status with its progress rank, and every allowed move. The move list is transitively closed, so a missed intermediate event never makes a later one look forbidden.
 */
export interface StatusModel {
  $schema?: string;
  statuses: {
    [k: string]: {
      /**
       * Progress rank: an allowed move never lowers it.
       */
      rank: number;
      terminal: boolean;
      description: string;
    };
  };
  transitions: {
    from: OrderStatus;
    to: OrderStatus[];
  }[];
}
