/**
 * Test campaign: a user's recommendations with scores, item metadata and the slots exploration filled; a click is
 * sent with PutEvents together with the impression and the recommendation id, and the next list is shown against
 * the previous one.
 */
import {
  DescribeCampaignCommand,
  DescribeEventTrackerCommand,
  ListCampaignsCommand,
  ListEventTrackersCommand,
  ListSolutionsCommand,
} from '@aws-sdk/client-personalize';
import { PutEventsCommand } from '@aws-sdk/client-personalize-events';
import { GetRecommendationsCommand, type PredictedItem } from '@aws-sdk/client-personalize-runtime';
import type { App } from '../app';
import { describeError } from '../clients';
import { field, h, input, replace, select } from '../dom';

/** A bar as wide as the score relative to the list's best; set through the CSSOM, which the page's CSP allows. */
function scoreBar(share: number): HTMLSpanElement {
  const bar = h('span', { class: 'bar', 'aria-hidden': 'true' });
  bar.style.width = `${Math.round(70 * share)}px`;
  return bar;
}

interface Shown {
  readonly recommendationId: string;
  readonly items: readonly PredictedItem[];
}

/** How an item moved between two lists: new, up n, down n or unchanged. */
function movement(itemId: string, at: number, previous: Shown | undefined): string {
  if (previous === undefined) return '';
  const before = previous.items.findIndex((i) => i.itemId === itemId);
  if (before < 0) return 'new';
  if (before === at) return '';
  return before > at ? `▲ ${before - at}` : `▼ ${at - before}`;
}

