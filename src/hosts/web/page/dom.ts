/**
 * Building the DOM without markup strings: elements, attributes, listeners and text nodes
 * only (no innerHTML, so nothing needs a Trusted Types policy and no text is ever parsed).
 */

export type Child = Node | string | number | null | undefined | false | readonly Child[];

type Listener = (event: Event) => void;
/** Attributes (`false`/`null`/`undefined` leave one out, `true` sets it empty) and `on…` listeners. */
export type Props = Record<string, string | number | boolean | null | undefined | Listener>;

function append(parent: Node, child: Child): void {
  if (child === null || child === undefined || child === false) return;
  if (Array.isArray(child)) for (const c of child as readonly Child[]) append(parent, c);
  else parent.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : (child as Node));
}

/** An element with its attributes, listeners and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (typeof value === 'function') el.addEventListener(key.slice(2).toLowerCase(), value as Listener);
    else if (value === true) el.setAttribute(key, '');
    else if (value !== false && value !== null && value !== undefined) el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

/** Replaces the children of an element. */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** Text with `code` spans where the message quotes a name between backticks. */
export function withCode(text: string): Child[] {
  return text.split('`').map((piece, i) => (i % 2 === 1 ? h('code', {}, piece) : piece));
}

let ids = 0;
/** A fresh id for label/control pairs. */
export function uid(prefix: string): string {
  ids += 1;
  return `${prefix}-${ids}`;
}
