/**
 * Runs one model's benchmark in its own Node process so that its peak resident set size
 * (`process.resourceUsage().maxRSS`) belongs to that model alone (plus the data, which every row loads the same way).
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import type { WorkerRequest, WorkerResult } from './worker';

export function runInChild(request: WorkerRequest): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const child = fork(join(__dirname, 'worker.ts'), [], {
      execArgv: ['--import', 'tsx', '--max-old-space-size=16384'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    let result: WorkerResult | undefined;
    child.on('message', (message: WorkerResult) => {
      result = message;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (result !== undefined) resolve(result);
      else reject(new Error(`${request.model}: worker exited with ${signal ?? `code ${code}`}`));
    });
    child.send(request);
  });
}

/** Peak RSS of the calling process in MiB. */
export function peakRssMiB(): number {
  // resourceUsage().maxRSS is in kilobytes.
  return process.resourceUsage().maxRSS / 1024;
}
