import { Hono } from 'hono';
import type { OpsServices } from '../../app/ops-services.js';
import { groupByReason } from '../../app/replay-dead-letters.js';
import { contentTypeOf, reportFormats, type ReportFormat } from '../../app/report/report-page.js';
import { pickLang } from '../../app/report/texts.js';
import { windowOf } from '../../app/report/window.js';
import type { PartnerEnv } from './partner-guard.js';
import { HttpProblem, NotFound, ValidationFailed } from './problems.js';
import { singleValuedQuery } from './single-query.js';

/** What the ops routes serve: the operator's services, the same ones the CLI runs (src/app/ops-services.ts). */
export type OpsService = Pick<OpsServices, 'reportPage' | 'timeline' | 'deadLetters' | 'replay'>;

/** A report rendered inside the gateway asks the MES about this many orders at most. */
const maxLookupsPerPage = 50;

/** A page is written this much at a time, the event loop getting a turn between two writes. */
const chunkBytes = 64 * 1024;

/** /ops (the report page), /ops/report (json, csv or html), /ops/orders/{id}/timeline: behind operator keys. */
export function opsRoutes(ops: OpsService): Hono<PartnerEnv> {
  const routes = new Hono<PartnerEnv>();
  // A report reads the whole window of the ledger inside the gateway: one at a time.
  let rendering = false;

  const answer = async (
    query: Record<string, string>,
    acceptLanguage: string | undefined,
    defaultFormat: ReportFormat,
  ) => {
    const window = windowOf(query, Date.now());
    if ('error' in window) throw badQuery(window.field, window.error);
    const format = (query.format ?? defaultFormat) as ReportFormat;
    if (!reportFormats.includes(format)) throw badQuery('format', `format must be one of ${reportFormats.join(', ')}`);
    const lang = pickLang(query.lang ?? acceptLanguage);
    if (rendering)
      throw new HttpProblem(
        429,
        'report-in-progress',
        'A report is being rendered',
        'The gateway renders one report at a time; retry in a few seconds, or run orderbridge report.',
        {},
        { 'retry-after': '5' },
      );
    rendering = true;
    const page = await ops.reportPage(window, lang, format, { maxLookups: maxLookupsPerPage }).finally(() => {
      rendering = false;
    });
    return new Response(inChunks(page), {
      headers: {
        'content-type': contentTypeOf[format],
        'content-length': String(page.byteLength),
        ...(format === 'html' ? { 'content-language': lang } : {}),
      },
    });
  };

  routes.get('/ops', (c) => answer(singleValuedQuery(c), c.req.header('accept-language'), 'html'));
  routes.get('/ops/report', (c) => answer(singleValuedQuery(c), c.req.header('accept-language'), 'json'));
  routes.get('/ops/orders/:id/timeline', async (c) => {
    const orderId = c.req.param('id');
    const entries = await ops.timeline(orderId);
    if (!entries.length) throw new NotFound();
    return c.json({ orderId, entries: entries.map((e) => ({ ...e, at: new Date(e.at).toISOString() })) });
  });
  routes.get('/ops/dead-letters', async (c) => c.json({ groups: groupByReason(await ops.deadLetters()) }));
  routes.post('/ops/dead-letters/:id/replay', async (c) => {
    const id = c.req.param('id');
    const result = await ops.replay((letter) => letter.id === id);
    const [refusal] = result.refused;
    if (refusal)
      throw new HttpProblem(
        409,
        'replay-refused',
        'Not replayed',
        `Dead letter ${refusal.letter.id}: ${refusal.problem}.`,
      );
    if (!result.replayed.length) throw new NotFound('dead letter');
    return c.json(result);
  });
  return routes;
}

/** The page a chunk at a time, each after a turn of the event loop: writing a big page never holds it. */
function inChunks(page: Uint8Array): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        await new Promise((resolve) => setImmediate(resolve));
        controller.enqueue(page.subarray(offset, offset + chunkBytes));
        offset += chunkBytes;
        if (offset >= page.byteLength) controller.close();
      },
    },
    { highWaterMark: 0 },
  );
}

const queryFix = 'since=24h, or from=2026-11-25T00:00:00Z&to=2026-11-26T00:00:00Z; format=json|csv|html; lang=en|ru';

function badQuery(parameter: string, message: string): ValidationFailed {
  return new ValidationFailed('query', [{ pointer: `/${parameter}`, message, fix: queryFix }]);
}
