// CPU time from /proc: of one process, of the machine, of the local RabbitMQ node and of PostgreSQL's
// processes. /proc counts clock ticks of 10 ms (100 per second).
import { readdirSync, readFileSync } from 'node:fs';

/** CPU time (user + system, ms) a process has used so far, from /proc; undefined where it cannot be read. */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime.
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

export interface MachineCpu {
  /** CPU time (ms) all CPUs of the machine spent busy (not idle, not waiting for I/O) so far, steal excluded. */
  busyMs: number;
  /** CPU time (ms) the hypervisor gave to someone else while this machine's CPUs had work (steal) so far. */
  stealMs: number;
}

/** The machine's CPU counters, from /proc/stat; undefined where it cannot be read. */
export function machineCpuMs(): MachineCpu | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
    return { busyMs: (user + nice + system + irq + softirq) * 10, stealMs: steal * 10 };
  } catch {
    return undefined;
  }
}

/**
 * CPU time (ms) used so far by the local RabbitMQ node; undefined when it cannot be found (another
 * OS, a remote broker). The node is the beam.smp started with `-s rabbit boot` (rabbitmqctl runs a
 * short-lived beam.smp of its own).
 */
export function rabbitCpuMs(): number | undefined {
  for (const pid of pidsWhoseCommandLine((line) => line.includes('-s rabbit boot'))) {
    const ms = processCpuMs(pid);
    if (ms !== undefined) return ms;
  }
  return undefined;
}

/** The PIDs of the processes whose command line (arguments joined by spaces) passes `test`. */
export function pidsWhoseCommandLine(test: (line: string) => boolean): number[] {
  try {
    return readdirSync('/proc').flatMap((entry) => {
      if (!/^\d+$/.test(entry)) return [];
      try {
        return test(readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ')) ? [Number(entry)] : [];
      } catch {
        return [];
      }
    });
  } catch {
    return [];
  }
}
