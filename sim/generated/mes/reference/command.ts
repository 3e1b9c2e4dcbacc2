/* Generated from config/mes/reference/command.schema.json by npm run contracts. Do not edit: change the schema. */

/**
 * A command in the reference MES's wire format (header + body, as MES order interfaces commonly are). Orderbridge translates CRM commands into it.
 */
export interface MesCommand {
  header: {
    /**
     * Deterministic: derived from the CRM message id, so a re-forward carries the same id and the MES can de-duplicate.
     */
    messageId: string;
    messageType: 'CREATE_ORDER' | 'CANCEL_ORDER' | 'CHANGE_ORDER';
    sender: 'ORDERBRIDGE';
    createdAt: string;
  };
  body: {
    /**
     * The CRM order id; the MES echoes it in every event.
     */
    externalRef: string;
    customerNo?: string;
    customerName?: string;
    dueDate?: string;
    /**
     * 1 is the most urgent; rush orders are 2, normal ones 5.
     */
    priority?: number;
    remark?: string;
    cancelReason?: string;
    /**
     * @minItems 1
     * @maxItems 500
     */
    positions?: {
      pos: number;
      material: string;
      text?: string;
      qty: number;
      uom: 'PCE' | 'M' | 'KG' | 'SET';
    }[];
  };
}
