// A Dockerfile's stages run without Docker: each stage gets a scratch root folder that holds exactly
// what its COPY lines name (from the build context, minus .dockerignore, or from an earlier stage),
// and its RUN lines run there, so a file a stage needs and does not copy fails as `docker build`
// would. What only a container could do (apt-get, chown) is skipped and listed. Used by
// test/unit/dockerfile.test.ts.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';

export interface CopyStep {
  kind: 'copy';
  from?: string;
  sources: string[];
  dest: string;
  line: number;
}
export interface RunStep {
  kind: 'run';
  command: string;
  line: number;
}
export interface Stage {
  index: number;
  name?: string;
  image: string;
  workdir: string;
  env: Record<string, string>;
  steps: (CopyStep | RunStep)[];
  entrypoint?: string[];
  cmd?: string[];
  healthcheck?: string;
  expose: number[];
}

/** What a RUN line does that only a container can: skipped here, and said so. */
const containerOnly =
  /^(?:apt-get|apk|chown|chgrp|useradd|groupadd|adduser|addgroup)(?=\s|$)|^rm -rf \/var\/lib\/apt\/lists\/\*$/;

/** The stages of a Dockerfile, with ARG defaults substituted in FROM and continuation lines joined. */
export function parseDockerfile(text: string): Stage[] {
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    let line = lines[i]!;
    while (/\\\s*$/.test(line) && i + 1 < lines.length) line = line.replace(/\\\s*$/, ' ') + lines[++i]!.trim();
    line = line.trim();
    if (!line || line.startsWith('#')) continue;
    const [, keyword = '', rest = ''] = /^(\w+)\s*(.*)$/s.exec(line) ?? [];
    const stage = stages.at(-1);
    const substitute = (value: string) =>
      value.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => args[(a ?? b)!] ?? '');
    switch (keyword.toUpperCase()) {
      case 'ARG': {
        const [name, value = ''] = rest.split('=');
        if (!stage) args[name!.trim()] = value.trim();
        break;
      }
      case 'FROM': {
        const words = rest.split(/\s+/).filter((w) => !w.startsWith('--'));
        const image = substitute(words[0]!);
        const base = stages.find((s) => s.name === image);
        stages.push({
          index: stages.length,
          name: words[2],
          image,
          workdir: base?.workdir ?? '/',
          env: { ...base?.env },
          steps: [],
          expose: [],
        });
        break;
      }
      case 'WORKDIR':
        stage!.workdir = posix.resolve(stage!.workdir, rest);
        break;
      case 'ENV':
        for (const [, name, value] of rest.matchAll(/(\w+)=("[^"]*"|\S+)/g))
          stage!.env[name!] = value!.replace(/^"|"$/g, '');
        break;
      case 'COPY': {
        const words = rest.startsWith('[') ? (JSON.parse(rest) as string[]) : rest.split(/\s+/);
        const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
        const paths = words.filter((w) => !w.startsWith('--'));
        stage!.steps.push({
          kind: 'copy',
          ...(from ? { from } : {}),
          sources: paths.slice(0, -1),
          dest: paths.at(-1)!,
          line: start,
        });
        break;
      }
      case 'RUN':
        stage!.steps.push({
          kind: 'run',
          command: rest.startsWith('[') ? (JSON.parse(rest) as string[]).join(' ') : rest,
          line: start,
        });
        break;
      case 'ENTRYPOINT':
        stage!.entrypoint = JSON.parse(rest) as string[];
        break;
      case 'CMD':
        stage!.cmd = JSON.parse(rest) as string[];
        break;
      case 'HEALTHCHECK':
        stage!.healthcheck = rest.replace(/^(--\S+\s+)*CMD\s+/, '');
        break;
      case 'EXPOSE':
        stage!.expose.push(...rest.split(/\s+/).map((p) => Number.parseInt(p, 10)));
        break;
      default:
        // USER, VOLUME, LABEL, SHELL, STOPSIGNAL: nothing to emulate.
        break;
    }
  }
  return stages;
}

/** .dockerignore as a predicate on context-relative paths (a pattern also excludes what is under a match). */
export function dockerignore(context: string): (path: string) => boolean {
  const file = join(context, '.dockerignore');
  const rules = (existsSync(file) ? readFileSync(file, 'utf8').split('\n') : [])
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((pattern) => {
      const negate = pattern.startsWith('!');
      const body = posix.normalize((negate ? pattern.slice(1) : pattern).replace(/^\/+/, ''));
      // ** (with its slash) matches any folders; within a segment * and ? as in a shell.
      const regex = body
        .split(/\*\*\/?/)
        .map((part) =>
          part
            .replace(/[.+^${}()|[\]\\]/g, '\\$&')
            .replace(/\*/g, '[^/]*')
            .replace(/\?/g, '[^/]'),
        )
        .join('(?:.*/)?');
      return { negate, regex: new RegExp(`^${regex}(?:/.*)?$`) };
    });
  return (path) => rules.reduce((ignored, rule) => (rule.regex.test(path) ? !rule.negate : ignored), false);
}

export interface StageRun {
  stage: Stage;
  /** The stage's file system root; its WORKDIR is root + workdir. */
  root: string;
  /** Where the stage's WORKDIR is. */
  dir: string;
  ran: string[];
  skipped: string[];
  ms: number;
}

