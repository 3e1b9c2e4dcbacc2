import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

// Through the management API when it answers (a request from this process: a few milliseconds),
// else rabbitmqctl: each rabbitmqctl call boots an Erlang VM, about a second of CPU, and the suite
// makes hundreds.
const managementApi = 'http://127.0.0.1:15672/api';
const run = promisify(execFile);

/** One management API request; true on 2xx. */
async function management(method: string, path: string, body?: unknown): Promise<boolean> {
  try {
    const response = await fetch(`${managementApi}${path}`, {
      method,
      headers: { authorization: `Basic ${btoa('guest:guest')}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(5000),
    });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

let viaManagement: Promise<boolean> | undefined;
const useManagement = () => {
  viaManagement ??= management('GET', '/overview');
  return viaManagement;
};

/** One rabbitmqctl command against the local node, quiet (-q): its output for a test to read. */
export const rabbitmqctl = (...args: string[]) => run('rabbitmqctl', ['-q', ...args]);

export interface Vhost {
  name: string;
  url: string;
  remove: () => Promise<void>;
}

/**
 * A fresh RabbitMQ vhost for one test, removed by `remove()`: tests never see each other's
 * exchanges, queues or messages.
 */
export async function createVhost(prefix = 'ob-test'): Promise<Vhost> {
  const name = `${prefix}-${randomBytes(4).toString('hex')}`;
  const path = `/vhosts/${encodeURIComponent(name)}`;
  const created =
    (await useManagement()) &&
    (await management('PUT', path, {})) &&
    (await management('PUT', `/permissions/${encodeURIComponent(name)}/guest`, {
      configure: '.*',
      write: '.*',
      read: '.*',
    }));
  if (!created) {
    await rabbitmqctl('add_vhost', name);
    await rabbitmqctl('set_permissions', '-p', name, 'guest', '.*', '.*', '.*');
  }
  return {
    name,
    url: `amqp://guest:guest@127.0.0.1:5672/${encodeURIComponent(name)}`,
    remove: async () => {
      if (!((await useManagement()) && (await management('DELETE', path)))) await rabbitmqctl('delete_vhost', name);
    },
  };
}

/**
 * Publishes through the management API: a message amqplib could not send (its properties encode
 * in 64 KiB; RabbitMQ takes larger ones). Throws unless it was routed.
 */
export async function publishViaManagement(
  vhost: string,
  exchange: string,
  routingKey: string,
  body: string,
  properties: Record<string, unknown>,
): Promise<void> {
  const response = await fetch(
    `${managementApi}/exchanges/${encodeURIComponent(vhost)}/${encodeURIComponent(exchange)}/publish`,
    {
      method: 'POST',
      headers: { authorization: `Basic ${btoa('guest:guest')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ routing_key: routingKey, payload: body, payload_encoding: 'string', properties }),
      signal: AbortSignal.timeout(10_000),
    },
  );
  const answer = (await response.json().catch(() => ({}))) as { routed?: boolean };
  if (!response.ok || !answer.routed) throw new Error(`not routed by the management API (${response.status})`);
}
