/** The console's shell: the credentials gate, the navigation, and one page at a time chosen by the URL hash. */
import './styles.css';
import type { App, Page } from './app';
import { describeError, makeClients } from './clients';
import { h, replace } from './dom';
import { loadGroup, loadSettings, saveGroup } from './session';

interface Route {
  readonly path: string;
  readonly title: string;
  /** Pages load on first visit, so the first screen does not wait for charts or clients it does not use. */
  readonly page: () => Promise<Page>;
  /** Needs a dataset group to be chosen first. */
  readonly inGroup: boolean;
}

const ROUTES: readonly Route[] = [
  {
    path: 'groups',
    title: 'Dataset groups',
    page: async () => (await import('./pages/dataset-groups')).datasetGroupsPage,
    inGroup: false,
  },
  {
    path: 'datasets',
    title: 'Datasets',
    page: async () => (await import('./pages/datasets')).datasetsPage,
    inGroup: true,
  },
  {
    path: 'solutions',
    title: 'Solutions',
    page: async () => (await import('./pages/solutions')).solutionsPage,
    inGroup: true,
  },
  {
    path: 'versions',
    title: 'Solution versions',
    page: async () => (await import('./pages/solution-versions')).solutionVersionsPage,
    inGroup: true,
  },
  {
    path: 'campaigns',
    title: 'Campaigns',
    page: async () => (await import('./pages/campaigns')).campaignsPage,
    inGroup: true,
  },
  {
    path: 'test',
    title: 'Test campaign',
    page: async () => (await import('./pages/test-campaign')).testCampaignPage,
    inGroup: true,
  },
  {
    path: 'filters',
    title: 'Filters',
    page: async () => (await import('./pages/filters')).filtersPage,
    inGroup: true,
  },
  {
    path: 'settings',
    title: 'Credentials',
    page: async () => (await import('./pages/settings')).settingsPage,
    inGroup: false,
  },
];

const nav = document.getElementById('nav') as HTMLElement;
const main = document.getElementById('main') as HTMLElement;
const status = document.getElementById('status') as HTMLElement;
let leaving: (() => void)[] = [];

let clearStatus: ReturnType<typeof setTimeout> | undefined;
/** Info messages fade after a few seconds; errors stay until the next message. */
function notify(message: string, kind: 'info' | 'error' = 'info'): void {
  status.className = `status ${kind}`;
  status.textContent = message;
  if (clearStatus !== undefined) clearTimeout(clearStatus);
  clearStatus = kind === 'info' ? setTimeout(() => (status.textContent = ''), 6000) : undefined;
}

/** Marks when a page is on screen, for load-time measurements (`npm run bench:console`). */
function shown(path: string): void {
  performance.mark('console:page-shown', { detail: path });
}

function current(): string {
  return location.hash.replace(/^#\/?/, '') || 'groups';
}

async function render(): Promise<void> {
  for (const fn of leaving) fn();
  leaving = [];
  const settings = loadSettings();
  const wanted = current();
  const route =
    settings === undefined
      ? ROUTES.find((r) => r.path === 'settings')!
      : (ROUTES.find((r) => r.path === wanted) ?? ROUTES[0]!);
  const group = loadGroup();
  replace(
    nav,
    h(
      'ul',
      {},
      ...ROUTES.map((r) =>
        h(
          'li',
          {},
          h(
            'a',
            {
              href: `#/${r.path}`,
              'aria-current': r === route ? 'page' : undefined,
              class: r.inGroup && group === undefined ? 'muted' : undefined,
            },
            r.title,
          ),
        ),
      ),
    ),
  );
  document.title = `${route.title} · open-personalize console`;
  if (settings === undefined) {
    const { settingsPage } = await import('./pages/settings');
    replace(main, await settingsPage());
    shown(route.path);
    return;
  }
  const app: App = {
    clients: makeClients(settings),
    settings,
    group,
    setGroup(arn) {
      saveGroup(arn);
    },
    notify,
    navigate(to) {
      if (current() === to) void render();
      else location.hash = `#/${to}`;
    },
    onLeave(fn) {
      leaving.push(fn);
    },
  };
  if (route.inGroup && group === undefined) {
    replace(
      main,
      h('h2', {}, route.title),
      h('p', {}, 'Choose a dataset group first. ', h('a', { href: '#/groups' }, 'Dataset groups')),
    );
    return;
  }
  replace(main, h('p', { class: 'loading' }, 'Loading…'));
  try {
    const page = await (await route.page())(app);
    replace(main, page);
    shown(route.path);
  } catch (err) {
    replace(main, h('h2', {}, route.title), h('p', { class: 'error', role: 'alert' }, describeError(err)));
  }
  main.focus({ preventScroll: true });
}

window.addEventListener('hashchange', () => void render());
document.addEventListener('console:signed-in', () => void render());
void render();
