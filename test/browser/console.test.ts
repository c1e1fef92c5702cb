/**
 * The recipe's whole console workflow in a real browser (Debian's Chromium through playwright-core), on the
 * synthetic data set: sign in, create a dataset group, schemas and datasets (with an inline schema error on the
 * way), import (one failing import shows its line and column), create an event tracker, create a solution with
 * the history-length histogram, train two versions and compare their metrics, deploy a campaign with exploration,
 * get recommendations and record a click. Every page is saved as a screenshot under test-output/console/.
 */
import { mkdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { writeInteractionsCsv, writeItemsCsv } from '../../bench/datasets/csv';
import { buildConsole } from '../../console/build';
import { historyLengths, percentileCuts, rowsFromCsv } from '../../console/src/history';
import { SYNTHETIC_PRESETS, SyntheticGenerator } from '../../lambdas/engine/synthetic';
import { startTestRuntime, type TestRuntime } from '../integration/harness';
import { describeWithChromium } from './chromium';

const SHOTS = join(__dirname, '..', '..', 'test-output', 'console');
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

const INTERACTIONS_SCHEMA = {
  type: 'record',
  name: 'Interactions',
  namespace: 'com.amazonaws.personalize.schema',
  fields: [
    { name: 'USER_ID', type: 'string' },
    { name: 'ITEM_ID', type: 'string' },
    { name: 'TIMESTAMP', type: 'long' },
    { name: 'EVENT_TYPE', type: 'string' },
    { name: 'EVENT_VALUE', type: ['null', 'float'] },
  ],
  version: '1.0',
};
const ITEMS_SCHEMA = {
  type: 'record',
  name: 'Items',
  namespace: 'com.amazonaws.personalize.schema',
  fields: [
    { name: 'ITEM_ID', type: 'string' },
    { name: 'CREATION_TIMESTAMP', type: ['null', 'long'] },
    { name: 'GENRE', type: ['null', 'string'], categorical: true },
    { name: 'PRICE_BAND', type: ['null', 'string'], categorical: true },
    { name: 'PRICE', type: ['null', 'double'] },
    { name: 'DESCRIPTION', type: ['null', 'string'], textual: true },
  ],
  version: '1.0',
};

describeWithChromium('web console (Chromium)', (executablePath) => {
  let t: TestRuntime;
  let browser: Browser;
  let page: Page;
  let dir: string;
  let interactionsFile: string;
  let firstUser: string;
  const errors: string[] = [];

  const shot = async (name: string, size = DESKTOP) => {
    await page.setViewportSize(size);
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
    if (size !== DESKTOP) await page.setViewportSize(DESKTOP);
  };
  /** Polls `check` until it holds; the page's CSP forbids the string evaluation waitForFunction would need. */
  const until = async (what: string, check: () => Promise<boolean>, timeoutMs = 90_000) => {
    const end = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  const go = async (route: string) => {
    await page.getByRole('link', { name: route, exact: true }).click();
    await page.getByRole('heading', { level: 2, name: route }).first().waitFor();
  };

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    dir = await mkdtemp(join(tmpdir(), 'op-console-test-'));
    const consoleDir = join(dir, 'console');
    await buildConsole(consoleDir);
    t = await startTestRuntime({ consoleAssetsDir: consoleDir });
    const generator = new SyntheticGenerator({ ...SYNTHETIC_PRESETS.tiny, seed: 7 });
    interactionsFile = join(dir, 'interactions.csv');
    await writeInteractionsCsv(interactionsFile, generator.interactions());
    await writeItemsCsv(join(dir, 'items.csv'), generator.items);
    firstUser = generator.users[0]!.userId;
    // Uploads happen outside the console, as with `aws s3 cp`: the console only names the S3 location.
    await t.upload('interactions.csv', await readFile(interactionsFile));
    await t.upload('items.csv', await readFile(join(dir, 'items.csv')));
    const broken = (await readFile(interactionsFile, 'utf8')).split('\n');
    broken[3] = broken[3]!.replace(/,\d+,/, ',yesterday,');
    await t.upload('broken/interactions.csv', broken.join('\n'));
    browser = await chromium.launch({
      executablePath,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
    page = await browser.newPage({ viewport: DESKTOP });
    page.on('pageerror', (e) => errors.push(e.message));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await t?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  afterEach(() => {
    // An uncaught exception in the page fails the step it happened in.
    expect(errors).toEqual([]);
  });

  it('serves the console at /console and signs in with the API key pair', async () => {
    const started = Date.now();
    await page.goto(`${t.runtime.endpoint}/console`);
    await page.getByLabel('Access key id').waitFor();
    expect(Date.now() - started).toBeLessThan(5_000);
    // The endpoint defaults to the page's own origin.
    expect(await page.getByLabel('API endpoint').inputValue()).toBe(t.runtime.endpoint);

    await page.getByLabel('Access key id').fill('WRONGKEY');
    await page.getByLabel('Secret access key').fill('nope');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText(/refused these credentials: UnrecognizedClientException/).waitFor();

    await page.getByLabel('Access key id').fill(t.runtime.apiCredentials.accessKeyId);
    await page.getByLabel('Secret access key').fill(t.runtime.apiCredentials.secretAccessKey);
    await shot('01-credentials');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Dataset groups', level: 2 }).waitFor();
    // Kept for this tab only.
    const stored = await page.evaluate(
      '({ session: sessionStorage.length, local: localStorage.length, cookie: document.cookie })',
    );
    expect(stored).toEqual({ session: 1, local: 0, cookie: '' });
  });

  it('creates a dataset group', async () => {
    await page.getByLabel('Name', { exact: true }).fill('console-demo');
    await page.getByRole('button', { name: 'Create dataset group' }).click();
    await page.getByRole('heading', { name: 'Datasets', level: 2 }).waitFor();
    await go('Dataset groups');
    await page.getByRole('cell', { name: 'console-demo' }).waitFor();
    await shot('02-dataset-groups');
    await go('Datasets');
  });

  it('validates schemas inline and creates the Interactions and Items datasets', async () => {
    const schema = page.getByLabel('Schema (Avro JSON)');
    const broken = {
      ...INTERACTIONS_SCHEMA,
      fields: INTERACTIONS_SCHEMA.fields.filter((f) => f.name !== 'USER_ID'),
    };
    await schema.fill(JSON.stringify(broken, null, 2));
    await page
      .getByText(/USER_ID/)
      .and(page.locator('.error'))
      .waitFor();
    expect(await schema.getAttribute('aria-invalid')).toBe('true');
    await shot('03-schema-error');

    await schema.fill(JSON.stringify(INTERACTIONS_SCHEMA, null, 2));
    await page.getByText('Schema is valid for this dataset type.').waitFor();
    await page.getByLabel('Dataset name').fill('interactions');
    await page.getByLabel('Schema name').fill('interactions-schema');
    await page.getByRole('button', { name: 'Create schema and dataset' }).click();
    await page.getByRole('cell', { name: 'interactions', exact: true }).waitFor();

    await page.getByLabel('Dataset type').selectOption('Items');
    await schema.fill(JSON.stringify(ITEMS_SCHEMA, null, 2));
    await page.getByLabel('Dataset name').fill('items');
    await page.getByLabel('Schema name').fill('items-schema');
    await page.getByRole('button', { name: 'Create schema and dataset' }).click();
    await page.getByRole('cell', { name: 'items', exact: true }).waitFor();
  });

  it('imports from S3, showing the failing line and column of a bad file', async () => {
    const start = async (dataset: string, job: string, location: string) => {
      await page.getByLabel('Dataset', { exact: true }).selectOption({ label: dataset });
      await page.getByLabel('Job name').fill(job);
      await page.getByLabel('Data location').fill(location);
      await page.getByRole('button', { name: 'Start import' }).click();
      await page.getByRole('cell', { name: job, exact: true }).waitFor();
    };
    await start(
      'Interactions · interactions',
      'broken-import',
      `s3://${t.uploadBucket}/broken/interactions.csv`,
    );
    const failure = page.getByTestId('failing-location');
    await failure.waitFor({ timeout: 30_000 });
    expect(await failure.textContent()).toBe('Fails at line 4, column TIMESTAMP');

    await start(
      'Interactions · interactions',
      'interactions-import',
      `s3://${t.uploadBucket}/interactions.csv`,
    );
    await start('Items · items', 'items-import', `s3://${t.uploadBucket}/items.csv`);
    await page
      .locator('tr', { hasText: 'interactions-import' })
      .getByText('ACTIVE')
      .waitFor({ timeout: 60_000 });
    await page.locator('tr', { hasText: 'items-import' }).getByText('ACTIVE').waitFor({ timeout: 60_000 });
  }, 180_000);

  it('creates an event tracker and shows its tracking id', async () => {
    await page.getByLabel('Tracker name').fill('web');
    await page.getByRole('button', { name: 'Create event tracker' }).click();
    const id = page.locator('.tracking-id');
    await id.waitFor();
    expect((await id.textContent())?.length).toBeGreaterThan(10);
    await page.locator('tr', { hasText: 'items-import' }).getByText('ACTIVE').waitFor({ timeout: 60_000 });
    await shot('04-datasets');
  });

  it('creates a solution with hyperparameters and the history-length histogram', async () => {
    await go('Solutions');
    await page.getByLabel('Solution name').fill('console-solution');
    await expect(page.getByLabel(/^hidden_dimension \(32–256, default 149\)$/).inputValue()).resolves.toBe(
      '149',
    );
    // The smallest model trains fastest; the test is about the console, not the engine.
    await page.getByLabel(/^hidden_dimension/).fill('32');
    await page.getByLabel(/^bptt/).fill('16');
    await page.getByLabel(/^max_user_history_length_percentile/).fill('0.9');
    await page.getByLabel(/^min_user_history_length_percentile/).fill('0.1');
    await page.getByLabel('Interactions file for the histogram').setInputFiles(interactionsFile);
    const kept = page.getByTestId('kept');
    await kept.waitFor();
    // The numbers the page shows are the engine's own cuts on the same file.
    const expected = percentileCuts(
      await historyLengths(rowsFromCsv((await import('node:fs')).createReadStream(interactionsFile)), {}),
      0.1,
      0.9,
    );
    expect(await kept.textContent()).toMatch(new RegExp(`^${expected.kept} `));
    expect(await page.getByTestId('users-total').textContent()).toBe(String(expected.total));
    expect(await page.getByTestId('kept-by-min').textContent()).toMatch(
      new RegExp(`^keeps ${expected.keptByMin} users`),
    );
    expect(await page.getByTestId('kept-by-max').textContent()).toMatch(
      new RegExp(`^keeps ${expected.keptByMax} users`),
    );
    expect(expected.kept).toBeLessThan(expected.total);
    await shot('05-solutions');
    await shot('05-solutions-phone', PHONE);
    await page.getByRole('button', { name: 'Create solution' }).click();
    await page.getByRole('heading', { name: 'Solution versions', level: 2 }).waitFor();
  });

  it('trains two versions with live status and compares their metrics', async () => {
    await page.getByRole('button', { name: 'Train' }).click();
    await page.getByTestId('version-status').first().waitFor();
    await page
      .locator('[data-testid=version-status]', { hasText: /IN_PROGRESS|PENDING/ })
      .first()
      .waitFor({ timeout: 30_000 })
      .catch(() => undefined);
    await shot('06-versions-training');
    await page
      .locator('[data-testid=version-status]', { hasText: 'ACTIVE' })
      .first()
      .waitFor({ timeout: 90_000 });
    await page.getByRole('button', { name: 'Train' }).click();
    await until('two ACTIVE versions', async () => {
      const s = await page.getByTestId('version-status').allTextContents();
      return s.length === 2 && s.every((x) => x === 'ACTIVE');
    });
    await page.getByRole('heading', { name: 'Two versions compared' }).waitFor();
    const rows = await page.locator('table.metrics tbody tr').count();
    expect(rows).toBeGreaterThan(3);
    expect(
      await page
        .locator('table.metrics tbody tr', { hasText: 'normalized_discounted_cumulative_gain_at_10' })
        .count(),
    ).toBe(1);
    await shot('07-versions-metrics');
  }, 180_000);

  it('deploys a campaign with an exploration weight and an item age cut-off, then updates it', async () => {
    await go('Campaigns');
    await page.getByLabel('Campaign name').fill('console-campaign');
    await page.getByLabel('Exploration weight').fill('0.6');
    await page.getByLabel('Exploration item age cut-off (days)').fill('60');
    await page.getByRole('button', { name: 'Create campaign' }).click();
    const row = page.locator('tr', { hasText: 'console-campaign' });
    await row
      .getByTestId('campaign-status')
      .filter({ hasText: /^ACTIVE$/ })
      .waitFor({ timeout: 60_000 });
    expect(await row.locator('td').nth(3).textContent()).toBe('0.6');
    expect(await row.locator('td').nth(4).textContent()).toBe('60');

    await page.getByLabel('Campaign', { exact: true }).selectOption({ label: 'Update console-campaign' });
    expect(await page.getByLabel('Exploration weight').inputValue()).toBe('0.6');
    await page.getByLabel('Exploration weight').fill('1');
    await page.getByLabel('Exploration item age cut-off (days)').fill('365');
    await page.getByRole('button', { name: 'Update campaign' }).click();
    await row.locator('td').nth(4).filter({ hasText: '365' }).waitFor({ timeout: 60_000 });
    expect(await row.locator('td').nth(3).textContent()).toBe('1');
    await row
      .getByTestId('campaign-status')
      .filter({ hasText: /^ACTIVE$/ })
      .waitFor({ timeout: 60_000 });
    await shot('08-campaigns');
  }, 180_000);

  it('shows recommendations with scores, metadata and explored slots, and a click changes the next list', async () => {
    await go('Test campaign');
    await page.getByLabel('User id').fill(firstUser);
    await page.getByLabel('Item metadata columns').fill('GENRE, PRICE_BAND');
    const rows = page.locator('#recommendations tbody tr');
    const explored = page.locator('#recommendations .badge.explore');
    // At weight 1 each slot is explored with probability 0.5, drawn afresh per list: ask again on a rare
    // all-exploit list rather than fail.
    const captionCode = page.locator('#recommendations caption code');
    const listId = async () => ((await captionCode.count()) > 0 ? await captionCode.textContent() : null);
    for (let attempt = 0; attempt < 3; attempt++) {
      const previous = await listId();
      await page.getByRole('button', { name: 'Get recommendations' }).click();
      await until('a list', async () => (await listId()) !== previous);
      if ((await explored.count()) > 0) break;
    }
    expect(await rows.count()).toBe(10);
    const headers = await page.locator('#recommendations thead th').allTextContents();
    expect(headers).toEqual(['#', 'Item', 'Score', 'GENRE', 'PRICE_BAND', 'Slot', 'Change', '']);
    expect(await rows.first().locator('td').nth(3).textContent()).toMatch(/^genre-\d+$/);
    expect(await explored.count()).toBeGreaterThan(0);
    const before = await page.locator('#recommendations tbody td:nth-child(2)').allTextContents();
    const caption = await page.locator('#recommendations caption code').textContent();
    await shot('09-test-campaign');

    const clicked = before[2]!;
    await page.getByRole('button', { name: `Click ${clicked}` }).click();
    await page.locator('#previous table').waitFor();
    await until(
      'the next list',
      async () => (await page.locator('#recommendations caption code').textContent()) !== caption,
    );
    const after = await page.locator('#recommendations tbody td:nth-child(2)').allTextContents();
    expect(after).not.toEqual(before);
    expect(await page.getByRole('status').textContent()).toContain(
      `on ${clicked} with its impression of 10 items`,
    );
    await shot('10-test-campaign-after-click');
    await shot('10-test-campaign-phone', PHONE);
  });

  it('keeps a place for filters and is usable by keyboard', async () => {
    await go('Filters');
    await shot('11-filters');
    // Tab from the top: the skip link, then the navigation, reachable without a mouse.
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Skip to content');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(`document.activeElement?.getAttribute('href')`)).toBe('#/groups');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Dataset groups', level: 2 }).waitFor();
    // Every form control on every page has a label.
    for (const route of ['Datasets', 'Solutions', 'Solution versions', 'Campaigns', 'Test campaign']) {
      await go(route);
      const unlabelled = await page.evaluate(
        `[...document.querySelectorAll('main input, main select, main textarea')]
          .filter((el) => el.labels?.length === 0 && !el.getAttribute('aria-label'))
          .map((el) => el.outerHTML)`,
      );
      expect(unlabelled).toEqual([]);
    }
  });
});
