/**
 * Builds the web console: one esbuild bundle (the app, Chart.js and the three Personalize clients) plus its CSS,
 * both content-hashed, and an `index.html` that names them. The output is plain static files; `npm start` builds
 * them into a temporary directory at start-up and the stack builds them into the console function's package.
 *
 *   node --import tsx console/build.ts --out <directory>
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';

const SOURCE = __dirname;

export interface BuiltFile {
  readonly name: string;
  readonly bytes: number;
  readonly gzipBytes: number;
}

export interface ConsoleBuild {
  readonly outdir: string;
  readonly files: readonly BuiltFile[];
  readonly buildMs: number;
}

export interface BuildOptions {
  /** Emit source maps next to the bundle (the browser tests map stack traces with them). @default false */
  readonly sourceMap?: boolean;
}

/** Pages one of which is always the first screen: the sign-in form, or the dataset groups once signed in. */
const FIRST_SCREENS = ['pages/settings.ts', 'pages/dataset-groups.ts'];

/**
 * The chunks of the first screens and everything they import, so the page can fetch them alongside the entry
 * script instead of after it has run.
 */
function firstScreenChunks(metafile: Metafile): string[] {
  const outputs = metafile.outputs;
  const wanted = new Set<string>();
  const visit = (path: string) => {
    if (wanted.has(path)) return;
    wanted.add(path);
    for (const i of outputs[path]?.imports ?? []) if (i.kind === 'import-statement') visit(i.path);
  };
  for (const [path, out] of Object.entries(outputs)) {
    if (FIRST_SCREENS.some((p) => out.entryPoint?.endsWith(p))) visit(path);
  }
  return [...wanted].map((p) => basename(p)).sort();
}

/** Builds the console into `outdir` (emptied first) and reports each file's raw and gzipped size. */
export async function buildConsole(outdir: string, options: BuildOptions = {}): Promise<ConsoleBuild> {
  const started = performance.now();
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  const result = await build({
    entryPoints: { app: join(SOURCE, 'src', 'main.ts') },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome120', 'firefox120', 'safari17'],
    entryNames: '[name]-[hash]',
    chunkNames: 'chunk-[hash]',
    // Pages are imported on first visit; the first screen loads only the shell and the control-plane client.
    splitting: true,
    outdir,
    sourcemap: options.sourceMap ? 'linked' : false,
    metafile: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
  const script = outputs.find((n) => n.startsWith('app-') && n.endsWith('.js'));
  const style = outputs.find((n) => n.startsWith('app-') && n.endsWith('.css'));
  if (script === undefined || style === undefined)
    throw new Error('console build produced no script or style');
  const template = await readFile(join(SOURCE, 'index.html'), 'utf8');
  const preload = firstScreenChunks(result.metafile)
    .map((name) => `<link rel="modulepreload" href="console/${name}" />`)
    .join('\n    ');
  // Relative URLs: the page lives at `<stage>/console`, so `console/<file>` resolves under any stage prefix.
  const html = template
    .replace('%SCRIPT%', `console/${script}`)
    .replace('%STYLE%', `console/${style}`)
    .replace('%PRELOAD%', preload);
  await writeFile(join(outdir, 'index.html'), html);
  const files: BuiltFile[] = [];
  for (const name of ['index.html', ...outputs].sort()) {
    const body = await readFile(join(outdir, name));
    files.push({ name, bytes: body.length, gzipBytes: gzipSync(body, { level: 9 }).length });
  }
  return { outdir, files, buildMs: performance.now() - started };
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--out');
  const out = at >= 0 ? process.argv[at + 1] : undefined;
  if (out === undefined) throw new Error('--out <directory> is required');
  const built = await buildConsole(out);
  for (const f of built.files) {
    process.stdout.write(
      `${f.name.padEnd(28)} ${String(f.bytes).padStart(9)} B  ${String(f.gzipBytes).padStart(8)} B gzipped\n`,
    );
  }
  const total = built.files.reduce((s, f) => s + f.gzipBytes, 0);
  process.stdout.write(`total ${total} B gzipped, built in ${Math.round(built.buildMs)} ms\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
