/* Generated from contracts/external/attention.schema.json by npm run contracts. Do not edit: change the schema. */

/**
 * Why an order needs a human, orthogonal to its status: lost (the MES never acknowledged the command after every redelivery) or stuck (the order stayed in its status past that status's deadline).
 */
export interface Attention {
  kind: 'lost' | 'stuck';
  since: string;
  reason?: string;
}
