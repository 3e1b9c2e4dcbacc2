import { LRUCache } from 'lru-cache';
import type { Order } from '../../contracts/generated/external/order.js';
import type { LedgerStore } from '../../ledger/index.js';
import { toResource } from '../../app/order-resource.js';
import { strongEtag } from './cache-status.js';

/** One order resource as GET /v1/orders/{id} sends it: serialized once, re-sent until the order changes. */
export interface OrderResource {
  partner: string;
  /** The JSON, already encoded: each answer writes these bytes as they are. */
  body: Buffer;
  etag: string;
}

export interface OrderResources {
  /** The order's resource with its history, if it is in memory: it is until the order changes. */
  cached(orderId: string): OrderResource | undefined;
  /** The order's resource built from the ledger, kept in memory for the next reads. */
  load(orderId: string): Promise<OrderResource | undefined>;
  /** Stops following the ledger's changes (the gateway stops). */
  close(): void;
}

export const historyLimit = 1000;
/** Bounds the memory the resources take: at ~1 KB each, the 32,000 most-read orders. */
const maxBytes = 32 * 1024 * 1024;

/**
 * The read model of GET /v1/orders/{id}, kept in memory. The ledger reports every order it changes,
 * this gateway's writes and other gateways' alike, so an entry is dropped by the write that makes it
 * wrong, never by a TTL.
 */
export function orderResources(ledger: LedgerStore): OrderResources {
  const cache = new LRUCache<string, OrderResource>({
    maxSize: maxBytes,
    sizeCalculation: (resource) => resource.body.length + 128,
  });
  // Bumped by every change: a resource read from the ledger before a change it raced is not kept.
  let changes = 0;
  const unsubscribe = ledger.onOrderChanged(
    (orderId) => {
      changes += 1;
      cache.delete(orderId);
    },
    () => {
      changes += 1;
      cache.clear();
    },
  );

  const load = async (orderId: string): Promise<OrderResource | undefined> => {
    const before = changes;
    const order = await ledger.getOrder(orderId);
    if (!order) return undefined;
    const history = await ledger.statusHistory(order.orderId, historyLimit);
    const body = Buffer.from(JSON.stringify({ ...toResource(order), history } satisfies Order));
    const resource = { partner: order.partner, body, etag: strongEtag(body) };
    // While other gateways' changes go unheard (the cache was cleared then), every read goes to the ledger.
    if (changes === before && ledger.changesFollowed()) cache.set(orderId, resource);
    return resource;
  };

  return {
    cached: (orderId) => cache.get(orderId),
    load,
    close: () => {
      unsubscribe();
      cache.clear();
    },
  };
}
