/* Generated from config/mes/line-controller/event.schema.json by npm run contracts. Do not edit: change the schema. */

/**
 * A status message of the example line controller: one numbered message per job, carrying one or more status changes, each with a numeric code and an epoch-milliseconds time. It names no command it answers.
 */
export interface LineControllerEvent {
  /**
   * The controller's message number: unique, never reused.
   */
  seq: number;
  job: {
    /**
     * The order id the job was created with, sometimes padded with spaces.
     */
    ref: string;
    line?: string;
  };
  /**
   * @minItems 1
   * @maxItems 20
   */
  changes: {
    code: number;
    atMs: number;
    text?: string;
  }[];
}
