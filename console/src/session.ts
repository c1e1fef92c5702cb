/**
 * What the user entered to sign requests, kept in `sessionStorage` only: it lives as long as the tab, is never
 * written to `localStorage`, cookies or the URL, and is sent nowhere except as SigV4 signatures made in the page.
 */

export interface Settings {
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

const SETTINGS_KEY = 'open-personalize.console.settings';
const GROUP_KEY = 'open-personalize.console.datasetGroupArn';

export function loadSettings(): Settings | undefined {
  const raw = sessionStorage.getItem(SETTINGS_KEY);
  if (raw === null) return undefined;
  try {
    const s = JSON.parse(raw) as Partial<Settings>;
    if (!s.endpoint || !s.region || !s.accessKeyId || !s.secretAccessKey) return undefined;
    return s as Settings;
  } catch {
    return undefined;
  }
}

export function saveSettings(settings: Settings): void {
  sessionStorage.setItem(SETTINGS_KEY, JSON.stringify(settings));
}

export function forgetSettings(): void {
  sessionStorage.removeItem(SETTINGS_KEY);
  sessionStorage.removeItem(GROUP_KEY);
}

export function loadGroup(): string | undefined {
  return sessionStorage.getItem(GROUP_KEY) ?? undefined;
}

export function saveGroup(arn: string | undefined): void {
  if (arn === undefined) sessionStorage.removeItem(GROUP_KEY);
  else sessionStorage.setItem(GROUP_KEY, arn);
}

/**
 * The API endpoint this page was served from: the console lives at `<endpoint>/console`, on the API's own origin
 * and stage, so by default it signs requests for that same endpoint.
 */
export function defaultEndpoint(href: string): string {
  const url = new URL(href);
  const path = url.pathname.replace(/\/console\/?$/, '');
  return `${url.origin}${path}`;
}

/** The region in an API Gateway host name (`<id>.execute-api.<region>.amazonaws.com`), else us-east-1. */
export function defaultRegion(href: string): string {
  const match = /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$/.exec(new URL(href).hostname);
  return match?.[1] ?? 'us-east-1';
}
