import t from 'tap';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { freePort } from '../../src/cli/free-port.js';
import { emulateStages, parseDockerfile, StageFailed, type StageRun } from '../helpers/dockerfile.js';

// No Docker engine runs here: the Dockerfile's stages run in scratch folders instead (helpers/
// dockerfile.ts), each with exactly what its COPY lines name, so a file a stage needs and does not
// copy fails here as `docker build` would. ORDERBRIDGE_DOCKERFILE checks another Dockerfile.
const root = resolve(import.meta.dirname, '../..');
const dockerfile = process.env.ORDERBRIDGE_DOCKERFILE
  ? resolve(process.env.ORDERBRIDGE_DOCKERFILE)
  : join(root, 'Dockerfile');
const stages = parseDockerfile(readFileSync(dockerfile, 'utf8'));
const oneLine = { diagnostic: false, stack: '', at: null } as const;

t.test('every stage is on one Node image, pinned by full version, a Node that is not end-of-life', async (t) => {
  const images = stages.filter((s) => !stages.some((other) => other.name === s.image)).map((s) => s.image);
  t.ok(images.length >= 1, `${images.length} base images`);
  for (const image of images)
    t.match(image, /^node:\d+\.\d+\.\d+-[\w.-]+(@sha256:[0-9a-f]{64})?$/, `${image}: node, full version`);
  t.equal(new Set(images).size, 1, 'the same Node in every stage');
  const major = Number(/^node:(\d+)/.exec(images[0] ?? '')?.[1]);
  // Even majors become LTS; 20 reached its end of life in April 2026.
  t.ok(major % 2 === 0 && major >= 22, `Node ${major}: a supported LTS line`);
});

t.test(
  "what only a container may do is skipped and said, and a command naming a path outside the stage's folder is refused, not run",
  async (t) => {
    const context = mkdtempSync(join(tmpdir(), 'orderbridge-dockerfile-context-'));
    const scratch = mkdtempSync(join(tmpdir(), 'orderbridge-dockerfile-'));
    t.teardown(() => {
      for (const dir of [context, scratch]) rmSync(dir, { recursive: true, force: true });
    });
    writeFileSync(join(context, 'a.txt'), 'a');
    const options = { context, scratch, env: process.env, timeoutMs: 10_000 };
    const [run] = await emulateStages(
      parseDockerfile(
        'FROM node:22.23.3-bookworm-slim\nWORKDIR /app\nCOPY a.txt ./\nRUN apt-get update && rm -rf /var/lib/apt/lists/* && cp a.txt /app/b.txt && chown -R node /app\n',
      ),
      options,
    );
    t.same(run!.skipped, ['apt-get update', 'rm -rf /var/lib/apt/lists/*', 'chown -R node /app']);
    t.same(run!.ran, ['cp a.txt /app/b.txt']);
    t.equal(readFileSync(join(run!.dir, 'b.txt'), 'utf8'), 'a', '/app is the stage folder');
    const outside = join(tmpdir(), `orderbridge-never-${process.pid}`);
    await t.rejects(
      emulateStages(parseDockerfile(`FROM node:22.23.3-bookworm-slim\nWORKDIR /app\nRUN touch ${outside}\n`), options),
      /outside the stage's WORKDIR/,
    );
    t.notOk(existsSync(outside), 'not run');
    await t.rejects(
      emulateStages(parseDockerfile('FROM node:22.23.3-bookworm-slim\nWORKDIR /app\nCOPY missing ./\n'), options),
      /COPY missing: not found in the build context/,
    );
  },
);

/** A Node to run the stages with, and its better-sqlite3 build when the checkout's is for another. */
interface StageNode {
  execPath: string;
  version: string;
  /** A prebuild tarball of better-sqlite3 for this Node, as prebuild-install names one. */
  prebuild?: string;
}

/**
 * The image's Node (the Dockerfile's pinned version) when it runs this test (scripts/test-node.sh)
 * or when scripts/test-node.sh --prepare has put it and its better-sqlite3 build in the cache, as
 * .ci/run does before npm test; else the Node running this test, named in a comment. .ci/run's
 * second pass leaves this file out when its first ran the stages on the image's Node.
 */
function stageNode(): StageNode {
  const pinned = /^node:(\d+\.\d+\.\d+)/.exec(stages.at(-1)?.image ?? '')?.[1];
  const running = { execPath: process.execPath, version: process.version };
  if (!pinned || process.version === `v${pinned}`) return running;
  const cache = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'orderbridge');
  const execPath = join(cache, `node-v${pinned}-linux-x64/bin/node`);
  if (!existsSync(execPath)) return running;
  const abi = execFileSync(execPath, ['-p', 'process.versions.modules'], { encoding: 'utf8' }).trim();
  const prebuild = join(cache, 'prebuilds', prebuildName(abi));
  return existsSync(prebuild) ? { execPath, version: `v${pinned}`, prebuild } : running;
}

/** prebuild-install's name for a better-sqlite3 build of the checkout's version for a Node ABI. */
function prebuildName(abi: string): string {
  const module = join(root, 'node_modules/better-sqlite3');
  const { version } = JSON.parse(readFileSync(join(module, 'package.json'), 'utf8')) as { version: string };
  return `better-sqlite3-v${version}-node-v${abi}-${process.platform}-${process.arch}.tar.gz`;
}

