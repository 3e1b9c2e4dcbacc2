import type { Context } from 'hono';
import { parseJsonBounded, readsAsIs, type JsonLimits } from '../../contracts/parse-json.js';
import { PayloadTooLarge, UnsupportedMediaType, ValidationFailed } from './problems.js';

/**
 * Whether a Content-Type announces JSON this API reads: the media type application/json (in any
 * case) with no parameter but `charset=utf-8`. Any other parameter is refused rather than ignored:
 * application/json defines none, and a client that sends one expects it to mean something.
 */
export function jsonMediaTypeProblem(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return 'no Content-Type was sent';
  const [mediaType = '', ...parameters] = contentType.split(';');
  if (mediaType.trim().toLowerCase() !== 'application/json')
    return `Content-Type ${JSON.stringify(contentType)} is not application/json`;
  for (const parameter of parameters) {
    const [name = '', value = ''] = parameter.split('=').map((part) => part.trim());
    if (name.toLowerCase() !== 'charset' || value.replace(/^"(.*)"$/, '$1').toLowerCase() !== 'utf-8') {
      return `the parameter ${JSON.stringify(parameter.trim())} is not accepted (only charset=utf-8)`;
    }
  }
  return undefined;
}

/**
 * The request body as JSON, read as bytes so that invalid UTF-8 is refused rather than turned into
 * U+FFFD, and bounded in size and nesting before JSON.parse (see parseJsonBounded).
 */
export async function readJsonBody(c: Context, limits: JsonLimits): Promise<unknown> {
  const mediaTypeProblem = jsonMediaTypeProblem(c.req.header('content-type'));
  if (mediaTypeProblem) throw new UnsupportedMediaType(mediaTypeProblem);
  const encoding = c.req.header('content-encoding');
  if (encoding !== undefined && !readsAsIs(encoding))
    throw new UnsupportedMediaType(
      `Content-Encoding ${JSON.stringify(encoding.slice(0, 64))} is not read here: send the JSON uncompressed`,
    );
  const parsed = parseJsonBounded(new Uint8Array(await c.req.arrayBuffer()), limits);
  if (parsed.ok) return parsed.value;
  if (parsed.reason === 'too_large') throw new PayloadTooLarge(limits.maxBytes);
  throw new ValidationFailed('body', [{ pointer: '', message: parsed.error, fix: parsed.fix }]);
}
