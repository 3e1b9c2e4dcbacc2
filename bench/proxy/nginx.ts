// Part 2's second comparison: the Debian nginx with proxy_cache (TTL 5 s) in front of the MES, run
// from a private prefix and config (never the system service), stopped by its master's PID.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { toolPath } from '../../test/helpers/tools.js';

export interface Nginx {
  pid: number;
  port: number;
  /** The master and its workers. */
  pids(): number[];
  /** Fast shutdown (SIGTERM to the master, which ends its workers), then SIGKILL by PID. */
  stop(): Promise<void>;
  /** The same, synchronously, for exit handlers. */
  stopNow(): void;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * proxy_cache_lock makes nginx collapse concurrent misses of one key into one MES call, as the
 * gateway does; without it nginx would be a strawman. Answers are cached by their full URI.
 */
function config(dir: string, port: number, mesPort: number, ttlSeconds: number): string {
  const user = process.getuid?.() === 0 ? 'user root root;' : '';
  return `${user}
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  proxy_cache_path ${dir}/cache levels=1:2 keys_zone=mes:32m max_size=512m inactive=10m use_temp_path=off;
  upstream mes {
    server 127.0.0.1:${mesPort};
    keepalive 256;
  }
  server {
    listen 127.0.0.1:${port} backlog=4096;
    keepalive_requests 1000000;
    location / {
      proxy_pass http://mes;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_read_timeout 10s;
      proxy_cache mes;
      proxy_cache_key $request_uri;
      proxy_cache_valid 200 404 ${ttlSeconds}s;
      proxy_cache_lock on;
      proxy_cache_lock_timeout 10s;
      proxy_cache_lock_age 10s;
      add_header Cache-Status "nginx; $upstream_cache_status" always;
    }
  }
}
`;
}

export async function startNginx(options: { dir: string; mesPort: number; ttlSeconds: number }): Promise<Nginx> {
  const { dir } = options;
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const file = join(dir, 'nginx.conf');
  writeFileSync(file, config(dir, port, options.mesPort, options.ttlSeconds));
  // Not tracked with the Node children: a SIGKILLed master would orphan its worker; the caller
  // registers stopNow() for exits instead.
  const child = spawn(toolPath('nginx'), ['-p', dir, '-e', join(dir, 'error.log'), '-c', file], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start nginx (apt-get install nginx)');
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const alive = () => child.exitCode === null && child.signalCode === null;
  const workers = () => {
    try {
      return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean)
        .map(Number);
    } catch {
      return [];
    }
  };
  const kill = (signal: NodeJS.Signals, pids: number[]) => {
    for (const p of pids) {
      try {
        process.kill(p, signal);
      } catch {
        // Gone already.
      }
    }
  };
  const stopNow = () => {
    if (!alive()) return;
    const children = workers();
    kill('SIGTERM', [pid]);
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline && [pid, ...children].some(running)) execFileSync('sleep', ['0.05']);
    kill('SIGKILL', [pid, ...children].filter(running));
  };

  const deadline = Date.now() + 10_000;
  for (;;) {
    if (!alive()) throw new Error(`nginx exited at start: ${stderr}${safeRead(join(dir, 'error.log'))}`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`);
      await response.arrayBuffer();
      break;
    } catch {
      if (Date.now() > deadline) {
        stopNow();
        throw new Error(`nginx did not answer on port ${port}: ${safeRead(join(dir, 'error.log'))}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return {
    pid,
    port,
    pids: () => [pid, ...workers()],
    async stop() {
      if (!alive()) return;
      const children = workers();
      kill('SIGTERM', [pid]);
      const timer = setTimeout(() => kill('SIGKILL', [pid, ...children].filter(running)), 5000);
      await exited;
      clearTimeout(timer);
      kill('SIGKILL', children.filter(running));
    },
    stopNow,
  };
}

function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
