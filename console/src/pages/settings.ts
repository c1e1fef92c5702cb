/** Credentials: the endpoint, region and key pair requests are signed with, kept for this tab only. */
import { ListDatasetGroupsCommand } from '@aws-sdk/client-personalize';
import { describeError, makeClients } from '../clients';
import { field, h, input } from '../dom';
import {
  defaultEndpoint,
  defaultRegion,
  forgetSettings,
  loadSettings,
  type Settings,
  saveSettings,
} from '../session';

export async function settingsPage(): Promise<HTMLElement> {
  const saved = loadSettings();
  const endpoint = field(
    'API endpoint',
    input({
      name: 'endpoint',
      value: saved?.endpoint ?? defaultEndpoint(location.href),
      autocomplete: 'url',
    }),
  );
  const region = field(
    'Region',
    input({ name: 'region', value: saved?.region ?? defaultRegion(location.href) }),
  );
  const keyId = field(
    'Access key id',
    input({
      name: 'accessKeyId',
      value: saved?.accessKeyId ?? '',
      autocomplete: 'username',
      spellcheck: 'false',
    }),
  );
  const secret = field(
    'Secret access key',
    input({
      name: 'secretAccessKey',
      type: 'password',
      value: saved?.secretAccessKey ?? '',
      autocomplete: 'current-password',
    }),
    'Kept in this tab’s session storage only and used to sign requests in the page; closing the tab forgets it.',
  );
  const result = h('p', { role: 'alert', class: 'error', hidden: true });
  const form = h(
    'form',
    {
      class: 'card',
      onsubmit: (e: Event) => {
        e.preventDefault();
        const settings: Settings = {
          endpoint: endpoint.control.value.trim().replace(/\/+$/, ''),
          region: region.control.value.trim(),
          accessKeyId: keyId.control.value.trim(),
          secretAccessKey: secret.control.value,
        };
        let bad = false;
        for (const [f, v] of [
          [endpoint, settings.endpoint],
          [region, settings.region],
          [keyId, settings.accessKeyId],
          [secret, settings.secretAccessKey],
        ] as const) {
          f.setError(v === '' ? 'Required.' : undefined);
          bad ||= v === '';
        }
        if (bad) return;
        result.hidden = true;
        // Checked with one signed read before it is kept, so a typo shows here rather than on every page.
        makeClients(settings)
          .control.send(new ListDatasetGroupsCommand({ maxResults: 1 }))
          .then(() => {
            saveSettings(settings);
            if (location.hash !== '#/groups') location.hash = '#/groups';
            else document.dispatchEvent(new Event('console:signed-in'));
          })
          .catch((err: unknown) => {
            result.hidden = false;
            result.textContent = `The API refused these credentials: ${describeError(err)}`;
          });
      },
    },
    endpoint.wrap,
    region.wrap,
    keyId.wrap,
    secret.wrap,
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Sign in')),
    result,
  );
  const forget = saved
    ? h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          onclick: () => {
            forgetSettings();
            document.dispatchEvent(new Event('console:signed-in'));
          },
        },
        'Forget credentials',
      )
    : null;
  return h(
    'section',
    {},
    h('h2', {}, 'Credentials'),
    h(
      'p',
      {},
      'Requests go straight from this page to the API, signed with SigV4 using the key pair below (`npm start` prints the local pair; on AWS it is in the stack’s Secrets Manager secret).',
    ),
    form,
    forget,
  );
}
