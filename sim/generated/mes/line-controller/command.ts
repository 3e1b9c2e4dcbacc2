/* Generated from config/mes/line-controller/command.schema.json by npm run contracts. Do not edit: change the schema. */

/**
 * A job command of the example line controller: flat, upper-case codes, amounts as text, epoch-seconds times.
 */
export interface LineControllerCommand {
  commandId: string;
  op: 'NEW' | 'STOP' | 'AMEND';
  jobRef: string;
  issuedAt: number;
  customer?: string;
  rush?: boolean;
  /**
   * YYYYMMDD.
   */
  due?: string;
  /**
   * What the line prints on the job card: customer/order.
   */
  label?: string;
  stopReason?: string;
  /**
   * @minItems 1
   * @maxItems 500
   */
  items?: {
    no: number;
    article: string;
    amount: string;
    unit: 'ST' | 'MTR' | 'KGM' | 'SET';
  }[];
}
