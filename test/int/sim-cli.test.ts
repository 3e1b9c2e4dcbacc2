import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect } from '../../src/adapters/rabbitmq/amqp.js';
import { loadConfig } from '../../src/config/index.js';
import { declareTopology } from '../../src/adapters/rabbitmq/topology.js';
import type { CliIo } from '../../src/cli/io.js';
import type { MesCommand } from '../../sim/generated/mes/reference/command.js';
import { createVhost } from '../helpers/vhost.js';
import { runSim, type RunSimHooks } from '../../sim/cli.js';
import type { CrmReport } from '../../sim/crm/index.js';
import { waitFor } from '../helpers/wait-for.js';

const configDir = join(resolve(import.meta.dirname, '../..'), 'config');

function capture(cwd = process.cwd()) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (line) => out.push(line), err: (line) => err.push(line), env: {}, cwd };
  return { io, out, err, stdout: () => out.join('\n'), stderr: () => err.join('\n') };
}

async function run(argv: string[], hooks: RunSimHooks = { stopRequested: new Promise(() => {}) }) {
  const captured = capture();
  const code = await runSim(argv, captured.io, hooks);
  return { code, stdout: captured.stdout(), stderr: captured.stderr() };
}

t.test('help and bad flags', async (t) => {
  t.match(await run([]), { code: 2, stdout: /Usage: orderbridge sim <mes\|crm>/ });
  t.match(await run(['--help']), { code: 0, stdout: /orderbridge sim mes --help/ });
  t.match(await run(['erp']), { code: 2, stderr: /Unknown simulator "erp"/ });
  const mesHelp = await run(['mes', '--help']);
  t.equal(mesHelp.code, 0);
  for (const flag of [
    '--drop-share',
    '--stall-share',
    '--reject-share',
    '--error-share',
    '--duplicate-share',
    '--reorder-window',
    '--crash-after',
    '--api-latency-ms',
    '--step-ms',
    '--seed',
    '--port',
    '--wait-ms',
  ])
    t.match(mesHelp.stdout, flag);
  const crmHelp = await run(['crm', '--help']);
  t.equal(crmHelp.code, 0);
  for (const flag of [
    '--orders',
    '--rate',
    '--run-id',
    '--partner',
    '--cancel-share',
    '--update-share',
    '--deliver-after-ms',
    '--timeout-ms',
    '--no-settle',
    '--report',
  ])
    t.match(crmHelp.stdout, flag);

  t.match(await run(['mes', '--drop-share', '1.5']), {
    code: 2,
    stderr: /--drop-share must be a share between 0 and 1 \(e\.g\. 0\.05 for 5%\), got "1\.5"/,
  });
  t.match(await run(['mes', '--drop-share', '0.6', '--stall-share', '0.6']), { code: 2, stderr: /add up to 1\.2/ });
  t.match(await run(['mes', '--step-ms', 'fast']), { code: 2, stderr: /--step-ms must be a number, got "fast"/ });
  t.match(await run(['mes', '--explode']), {
    code: 2,
    stderr: /^orderbridge sim mes: unknown option --explode \(orderbridge sim mes --help shows the usage\)$/,
  });
  t.match(await run(['crm', '--orders', '0']), { code: 2, stderr: /--orders must be between 1 and 999999, got 0/ });
  t.match(await run(['crm', '--run-id', 'a b']), { code: 2, stderr: /--run-id must be/ });
  t.match(await run(['crm', '--settle', '--no-settle']), { code: 2, stderr: /contradict/ });
});

t.test('an unreachable RabbitMQ is one clear line and exit code 3, without the password', async (t) => {
  for (const sim of ['mes', 'crm']) {
    const result = await run([sim, '--amqp-url', 'amqp://guest:s3cret@127.0.0.1:1']);
    t.equal(result.code, 3, sim);
    t.equal(
      result.stderr,
      'cannot reach RabbitMQ at amqp://guest@127.0.0.1:1: start it with `rabbitmq-server -detached`',
    );
  }
});

