/**
 * Finds the system Chromium (Debian's `chromium` package) for the browser tests; nothing downloads a browser.
 * `CHROMIUM_PATH` overrides the search.
 */
import { accessSync, constants } from 'node:fs';

const CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
];

export function findChromium(): string | undefined {
  const explicit = process.env.CHROMIUM_PATH;
  for (const path of explicit ? [explicit] : CANDIDATES) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not this one
    }
  }
  return undefined;
}

/**
 * `describe` when Chromium is installed; otherwise the suite is skipped with a loud warning, except in CI
 * (`CI` set), where a missing browser is an error: CI must always run the browser tests.
 */
export function describeWithChromium(name: string, fn: (executablePath: string) => void): void {
  const path = findChromium();
  if (path !== undefined) {
    describe(name, () => fn(path));
    return;
  }
  if (process.env.CI) {
    throw new Error(
      'Chromium is not installed, and CI must run the browser tests: apt-get install -y chromium',
    );
  }
  const banner = '!'.repeat(100);
  console.warn(
    `${banner}\nSKIPPING BROWSER TESTS (${name}): no Chromium found. Install it with ` +
      `\`apt-get install -y chromium\` or set CHROMIUM_PATH.\n${banner}`,
  );
  describe.skip(name, () => fn(''));
}
