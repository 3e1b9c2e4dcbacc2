/**
 * What a caught value says, for text a person reads (a problem's detail, a CLI line, a dead-letter
 * reason). A log line takes the error itself instead (`{ err: error }`), so that its stack stays.
 */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
