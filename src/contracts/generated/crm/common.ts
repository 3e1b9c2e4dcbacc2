/* Generated from contracts/crm/common.schema.json by npm run contracts. Do not edit: change the schema. */

/**
 * Pieces shared by the CRM's messages.
 */
export interface CrmCommon {
  [k: string]: unknown;
}