/** The environment a stage's commands run in: this machine's, without what `npm test` set for this checkout. */
function buildEnv(node: StageNode): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(npm_|INIT_CWD$|TAP)/i.test(name)));
  const nodeDir = dirname(dirname(node.execPath));
  return {
    ...env,
    PATH: `${dirname(node.execPath)}:${process.env.PATH ?? ''}`,
    npm_config_prefer_offline: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    // Native modules build against this Node's headers (the global npmrc may name another Node's).
    ...(existsSync(join(nodeDir, 'include/node/node.h')) ? { npm_config_nodedir: nodeDir } : {}),
  };
}

/**
 * better-sqlite3's install script (prebuild-install) first looks in a local prebuilds folder, named
 * by a .prebuild-installrc it finds above the package: give it a binary already built for the
 * stages' Node (the cache's, or the one this checkout built), so the stages install it as `npm ci`
 * does a downloaded prebuild, instead of compiling SQLite twice more (a minute or two each).
 */
function primePrebuild(scratch: string, node: StageNode): void {
  const prebuilds = join(scratch, 'prebuilds');
  mkdirSync(prebuilds, { recursive: true });
  if (node.prebuild) copyFileSync(node.prebuild, join(prebuilds, basename(node.prebuild)));
  else
    execFileSync('tar', [
      '-czf',
      join(prebuilds, prebuildName(process.versions.modules)),
      '-C',
      join(root, 'node_modules/better-sqlite3'),
      'build/Release/better_sqlite3.node',
    ]);
  writeFileSync(join(scratch, '.prebuild-installrc'), JSON.stringify({ 'local-prebuilds': prebuilds }));
}

t.test(
  'each stage builds from exactly what its COPY lines name (npm ci, the TypeScript build), and the image it makes starts and is healthy',
  async (t) => {
    const scratch = mkdtempSync(join(tmpdir(), 'orderbridge-dockerfile-'));
    t.teardown(() => rmSync(scratch, { recursive: true, force: true }));
    const node = stageNode();
    primePrebuild(scratch, node);
    const env = buildEnv(node);
    const started = Date.now();
    let runs: StageRun[];
    try {
      runs = await emulateStages(stages, { context: root, scratch, env, timeoutMs: 240_000 });
    } catch (error) {
      if (!(error instanceof StageFailed)) throw error;
      t.fail(`${dockerfile}: ${error.message}`, oneLine);
      return;
    }
    for (const run of runs) {
      t.comment(
        `${run.stage.name ?? 'final stage'}: ${(run.ms / 1000).toFixed(1)} s; ran: ${run.ran.join('; ') || 'nothing'}${run.skipped.length ? `; skipped (a container's only): ${run.skipped.join('; ')}` : ''}`,
      );
    }
    const compiled = runs
      .filter((run) => existsSync(join(run.dir, 'node_modules/better-sqlite3/build/Release/obj.target')))
      .map((run) => run.stage.name);
    t.comment(
      `every stage in ${((Date.now() - started) / 1000).toFixed(1)} s on Node ${node.version}; better-sqlite3 ${compiled.length ? `compiled in ${compiled.join(', ')}` : 'from the prebuild'}`,
    );

    const image = runs.at(-1)!;
    const { entrypoint = [], cmd = [], healthcheck, expose } = image.stage;
    t.ok(entrypoint.length && cmd.length && healthcheck, 'ENTRYPOINT, CMD and HEALTHCHECK');
    for (const absent of ['src', 'sim', 'test', 'tsconfig.json'])
      t.notOk(existsSync(join(image.dir, absent)), `the image holds no ${absent}`);
    const program = (words: string[]) => (words[0] === 'node' ? [node.execPath, ...words.slice(1)] : words);
    const runtimeEnv = { ...env, ...image.stage.env };

    // The config and the dialect it ships are whole: check-config, as the ENTRYPOINT runs it.
    const [command, ...args] = program([...entrypoint, 'check-config']);
    const checked = spawnSync(command!, args, { cwd: image.dir, env: runtimeEnv, encoding: 'utf8', timeout: 60_000 });
    t.equal(checked.status, 0, `check-config in the image: ${checked.stderr.trim().split('\n').slice(-3).join(' | ')}`);

    // The CMD (serve) comes up without a broker (live, not ready) and the HEALTHCHECK passes.
    const [httpPort, metricsPort, noBroker] = [await freePort(), await freePort(), await freePort()];
    const [serveCommand, ...serveArgs] = program([...entrypoint, ...cmd]);
    const serve = spawn(serveCommand!, serveArgs, {
      cwd: image.dir,
      env: {
        ...runtimeEnv,
        ORDERBRIDGE_HTTP_HOST: '127.0.0.1',
        ORDERBRIDGE_HTTP_PORT: String(httpPort),
        ORDERBRIDGE_METRICS_PORT: String(metricsPort),
        AMQP_URL: `amqp://guest:guest@127.0.0.1:${noBroker}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    serve.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    serve.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<void>((done) => serve.on('exit', () => done()));
    t.teardown(async () => {
      if (serve.exitCode === null) serve.kill('SIGKILL');
      await exited;
    });
    const probe = healthcheck!.replaceAll(`:${expose[0] ?? 8080}/`, `:${httpPort}/`);
    let healthy = false;
    for (const deadline = Date.now() + 30_000; !healthy && Date.now() < deadline && serve.exitCode === null; ) {
      healthy = spawnSync('sh', ['-c', probe], { cwd: image.dir, env: runtimeEnv, timeout: 10_000 }).status === 0;
      if (!healthy) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    t.ok(
      healthy,
      `serve starts and the HEALTHCHECK passes${healthy ? '' : `: ${output.trim().split('\n').slice(-5).join(' | ')}`}`,
    );
    serve.kill('SIGTERM');
    await exited;
  },
);
