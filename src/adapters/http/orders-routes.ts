import { Hono } from 'hono';
import type { OrderListQuery } from '../../contracts/generated/external/order-list-query.js';
import type { OrderPage } from '../../contracts/generated/external/order-page.js';
import { validatorFor } from '../../contracts/validate.js';
import type { LedgerStore, OrderRecord } from '../../ledger/index.js';
import { noneMatch } from '../mes/cache-status.js';
import { orderResources, toResource } from './order-resources.js';
import type { PartnerEnv } from './partner-auth.js';
import { NotFound, ValidationFailed } from './problems.js';

const validateListQuery = validatorFor<OrderListQuery>('orderListQuery');
const defaultPageSize = 50;

/** Partner routes over the ledger's read model. Every lookup is scoped to the calling partner. */
export function ordersRoutes(ledger: LedgerStore): Hono<PartnerEnv> {
  const routes = new Hono<PartnerEnv>();
  const resources = orderResources(ledger);

  routes.get('/v1/orders/:id', async (c) => {
    const resource = await resources.get(c.req.param('id'));
    if (!resource || resource.partner !== c.get('partner').id) throw new NotFound();
    const headers = { etag: resource.etag, 'cache-control': 'private, no-cache' };
    if (noneMatch(c.req.header('if-none-match'), resource.etag)) return c.body(null, 304, headers);
    return c.body(resource.json, 200, { ...headers, 'content-type': 'application/json' });
  });

  routes.get('/v1/orders', async (c) => {
    const valid = validateListQuery(c.req.query());
    if (!valid.ok) throw new ValidationFailed('query', valid.problems);
    const { status, updated_since: updatedSince, cursor, limit } = valid.value;
    const after = cursor === undefined ? undefined : decodeCursor(cursor);
    const pageSize = limit === undefined ? defaultPageSize : Number(limit);
    const orders = await ledger.listOrders({
      partner: c.get('partner').id,
      ...(status ? { status } : {}),
      ...(updatedSince ? { updatedSince: Date.parse(updatedSince) } : {}),
      ...(after ? { after } : {}),
      limit: pageSize + 1,
    });
    const page = orders.slice(0, pageSize);
    const last = page.at(-1);
    const body: OrderPage = { data: page.map(toResource), nextCursor: orders.length > pageSize && last ? encodeCursor(last) : null };
    return c.json(body);
  });

  return routes;
}

function encodeCursor(order: OrderRecord): string {
  return Buffer.from(JSON.stringify([order.updatedAt, order.orderId])).toString('base64url');
}

function decodeCursor(cursor: string): { updatedAt: number; orderId: string } {
  try {
    const [updatedAt, orderId] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof updatedAt === 'number' && typeof orderId === 'string') return { updatedAt, orderId };
  } catch {
    // fall through to the validation problem
  }
  throw new ValidationFailed('query', [{ pointer: '/cursor', anchor: 'value', message: 'is not a cursor this API issued', fix: 'pass the nextCursor of the previous page unchanged, or leave cursor out to start over' }]);
}
