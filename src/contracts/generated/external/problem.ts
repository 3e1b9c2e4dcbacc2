/* Generated from contracts/external/problem.schema.json by npm run contracts. Do not edit: change the schema. */

/**
 * An error answer, RFC 9457 problem details (application/problem+json).
 */
export interface Problem {
  /**
   * A URI naming the kind of problem.
   */
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  /**
   * Quote it when asking about a 500.
   */
  traceId?: string;
  /**
   * For validation problems: every bad field, by JSON Pointer into the request (/body/..., /query/...).
   */
  errors?: {
    pointer: string;
    detail: string;
    fix?: string;
  }[];
}
