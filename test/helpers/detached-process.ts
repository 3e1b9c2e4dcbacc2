import { readFileSync } from 'node:fs';

// For servers a test starts detached (their parent is init, not the test): RabbitMQ nodes,
// PostgreSQL clusters. They are watched and stopped by PID.

/** Running, and not a zombie waiting to be reaped (the detached process's parent is init). */
export function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** The last 30 lines of a log, for an error message. */
export function tailOf(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-30).join('\n');
  } catch {
    return `(no log at ${file})`;
  }
}