export class StageFailed extends Error {}

export interface EmulateOptions {
  context: string;
  scratch: string;
  /** Environment of every RUN command (the machine's PATH, npm's settings), before the stage's ENV. */
  env: NodeJS.ProcessEnv;
  /** Per RUN command. */
  timeoutMs: number;
}

/**
 * Runs every stage, each as soon as the stages it copies from are done (independent ones at once, as
 * BuildKit does). Rejects with StageFailed naming the stage, the line and the output's tail.
 */
export async function emulateStages(stages: Stage[], options: EmulateOptions): Promise<StageRun[]> {
  const runs = new Map<string, Promise<StageRun>>();
  const ignored = dockerignore(options.context);
  const byName = (name: string) => stages.find((s) => s.name === name) ?? stages[Number(name)];
  const run = (stage: Stage): Promise<StageRun> => {
    const key = String(stage.index);
    if (!runs.has(key)) runs.set(key, runStage(stage));
    return runs.get(key)!;
  };
  async function runStage(stage: Stage): Promise<StageRun> {
    const label = stage.name ?? `stage ${stage.index}`;
    const dependencies = stage.steps.flatMap((s) => (s.kind === 'copy' && s.from ? [byName(s.from)] : []));
    const base = byName(stage.image);
    const done = await Promise.all(
      [...dependencies, ...(base ? [base] : [])].map((s) => {
        if (!s) throw new StageFailed(`${label}: COPY --from names no stage`);
        return run(s);
      }),
    );
    const started = Date.now();
    const root = join(options.scratch, label.replace(/\W/g, '-'));
    mkdirSync(root, { recursive: true });
    if (base) cpSync(done.at(-1)!.root, root, { recursive: true, verbatimSymlinks: true });
    const inRoot = (path: string) => join(root, path);
    const dir = inRoot(stage.workdir);
    mkdirSync(dir, { recursive: true });
    const ran: string[] = [];
    const skipped: string[] = [];
    for (const step of stage.steps) {
      if (step.kind === 'copy') {
        const sourceRoot = step.from ? done.find((d) => d.stage === byName(step.from!))!.root : options.context;
        const into = step.dest.endsWith('/') || step.sources.length > 1;
        const target = inRoot(posix.resolve(stage.workdir, step.dest));
        for (const source of step.sources) {
          const absolute = step.from
            ? join(sourceRoot, posix.resolve(stage.workdir, source))
            : join(sourceRoot, source);
          if (!existsSync(absolute))
            throw new StageFailed(
              `${label}, line ${step.line}: COPY ${source}: not found in ${step.from ? `stage ${step.from}` : 'the build context'}`,
            );
          const destination = into && !statSync(absolute).isDirectory() ? join(target, posix.basename(source)) : target;
          mkdirSync(dirname(destination), { recursive: true });
          // From an earlier stage (scratch to scratch): hard links, as quick as a layer; never from the context, whose files a RUN may write.
          if (step.from && !existsSync(destination) && spawnSync('cp', ['-al', absolute, destination]).status === 0)
            continue;
          cpSync(absolute, destination, {
            recursive: true,
            verbatimSymlinks: true,
            filter: (path) =>
              step.from !== undefined ||
              !ignored(relative(options.context, path)) ||
              relative(options.context, path) === '',
          });
        }
        continue;
      }
      const parts = step.command.split(/\s+&&\s+/).map((part) => part.trim());
      const kept = parts.filter((part) => !containerOnly.test(part));
      skipped.push(...parts.filter((part) => containerOnly.test(part)));
      if (!kept.length) continue;
      // Never outside the scratch folder: a command naming another absolute path is not run on this machine.
      const outside = kept
        .join(' ')
        .split(/\s+/)
        .find(
          (word) =>
            /^["']?\//.test(word) &&
            !(
              stage.workdir !== '/' &&
              new RegExp(`^["']?${stage.workdir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:/|["']?$)`).test(word)
            ),
        );
      if (outside !== undefined || /[;|`]|\$\(|>/.test(kept.join(' '))) {
        throw new StageFailed(
          `${label}, line ${step.line}: RUN ${kept.join(' && ')}: not run here (${outside === undefined ? 'only simple commands joined by && are' : `${outside} is outside the stage's WORKDIR`}); list it as a container's only in test/helpers/dockerfile.ts if it is`,
        );
      }
      // The stage's own absolute paths (its WORKDIR) are its folders here; no other absolute path may be written.
      const workdir = stage.workdir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const command =
        stage.workdir === '/'
          ? kept.join(' && ')
          : kept.join(' && ').replace(new RegExp(`(?<=^|\\s)${workdir}(?=/|\\s|$)`, 'g'), dir);
      await shell(
        command,
        dir,
        { ...options.env, ...stage.env },
        options.timeoutMs,
        `${label}, line ${step.line}: RUN ${kept.join(' && ')}`,
      );
      ran.push(kept.join(' && '));
    }
    return { stage, root, dir, ran, skipped, ms: Date.now() - started };
  }
  return Promise.all(stages.map(run));
}

function shell(command: string, cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-6000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else
        reject(
          new StageFailed(
            `${what} failed (${signal ? `killed after ${timeoutMs} ms` : `exit ${code}`}):\n${output.trim().split('\n').slice(-40).join('\n')}`,
          ),
        );
    });
  });
}