export async function testCampaignPage(app: App): Promise<HTMLElement> {
  const c = app.clients.control;
  const { solutions = [] } = await c.send(
    new ListSolutionsCommand({ datasetGroupArn: app.group, maxResults: 100 }),
  );
  const campaigns = [];
  for (const s of solutions) {
    const { campaigns: list = [] } = await c.send(
      new ListCampaignsCommand({ solutionArn: s.solutionArn, maxResults: 100 }),
    );
    for (const x of list)
      if (x.status === 'ACTIVE')
        campaigns.push((await c.send(new DescribeCampaignCommand({ campaignArn: x.campaignArn }))).campaign!);
  }
  const { eventTrackers = [] } = await c.send(
    new ListEventTrackersCommand({ datasetGroupArn: app.group, maxResults: 100 }),
  );
  const trackers = await Promise.all(
    eventTrackers.map((t) =>
      c
        .send(new DescribeEventTrackerCommand({ eventTrackerArn: t.eventTrackerArn }))
        .then((r) => r.eventTracker!),
    ),
  );
  if (campaigns.length === 0) {
    return h(
      'section',
      {},
      h('h2', {}, 'Test campaign'),
      h('p', {}, 'No ACTIVE campaign yet. ', h('a', { href: '#/campaigns' }, 'Create a campaign')),
    );
  }

  const campaign = field(
    'Campaign',
    select(
      campaigns.map((x) => [x.campaignArn ?? '', x.name ?? '']),
      { name: 'campaign' },
    ),
  );
  const userId = field('User id', input({ name: 'userId', required: true, autocomplete: 'off' }));
  const count = field(
    'Number of results',
    input({ name: 'numResults', type: 'number', min: 1, max: 500, value: 10 }),
  );
  const columns = field(
    'Item metadata columns',
    input({ name: 'metadataColumns', placeholder: 'GENRE, PRICE' }),
    'Comma-separated Items columns; the campaign must return metadata.',
  );
  const tracker = field(
    'Event tracker',
    select(
      trackers.map((t) => [t.trackingId ?? '', `${t.name} (${t.trackingId})`]),
      { name: 'trackingId' },
    ),
    'Clicks are sent with its tracking id.',
  );
  const eventType = field('Event type of a click', input({ name: 'clickEventType', value: 'click' }));
  const sessionId = crypto.randomUUID();
  const listBox = h('div', { id: 'recommendations', 'aria-live': 'polite' });
  const previousBox = h('div', { id: 'previous' });
  const result = h('p', { role: 'alert', class: 'error', hidden: true });
  let current: Shown | undefined;
  let previous: Shown | undefined;

  const metadataColumns = () =>
    columns.control.value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');

  const renderList = (
    box: HTMLElement,
    shown: Shown,
    title: string,
    against: Shown | undefined,
    clickable: boolean,
  ) => {
    const cols = [...new Set(shown.items.flatMap((i) => Object.keys(i.metadata ?? {})))];
    const top = Math.max(...shown.items.map((i) => i.score ?? 0), 1e-9);
    replace(
      box,
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'recs' },
          h('caption', {}, title, ' ', h('code', {}, shown.recommendationId)),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ...['#', 'Item', 'Score', ...cols, 'Slot', 'Change', ...(clickable ? [''] : [])].map((x) =>
                h('th', { scope: 'col' }, x),
              ),
            ),
          ),
          h(
            'tbody',
            {},
            ...shown.items.map((item, at) => {
              const explored = item.reason?.includes('Exploration') ?? false;
              return h(
                'tr',
                { class: explored ? 'explored' : undefined },
                h('td', {}, String(at + 1)),
                h('td', {}, h('code', {}, item.itemId ?? '')),
                h('td', { class: 'score' }, scoreBar((item.score ?? 0) / top), (item.score ?? 0).toFixed(4)),
                ...cols.map((col) => h('td', {}, item.metadata?.[col] ?? '')),
                h('td', {}, explored ? h('span', { class: 'badge explore' }, 'explored') : 'ranked'),
                h('td', { class: 'move' }, movement(item.itemId ?? '', at, against)),
                ...(clickable
                  ? [
                      h(
                        'td',
                        {},
                        h(
                          'button',
                          {
                            type: 'button',
                            class: 'small',
                            'aria-label': `Click ${item.itemId}`,
                            onclick: () => void click(item.itemId ?? ''),
                          },
                          'Click',
                        ),
                      ),
                    ]
                  : []),
              );
            }),
          ),
        ),
      ),
    );
  };

  const recommend = async () => {
    result.hidden = true;
    const cols = metadataColumns();
    const r = await app.clients.runtime.send(
      new GetRecommendationsCommand({
        campaignArn: campaign.control.value,
        userId: userId.control.value.trim(),
        numResults: Number(count.control.value),
        ...(cols.length > 0 ? { metadataColumns: { ITEMS: cols } } : {}),
      }),
    );
    previous = current;
    current = { recommendationId: r.recommendationId ?? '', items: r.itemList ?? [] };
    renderList(listBox, current, `Recommendations for ${userId.control.value.trim()}`, previous, true);
    if (previous) renderList(previousBox, previous, 'Previous list', undefined, false);
    else replace(previousBox);
  };

  const click = async (itemId: string) => {
    if (current === undefined) return;
    try {
      await app.clients.events.send(
        new PutEventsCommand({
          trackingId: tracker.control.value,
          userId: userId.control.value.trim(),
          sessionId,
          eventList: [
            {
              eventType: eventType.control.value.trim() || 'click',
              itemId,
              sentAt: new Date(),
              recommendationId: current.recommendationId,
              impression: current.items.map((i) => i.itemId ?? ''),
            },
          ],
        }),
      );
      app.notify(
        `Sent a ${eventType.control.value} on ${itemId} with its impression of ${current.items.length} items; the list below is the next one.`,
      );
      await recommend();
    } catch (err) {
      result.hidden = false;
      result.textContent = describeError(err);
    }
  };

  const form = h(
    'form',
    {
      class: 'card',
      'aria-labelledby': 'test-title',
      onsubmit: (e: Event) => {
        e.preventDefault();
        recommend().catch((err: unknown) => {
          result.hidden = false;
          result.textContent = describeError(err);
        });
      },
    },
    h('h3', { id: 'test-title' }, 'Get recommendations'),
    h('div', { class: 'row' }, campaign.wrap, userId.wrap, count.wrap),
    h('div', { class: 'row' }, columns.wrap, tracker.wrap, eventType.wrap),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Get recommendations')),
    result,
  );
  return h('section', {}, h('h2', {}, 'Test campaign'), form, listBox, previousBox);
}
