import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/**
 * A fresh RabbitMQ vhost for one test, removed by `remove()`: tests never see each other's
 * exchanges, queues or messages.
 */
export function createVhost(prefix = 'ob-test') {
  const name = `${prefix}-${randomBytes(4).toString('hex')}`;
  execFileSync('rabbitmqctl', ['-q', 'add_vhost', name], { stdio: 'ignore' });
  execFileSync('rabbitmqctl', ['-q', 'set_permissions', '-p', name, 'guest', '.*', '.*', '.*'], { stdio: 'ignore' });
  return {
    name,
    url: `amqp://guest:guest@127.0.0.1:5672/${encodeURIComponent(name)}`,
    remove: () => execFileSync('rabbitmqctl', ['-q', 'delete_vhost', name], { stdio: 'ignore' }),
  };
}
