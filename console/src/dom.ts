/** A few DOM helpers: elements from tag + props + children, and labelled form fields. */

export type Child = Node | string | number | null | undefined | false | readonly Child[];
type Props = Record<string, string | number | boolean | EventListener | undefined>;

let nextId = 0;
/** A unique element id, so every control can be tied to its label and its error text. */
export function uid(prefix: string): string {
  nextId++;
  return `${prefix}-${nextId}`;
}

function append(parent: Node, child: Child): void {
  if (child === null || child === undefined || child === false) return;
  if (Array.isArray(child)) {
    for (const c of child as readonly Child[]) append(parent, c);
    return;
  }
  parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === 'value' && 'value' in el) {
      (el as HTMLInputElement).value = String(value);
    } else if (key === 'checked' && el instanceof HTMLInputElement) {
      el.checked = value === true;
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  for (const c of children) append(el, c);
  return el;
}

/** Replaces an element's children. */
export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  for (const c of children) append(el, c);
}

type Control = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

/** A labelled control with an optional hint and an error slot the control is described by. */
export function field<T extends Control>(
  label: string,
  control: T,
  hint?: string,
): { readonly wrap: HTMLDivElement; readonly control: T; setError(message?: string): void } {
  if (control.id === '') control.id = uid('f');
  const hintId = `${control.id}-hint`;
  const errorId = `${control.id}-error`;
  const error = h('p', { id: errorId, class: 'error', hidden: true });
  control.setAttribute('aria-describedby', hint === undefined ? errorId : `${hintId} ${errorId}`);
  const wrap = h(
    'div',
    { class: 'field' },
    h('label', { for: control.id }, label),
    control,
    hint === undefined ? null : h('p', { id: hintId, class: 'hint' }, hint),
    error,
  );
  return {
    wrap,
    control,
    setError(message?: string) {
      error.hidden = message === undefined;
      error.textContent = message ?? '';
      if (message === undefined) control.removeAttribute('aria-invalid');
      else control.setAttribute('aria-invalid', 'true');
    },
  };
}

export function input(props: Props = {}): HTMLInputElement {
  return h('input', { type: 'text', ...props });
}

export function select(
  options: readonly (readonly [string, string])[],
  props: Props = {},
): HTMLSelectElement {
  return h('select', props, ...options.map(([value, text]) => h('option', { value }, text)));
}

/** A table with a caption, column headers and one row per entry; `empty` is shown when there are no rows. */
export function table(
  caption: string,
  headers: readonly string[],
  rows: readonly (readonly Child[])[],
  empty = 'None yet.',
): HTMLElement {
  if (rows.length === 0) return h('p', { class: 'empty' }, `${caption}: ${empty}`);
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      {},
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, ...headers.map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c))))),
    ),
  );
}

/** The last segment of an ARN, which is what people recognise a resource by. */
export function shortArn(arn: string | undefined): string {
  if (arn === undefined) return '';
  return arn.slice(arn.lastIndexOf('/') + 1);
}

export function when(date: Date | undefined): string {
  return date === undefined ? '' : date.toISOString().replace('T', ' ').slice(0, 19);
}

export function seconds(ms: number): string {
  return ms < 60_000
    ? `${(ms / 1000).toFixed(1)} s`
    : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}