t.test('a missing queue is waited for, then a clear failure', async (t) => {
  const vhost = await createVhost('ob-sim-cli');
  t.teardown(() => vhost.remove());
  const started = Date.now();
  const result = await run(['mes', '--amqp-url', vhost.url, '--wait-ms', '700', '--port', '0']);
  t.equal(result.code, 1);
  t.ok(Date.now() - started >= 650, 'it waited --wait-ms');
  t.equal(
    result.stderr.split('\n').filter((line) => line.startsWith('waiting for queue')).length,
    1,
    'one waiting line',
  );
  t.match(result.stderr, 'waiting for queue mes.order-commands (is the gateway running?)');
  t.match(result.stderr, /queue mes\.order-commands still does not exist after 700 ms: start the gateway/);
  t.match(await run(['crm', '--amqp-url', vhost.url, '--wait-ms', '0']), {
    code: 1,
    stderr: /queue crm\.order-events still does not exist/,
  });
});

t.test(
  'sim mes runs until SIGTERM, crashes through its hook after --crash-after, and sim crm writes its report',
  async (t) => {
    const vhost = await createVhost('ob-sim-cli');
    const config = loadConfig({ dir: configDir, env: { AMQP_URL: vhost.url } });
    const connection = await connect(vhost.url);
    const reportDir = mkdtempSync(join(tmpdir(), 'ob-sim-cli-'));
    t.teardown(async () => {
      await connection.close();
      await vhost.remove();
      rmSync(reportDir, { recursive: true, force: true });
    });
    await declareTopology(await connection.createChannel(), config.gateway.amqp);

    // The default stop is SIGTERM: emitting it reaches the simulator's handler without signalling the test runner.
    const mes = capture();
    let crashes = 0;
    const mesExit = runSim(
      ['mes', '--port', '0', '--step-ms', '5', '--crash-after', '2'],
      { ...mes.io, env: { AMQP_URL: vhost.url } },
      { crash: () => (crashes += 1) },
    );
    await waitFor(
      () => mes.stderr().includes('MES simulator: consuming mes.order-commands'),
      10_000,
      'the MES to start',
    );
    const channel = await connection.createConfirmChannel();
    for (const [messageId, externalRef] of [
      ['c-1', 'ORD-CLI-1'],
      ['c-2', 'ORD-CLI-2'],
      ['c-3', 'ORD-CLI-3'],
    ]) {
      const command: MesCommand = {
        header: {
          messageId: messageId!,
          messageType: 'CREATE_ORDER',
          sender: 'ORDERBRIDGE',
          createdAt: new Date().toISOString(),
        },
        body: { externalRef: externalRef! },
      };
      channel.publish(config.gateway.amqp.exchanges.mesCommands, 'CREATE_ORDER', Buffer.from(JSON.stringify(command)), {
        persistent: true,
      });
    }
    await channel.waitForConfirms();
    await waitFor(() => crashes === 1, 10_000, 'the crash hook');
    t.match(mes.stderr(), '--crash-after 2 reached: crashing');
    t.ok(process.listenerCount('SIGTERM') > 0, 'sim mes listens for SIGTERM');
    process.emit('SIGTERM');
    t.equal(await mesExit, 0, 'SIGTERM stops it with exit code 0');
    t.equal(crashes, 1, 'the crash hook ran once');
    t.match(mes.stdout(), /MES simulator: \d commands \(0 duplicate, 0 invalid, 0 dropped\)/);
    // The crashed simulator's unacked command returns to the quorum queue through its log: the
    // count catches up a moment after the connection closed, and must then stay at one.
    const admin = await connection.createChannel();
    const waiting = async () => (await admin.checkQueue(config.gateway.amqp.queues.mesCommands)).messageCount;
    const deadline = Date.now() + 5000;
    while ((await waiting()) === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    t.equal(await waiting(), 1, 'exactly two commands were acked before the crash; the third waits for the next MES');

    const crm = capture(reportDir);
    const code = await runSim(
      ['crm', '--orders', '3', '--rate', '1000', '--run-id', 'CLI', '--no-settle', '--report', 'report.json'],
      { ...crm.io, env: { AMQP_URL: vhost.url } },
      { isTTY: false },
    );
    t.equal(code, 0);
    t.match(
      crm.stdout(),
      /CRM run CLI: everything published \(--no-settle\)\nsent 3\/3 · accepted 0 · rejected 0 · unheard 3 · lost 0 · stuck 0/,
    );
    const report = JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8')) as CrmReport;
    t.match(report, { runId: 'CLI', sent: 3, finishedBy: 'published', timedOut: false });
    t.same(Object.keys(report.orders), ['ORD-CLI-000001', 'ORD-CLI-000002', 'ORD-CLI-000003']);
  },
);
