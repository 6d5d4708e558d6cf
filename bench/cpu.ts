import { readdirSync, readFileSync } from 'node:fs';

/**
 * Where the machine's CPU went during a stretch of a bench: the machine's busy seconds (all
 * cores) and idle share, and each process's own user + system time, from /proc. On two cores
 * RT and syncdesk compete for the same CPU, so a desk floor measured with syncdesk idle is only
 * fair if syncdesk's own share is known. A process that exits within the stretch is missed
 * (RT's prefork workers are replaced now and then): RT's share is the machine's busy time less
 * the rest. Children's times are left out: a parent's count of them jumps by a child's whole
 * life when it is reaped.
 */

/** Clock ticks per second (USER_HZ): 100 on every Linux this runs on. */
const HZ = 100;

export interface CpuSnapshot {
  /** CPU ticks by PID, with the process's name. */
  byPid: Map<number, { comm: string; ticks: number }>;
  /** The machine's busy and idle ticks (all cores). */
  busy: number;
  idle: number;
}

/** `machine=… name=…` for a table cell: processes under a second left out. */
export function formatCpu(cpu: { machine: number; seconds: Array<[string, number]> }): string {
  return [['machine', cpu.machine] as const, ...cpu.seconds.filter(([, v]) => v >= 1)].map(([k, v]) => `${k}=${v.toFixed(0)}`).join(' ');
}

function processTicks(pid: string): { comm: string; ticks: number } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // gone between the listing and the read
  }
  const close = stat.lastIndexOf(')');
  const comm = stat.slice(stat.indexOf('(') + 1, close);
  // after the name: state is field 3, utime and stime are fields 14 and 15
  const f = stat.slice(close + 2).split(' ');
  return { comm, ticks: Number(f[11]) + Number(f[12]) };
}

export function cpuSnapshot(): CpuSnapshot {
  const byPid = new Map<number, { comm: string; ticks: number }>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const t = processTicks(name);
    if (t) byPid.set(Number(name), t);
  }
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  const idle = cpu[3]! + cpu[4]!;
  const busy = cpu.slice(0, 8).reduce((a, b) => a + b, 0) - idle;
  return { byPid, busy, idle };
}

/**
 * CPU seconds spent between two snapshots: the machine's (`machine`, all cores) and by the
 * label `name(pid, comm)` gives each process (processes that share a label are summed),
 * largest first, and the machine's idle share.
 */
export function cpuBetween(
  from: CpuSnapshot,
  to: CpuSnapshot,
  name: (pid: number, comm: string) => string,
): { machine: number; seconds: Array<[string, number]>; idleShare: number } {
  const sums = new Map<string, number>();
  for (const [pid, now] of to.byPid) {
    const delta = now.ticks - (from.byPid.get(pid)?.ticks ?? 0);
    if (delta <= 0) continue;
    const label = name(pid, now.comm);
    sums.set(label, (sums.get(label) ?? 0) + delta / HZ);
  }
  const busy = to.busy - from.busy;
  const idle = to.idle - from.idle;
  return { machine: busy / HZ, seconds: [...sums].sort((a, b) => b[1] - a[1]), idleShare: idle / Math.max(1, busy + idle) };
}
