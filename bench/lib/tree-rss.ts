/**
 * Resident memory of a process and all its descendants, sampled from /proc (Linux only): the figure that bounds
 * what a machine needs, where `maxRSS` sees one process only.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Sum of VmRSS over `root` and its descendants, in MiB; 0 where /proc is unreadable. */
export function treeRssMiB(root = process.pid): number {
  const children = new Map<number, number[]>();
  const rss = new Map<number, number>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]);
      const kib = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
      rss.set(pid, kib);
      const list = children.get(ppid);
      if (list === undefined) children.set(ppid, [pid]);
      else list.push(pid);
    } catch {
      // The process ended while being read.
    }
  }
  let total = 0;
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    total += rss.get(pid) ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return total / 1024;
}

/**
 * Samples {@link treeRssMiB} every `everyMs` and keeps the peak, overall and since the last {@link mark}, and every
 * sample with its time, for the peak within any interval ({@link peakBetween}).
 */
export class TreeRssSampler {
  private peak = 0;
  private peakSinceMark = 0;
  private readonly times: number[] = [];
  private readonly values: number[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(
    everyMs = 200,
    private readonly root = process.pid,
  ) {
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
    this.sample();
  }

  private sample(): void {
    const now = treeRssMiB(this.root);
    this.times.push(Date.now());
    this.values.push(now);
    if (now > this.peak) this.peak = now;
    if (now > this.peakSinceMark) this.peakSinceMark = now;
  }

  /** The peak since the previous mark (MiB), and starts a new interval. */
  mark(): number {
    // An interval shorter than the sampling period still gets one sample.
    this.sample();
    const peak = this.peakSinceMark;
    this.peakSinceMark = 0;
    return peak;
  }

  /** The peak of the samples taken from `from` to `to` (epoch ms), 0 if none was. */
  peakBetween(from: number, to: number): number {
    let peak = 0;
    this.times.forEach((t, k) => {
      if (t >= from && t <= to) peak = Math.max(peak, this.values[k] as number);
    });
    return peak;
  }

  /** The peak over the whole run (MiB). */
  get overall(): number {
    return this.peak;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
