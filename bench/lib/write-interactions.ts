/**
 * Child process of `npm run bench:api -- import`: writes exactly `rows` synthetic interactions as a Personalize CSV,
 * streamed, so the generator's garbage never counts towards the peak RSS of the process that runs the import.
 *
 *   fork(write-interactions.ts, [path, rows, seed]) → message { peakRssMiB }
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { SYNTHETIC_PRESETS, SyntheticGenerator } from '../../lambdas/engine/synthetic';
import { writeInteractionsCsv } from '../datasets/csv';
import { peakRssMiB, take } from './throughput';

export interface WriteResult {
  readonly peakRssMiB: number;
}

async function write(path: string, rows: number, seed: number): Promise<void> {
  // The `large` catalog (100k items) with enough users for `rows` (counts per user are random); the log is cut at
  // exactly `rows`.
  const large = SYNTHETIC_PRESETS.large;
  const generator = new SyntheticGenerator({
    items: large.items,
    users: Math.max(1, Math.ceil((2 * rows) / large.meanEventsPerUser)),
    meanEventsPerUser: large.meanEventsPerUser,
    seed,
  });
  await writeInteractionsCsv(path, take(generator.interactions(), rows));
}

/** Writes the CSV in a child process and resolves with that process's peak RSS. */
export function writeInteractionsInChild(path: string, rows: number, seed: number): Promise<WriteResult> {
  return new Promise((resolve, reject) => {
    const child = fork(join(__dirname, 'write-interactions.ts'), [path, String(rows), String(seed)], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result: WriteResult | undefined;
    child.on('message', (message: WriteResult) => {
      result = message;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (result !== undefined && code === 0) resolve(result);
      else reject(new Error(`CSV writer exited with ${signal ?? `code ${code}`}`));
    });
  });
}

if (require.main === module) {
  const [path, rows, seed] = process.argv.slice(2);
  write(path as string, Number(rows), Number(seed)).then(
    () => process.send?.({ peakRssMiB: peakRssMiB() } satisfies WriteResult),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
