/**
 * CPU time of other processes (user + system), read from /proc (Linux only): what a benchmark's API workers spent,
 * which `process.cpuUsage()` of the load tool's process does not see.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ, 100 on every Linux build in practice). */
const TICKS_PER_SECOND = 100;

/** CPU milliseconds `pids` have used so far, summed; `undefined` where /proc is unreadable. */
export function processCpuMs(pids: readonly number[]): number | undefined {
  let total = 0;
  for (const pid of pids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return undefined;
    }
    // Fields after the command name (which may hold spaces), from field 3 on: utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    total += ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  }
  return total;
}

/** `root` and its descendants, from /proc; `[root]` where /proc is unreadable. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [root];
  }
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid);
      if (list === undefined) children.set(ppid, [pid]);
      else list.push(pid);
    } catch {
      // The process ended while being read.
    }
  }
  const tree: number[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    tree.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/**
 * CPU milliseconds `root` and its descendants have used so far, per process, so that two readings can be
 * subtracted ({@link treeCpuSince}) even when processes started or ended in between.
 */
export function treeCpuMs(root = process.pid): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of processTree(root)) {
    const ms = processCpuMs([pid]);
    if (ms !== undefined) out.set(pid, ms);
  }
  return out;
}

/** CPU milliseconds the process tree used since `before` (a {@link treeCpuMs} reading); new processes count whole. */
export function treeCpuSince(before: ReadonlyMap<number, number>, root = process.pid): number {
  let total = 0;
  for (const [pid, ms] of treeCpuMs(root)) total += ms - (before.get(pid) ?? 0);
  return total;
}
