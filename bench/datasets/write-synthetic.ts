/**
 * Writes a synthetic dataset as Personalize import files (interactions.csv, items.csv, users.csv), streaming the
 * interactions so the 750k-item `xl` preset fits in memory.
 *
 *   node --import tsx bench/datasets/write-synthetic.ts --size small --seed 1 --out <directory>
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SYNTHETIC_PRESETS, SyntheticGenerator, type SyntheticPreset } from '../../lambdas/engine/synthetic';
import { writeInteractionsCsv, writeItemsCsv, writeUsersCsv } from './csv';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const option = (name: string, fallback: string): string => {
    const at = argv.indexOf(`--${name}`);
    return at >= 0 && argv[at + 1] !== undefined ? (argv[at + 1] as string) : fallback;
  };
  const size = option('size', 'small');
  if (!(size in SYNTHETIC_PRESETS))
    throw new Error(`--size must be one of ${Object.keys(SYNTHETIC_PRESETS).join(', ')}`);
  const seed = Number(option('seed', '1'));
  const out = option('out', '');
  if (out === '') throw new Error('--out <directory> is required');
  mkdirSync(out, { recursive: true });
  const start = performance.now();
  const generator = new SyntheticGenerator({ ...SYNTHETIC_PRESETS[size as SyntheticPreset], seed });
  let count = 0;
  function* counted() {
    for (const x of generator.interactions()) {
      count++;
      yield x;
    }
  }
  await writeInteractionsCsv(join(out, 'interactions.csv'), counted());
  await writeItemsCsv(join(out, 'items.csv'), generator.items);
  await writeUsersCsv(join(out, 'users.csv'), generator.users);
  const seconds = ((performance.now() - start) / 1000).toFixed(1);
  process.stdout.write(
    `${out}: ${count} interactions, ${generator.items.length} items, ${generator.users.length} users in ${seconds} s\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
