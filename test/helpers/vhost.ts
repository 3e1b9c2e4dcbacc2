import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

// Through the management API when it answers (one short Node process per call), else rabbitmqctl:
// each rabbitmqctl call boots an Erlang VM, about a second of CPU, and the suite makes hundreds.
const managementApi = 'http://127.0.0.1:15672/api';

/** Runs one management API request in a child process (createVhost is synchronous); true on 2xx. */
function management(method: string, path: string, body?: unknown): boolean {
  const script = `fetch(process.argv[1], { method: process.argv[2], headers: { authorization: 'Basic ' + btoa('guest:guest'), 'content-type': 'application/json' }, body: process.argv[3] || undefined, signal: AbortSignal.timeout(5000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1));`;
  try {
    execFileSync(
      process.execPath,
      ['-e', script, `${managementApi}${path}`, method, body ? JSON.stringify(body) : ''],
      {
        stdio: 'ignore',
        timeout: 10_000,
      },
    );
    return true;
  } catch {
    return false;
  }
}

let viaManagement: boolean | undefined;
const useManagement = () => {
  viaManagement ??= management('GET', '/overview');
  return viaManagement;
};

/**
 * A fresh RabbitMQ vhost for one test, removed by `remove()`: tests never see each other's
 * exchanges, queues or messages.
 */
export function createVhost(prefix = 'ob-test') {
  const name = `${prefix}-${randomBytes(4).toString('hex')}`;
  const path = `/vhosts/${encodeURIComponent(name)}`;
  const created =
    useManagement() &&
    management('PUT', path, {}) &&
    management('PUT', `/permissions/${encodeURIComponent(name)}/guest`, { configure: '.*', write: '.*', read: '.*' });
  if (!created) {
    execFileSync('rabbitmqctl', ['-q', 'add_vhost', name], { stdio: 'ignore' });
    execFileSync('rabbitmqctl', ['-q', 'set_permissions', '-p', name, 'guest', '.*', '.*', '.*'], { stdio: 'ignore' });
  }
  return {
    name,
    url: `amqp://guest:guest@127.0.0.1:5672/${encodeURIComponent(name)}`,
    remove: () => {
      if (!(useManagement() && management('DELETE', path)))
        execFileSync('rabbitmqctl', ['-q', 'delete_vhost', name], { stdio: 'ignore' });
    },
  };
}
