/**
 * The local stand-ins for the two-hourly and hourly EventBridge rules: `npm start`'s timers run the automatic-update
 * workflow and the automatic-training check at the configured intervals, a run on demand shares a run already going,
 * and the interval options parse.
 */

import { type Handler, requireHandler } from '../../local/functions';
import { parseCli } from '../../local/main';
import {
  DEFAULT_AUTO_TRAINING_INTERVAL_MS,
  DEFAULT_UPDATE_INTERVAL_MS,
  parseDuration,
} from '../../local/runtime';
import { startTestRuntime, type TestRuntime } from './harness';

let t: TestRuntime;
let scans = 0;
let checks = 0;
let release: (() => void) | undefined;

beforeAll(async () => {
  jest.resetModules();
  t = await startTestRuntime({
    updateIntervalMs: 150,
    autoTrainingIntervalMs: 120,
    loadHandler: (file): Handler => {
      const real = requireHandler(file);
      if (file === 'automatic-training') {
        return async (event) => {
          checks++;
          return real(event);
        };
      }
      if (file !== 'automatic-update-scan') return real;
      return async (event) => {
        scans++;
        // Holds a run open while a test asks for one, to see that the two share it.
        if (release === undefined) return real(event);
        await new Promise<void>((r) => {
          release = r;
        });
        return real(event);
      };
    },
  });
});
afterAll(() => t?.stop());

async function until(condition: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

it('runs the update workflow at the interval', async () => {
  await until(() => scans >= 2);
  expect(t.runtime.updateIntervalMs).toBe(150);
});

it('shares a run that is still going instead of starting a second one', async () => {
  release = () => undefined;
  const before = scans;
  await until(() => scans > before);
  // The timer's run is now held in its scan step: a run on demand joins it.
  const onDemand = t.runtime.automaticUpdate();
  await new Promise((r) => setTimeout(r, 400));
  expect(scans).toBe(before + 1);
  const held = release;
  release = undefined;
  held?.();
  const run = await onDemand;
  expect(run.status).toBe('SUCCEEDED');
  expect(run.output).toEqual({ campaignArns: [], results: [] });
});

it('runs the automatic-training check at its interval, and on demand', async () => {
  await until(() => checks >= 2);
  expect(t.runtime.autoTrainingIntervalMs).toBe(120);
  // No solutions: nothing to decide.
  expect(await t.runtime.automaticTraining()).toEqual({ outcomes: [], deferred: [] });
});

describe('interval options', () => {
  it('parses durations with units and plain milliseconds', () => {
    expect(parseDuration('2h', 'x')).toBe(7_200_000);
    expect(parseDuration('30m', 'x')).toBe(1_800_000);
    expect(parseDuration('90s', 'x')).toBe(90_000);
    expect(parseDuration('250', 'x')).toBe(250);
    expect(parseDuration('0', 'x')).toBe(0);
    expect(() => parseDuration('soon', '--update-interval')).toThrow(/--update-interval/);
    expect(DEFAULT_UPDATE_INTERVAL_MS).toBe(7_200_000);
    expect(DEFAULT_AUTO_TRAINING_INTERVAL_MS).toBe(3_600_000);
  });

  it('takes --update-interval on the command line', () => {
    expect(parseCli(['--update-interval', '15m']).updateIntervalMs).toBe(900_000);
    expect(parseCli([]).updateIntervalMs).toBeUndefined();
    expect(parseCli(['--auto-training-interval', '10m']).autoTrainingIntervalMs).toBe(600_000);
    expect(parseCli([]).autoTrainingIntervalMs).toBeUndefined();
  });
});
