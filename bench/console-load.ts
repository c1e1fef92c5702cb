/**
 * How fast the web console loads from `npm start`'s server, in Debian's Chromium: each run opens a fresh browser
 * context (empty cache, empty session storage) and times (1) the sign-in form being usable and (2) after signing in
 * by session storage, the dataset groups page showing the list from the API. Also prints the bundle sizes.
 *
 *   npm run bench:console -- [--runs 10]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { buildConsole } from '../console/build';
import { startRuntime } from '../local/runtime';
import { findChromium } from '../test/browser/chromium';
import { quietRequestLogs } from './lib/quiet';

/**
 * Milliseconds from the start of navigation to the console's own "page shown" mark: what the user waits for,
 * without the test driver's polling on top.
 */
async function shownAt(page: Page): Promise<number> {
  return (await page.evaluate(
    "performance.getEntriesByName('console:page-shown')[0]?.startTime ?? Number.NaN",
  )) as number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

async function main(): Promise<void> {
  quietRequestLogs();
  const at = process.argv.indexOf('--runs');
  const runs = at >= 0 ? Number(process.argv[at + 1]) : 10;
  const executablePath = findChromium();
  if (executablePath === undefined) throw new Error('No Chromium found: apt-get install -y chromium');
  const dir = await mkdtemp(join(tmpdir(), 'op-console-bench-'));
  const built = await buildConsole(dir);
  const total = built.files.reduce((s, f) => s + f.gzipBytes, 0);
  console.log(
    `bundle: ${built.files.length} files, ${total} B gzipped in all (every page visited), built in ${Math.round(built.buildMs)} ms`,
  );
  const runtime = await startRuntime({ port: 0, s3Port: 0, consoleAssetsDir: dir, updateIntervalMs: 0 });
  const browser = await chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  const settings = JSON.stringify({
    endpoint: runtime.endpoint,
    region: runtime.region,
    ...runtime.apiCredentials,
  });
  const signIn: number[] = [];
  const groups: number[] = [];
  const transferred: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      await page.goto(`${runtime.endpoint}/console`);
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
      signIn.push(await shownAt(page));
      await context.close();

      const signed = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      await signed.addInitScript(
        `sessionStorage.setItem('open-personalize.console.settings', ${JSON.stringify(settings)})`,
      );
      const page2 = await signed.newPage();
      await page2.goto(`${runtime.endpoint}/console#/groups`);
      await page2.getByRole('button', { name: 'Create dataset group' }).waitFor();
      groups.push(await shownAt(page2));
      // What the first signed-in screen actually downloaded: the page, the entry and the chunks it imported.
      const names = (await page2.evaluate(
        "[location.pathname.split('/').pop(), ...performance.getEntriesByType('resource').map((e) => e.name.split('/').pop())]",
      )) as string[];
      transferred.push(
        names.reduce(
          (s, n) =>
            s + (built.files.find((f) => f.name === (n === 'console' ? 'index.html' : n))?.gzipBytes ?? 0),
          0,
        ),
      );
      await signed.close();
    }
  } finally {
    await browser.close();
    await runtime.stop();
    await rm(dir, { recursive: true, force: true });
  }
  const fmt = (xs: number[]) => `median ${Math.round(median(xs))} ms, max ${Math.round(Math.max(...xs))} ms`;
  console.log(`cold load to a usable sign-in form (${runs} runs): ${fmt(signIn)}`);
  console.log(`cold load to the dataset groups page listed from the API (${runs} runs): ${fmt(groups)}`);
  console.log(`gzipped bytes the dataset groups page loads: ${transferred[0]} B`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
