/** What every page gets: the signed clients, the chosen dataset group, status messages and navigation. */
import type { Clients } from './clients';
import type { Settings } from './session';

export interface App {
  readonly clients: Clients;
  readonly settings: Settings;
  /** The dataset group the pages work in (chosen on the dataset groups page). */
  readonly group: string | undefined;
  setGroup(arn: string): void;
  /** Announces a message in the live region (and shows it), `error` styled as an error. */
  notify(message: string, kind?: 'info' | 'error'): void;
  navigate(route: string): void;
  /** Runs `fn` when the user leaves the page (stops polling). */
  onLeave(fn: () => void): void;
}

export type Page = (app: App) => Promise<HTMLElement>;

/** Polls `step` every `ms` until it returns true or the page is left. */
export function poll(app: App, ms: number, step: () => Promise<boolean>): void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  app.onLeave(() => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
  });
  const tick = async () => {
    if (stopped) return;
    let done = true;
    try {
      done = await step();
    } catch (err) {
      app.notify(err instanceof Error ? `${err.name}: ${err.message}` : String(err), 'error');
    }
    if (!done && !stopped) timer = setTimeout(tick, ms);
  };
  void tick();
}

/** Personalize's lifecycle as steps, for progress bars: pending, in progress, done. */
export function statusStep(status: string | undefined): { value: number; max: number; failed: boolean } {
  const s = status ?? '';
  if (s === 'ACTIVE') return { value: 3, max: 3, failed: false };
  if (s.endsWith('FAILED') || s.startsWith('CREATE STOP')) return { value: 3, max: 3, failed: true };
  if (s.endsWith('IN_PROGRESS')) return { value: 2, max: 3, failed: false };
  return { value: 1, max: 3, failed: false };
}

export function isTerminal(status: string | undefined): boolean {
  const s = status ?? '';
  return s === 'ACTIVE' || s.endsWith('FAILED') || s === 'CREATE STOPPED';
}
