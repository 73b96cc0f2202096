/**
 * The web administration page: sign-in with a bearer token, the navigation made from the
 * server's schema, one page per configuration object with an editor per field, and the
 * save of a page as one JMAP `/set`. Plain DOM; the language runs here as on the server.
 */
import type { BlockInput } from '../../../language/index.js';
import { ApiClient, ApiFailure, MethodFailure, tokenStore, Unauthorized, type StoredRecord } from './client.js';
import { fill, h, withCode, type Child } from './dom.js';
import { FieldEditor, fieldState, isDirty, type FieldState } from './editor.js';
import { copyBlock, locationSteps, navTree, sameBlock, toBlockInput, toEditBlock, type NavNode } from './model.js';
import type { ObjectDocument, Objects } from './schema.js';

/** An object as the page holds it: the state its fields were loaded at, and each field. */
interface ObjectState {
  name: string;
  doc: ObjectDocument;
  state: string;
  fields: FieldState[];
}

const APP_NAME = 'mta-expr';

const count = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** The fields whose stored block differs from what the page had loaded. */
function changedOnServer(object: ObjectState, record: StoredRecord): string[] {
  return object.fields.filter((f) => record.blocks[f.name] !== undefined && !sameBlock(toEditBlock(record.blocks[f.name]), f.base)).map((f) => f.name);
}

/** Takes the server's record as the base; unsaved edits are kept unless `discard`. */
function rebase(object: ObjectState, record: StoredRecord, discard: boolean): void {
  object.state = record.state;
  for (const f of object.fields) {
    const stored = record.blocks[f.name];
    if (stored === undefined) continue;
    const keep = !discard && isDirty(f);
    f.base = toEditBlock(stored);
    if (!keep) {
      f.draft = copyBlock(f.base);
      f.reset = false;
    }
    f.serverError = null;
    f.serverWarnings = [];
  }
}

class App {
  private readonly root: HTMLElement;
  private client: ApiClient | null = null;
  private schema: Objects | null = null;
  private readonly objects = new Map<string, ObjectState>();
  private nav: HTMLElement | null = null;
  private main: HTMLElement | null = null;
  private page: ObjectPage | null = null;

  constructor(root: HTMLElement) {
    this.root = root;
    window.addEventListener('hashchange', () => void this.route());
    window.addEventListener('beforeunload', (e) => {
      if (this.unsaved().length > 0) e.preventDefault();
    });
    window.addEventListener('keydown', (e) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 's' && this.page !== null) {
        e.preventDefault();
        void this.page.save();
      }
    });
  }

  async start(): Promise<void> {
    const token = tokenStore.get();
    if (token === null) this.showLogin();
    else await this.signIn(token);
  }

  /** Objects with unsaved changes. */
  unsaved(): string[] {
    return [...this.objects.values()].filter((o) => o.fields.some(isDirty)).map((o) => o.name);
  }

  private showLogin(message?: string): void {
    this.client = null;
    this.schema = null;
    this.page = null;
    this.objects.clear();
    document.title = `Sign in · ${APP_NAME}`;
    const input = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true, 'aria-describedby': 'token-help login-error' });
    const error = h('p', { id: 'login-error', class: 'login-error', role: 'alert' }, message ?? '');
    const button = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
    const form = h(
      'form',
      {
        class: 'login-form',
        onsubmit: (e: Event) => {
          e.preventDefault();
          const token = input.value.trim();
          if (token === '') return;
          button.disabled = true;
          fill(error, 'Signing in…');
          void this.signIn(token).finally(() => (button.disabled = false));
        },
      },
      h('label', { for: 'token' }, 'Bearer token'),
      input,
      h('p', { id: 'token-help', class: 'help' }, 'The administrator token of this server (MTA_EXPR_ADMIN_TOKEN) or another token it knows. It is kept for this browser tab only and sent in the Authorization header, never in a URL.'),
      button,
      error,
    );
    fill(this.root, h('main', { class: 'login', id: 'main' }, h('h1', {}, `${APP_NAME} administration`), h('p', { class: 'lead' }, 'Sign in to edit the configuration objects of this server.'), form));
    input.focus();
  }

  private async signIn(token: string): Promise<void> {
    let client: ApiClient;
    try {
      client = await ApiClient.connect(token);
    } catch (e) {
      // A refused token is forgotten; an unreachable server keeps it for the next try.
      if (e instanceof Unauthorized) tokenStore.clear();
      this.showLogin(e instanceof Unauthorized ? `The server refused this token (${e.message}).` : e instanceof Error ? e.message : String(e));
      return;
    }
    tokenStore.set(token);
    this.client = client;
    this.schema = client.objects;
    this.renderShell();
    await this.route();
  }

  signOut(message?: string): void {
    tokenStore.clear();
    this.showLogin(message);
  }

  private renderShell(): void {
    const main = h('main', { id: 'main', tabindex: '-1' });
    const nav = h('nav', { class: 'sidebar', 'aria-label': 'Settings' });
    const skip = h('a', { class: 'skip', href: '#main', onclick: (e: Event) => (e.preventDefault(), main.focus()) }, 'Skip to content');
    fill(
      this.root,
      skip,
      h(
        'header',
        { class: 'topbar' },
        h('a', { class: 'brand', href: '#/' }, APP_NAME),
        h('span', { class: 'brand-sub' }, 'administration'),
        h('button', { type: 'button', class: 'secondary signout', onclick: () => this.confirmSignOut() }, 'Sign out'),
      ),
      h('div', { class: 'layout' }, nav, main),
    );
    this.nav = nav;
    this.main = main;
  }

  private confirmSignOut(): void {
    const unsaved = this.unsaved();
    if (unsaved.length === 0) return this.signOut();
    confirmDialog(`Sign out and lose the unsaved changes of ${unsaved.join(', ')}?`, 'Sign out', () => this.signOut());
  }

  /** The navigation, from each object's location: Settings › MTA › Session › AUTH Stage. */
  renderNav(current: string | null): void {
    if (this.nav === null || this.schema === null) return;
    const unsaved = new Set(this.unsaved());
    const node = (n: NavNode): HTMLElement => {
      if (n.object !== undefined) {
        const o = n.object;
        const access = this.schema![o]!.access;
        return h(
          'li',
          {},
          h(
            'a',
            { href: `#/${o}`, 'aria-current': o === current ? 'page' : false, title: o },
            n.label,
            unsaved.has(o) ? h('span', { class: 'unsaved-dot', 'aria-label': ' (unsaved changes)', role: 'img' }, '•') : null,
            !access.get ? h('span', { class: 'lock' }, ' (no access)') : !access.update ? h('span', { class: 'lock' }, ' (read only)') : null,
          ),
        );
      }
      return h('li', {}, h('span', { class: 'nav-heading' }, n.label), h('ul', {}, n.children.map(node)));
    };
    fill(this.nav, h('ul', { class: 'tree' }, navTree(this.schema).map(node)));
  }

  private async route(): Promise<void> {
    if (this.schema === null || this.main === null) return;
    const hash = location.hash;
    if (hash === '#main') return;
    const name = decodeURIComponent(hash.replace(/^#\/?/, ''));
    this.page = null;
    if (name === '') return this.overview();
    const doc = Object.prototype.hasOwnProperty.call(this.schema, name) ? this.schema[name] : undefined;
    this.renderNav(doc ? name : null);
    if (doc === undefined) {
      document.title = `Not found · ${APP_NAME}`;
      fill(this.main, h('h1', { tabindex: '-1' }, 'Not found'), h('p', {}, 'This server has no object ', h('code', {}, name), '. ', h('a', { href: '#/' }, 'All settings')));
      this.focusHeading();
      return;
    }
    const steps = locationSteps(doc.location);
    document.title = `${steps[steps.length - 1] ?? name} · ${APP_NAME}`;
    if (!doc.access.get) {
      fill(this.main, h('h1', { tabindex: '-1' }, steps[steps.length - 1] ?? name), h('p', { class: 'notice' }, 'This token may not read ', h('code', {}, name), '.'));
      this.focusHeading();
      return;
    }
    fill(this.main, h('p', { class: 'loading', role: 'status' }, 'Loading…'));
    let record: StoredRecord;
    try {
      record = await this.client!.get(name);
    } catch (e) {
      return this.failure(e, () => void this.route());
    }
    if (this.main === null || decodeURIComponent(location.hash.replace(/^#\/?/, '')) !== name) return;
    let object = this.objects.get(name);
    let notice: string | null = null;
    if (object === undefined || !object.fields.some(isDirty)) {
      object = { name, doc, state: record.state, fields: Object.entries(doc.fields).map(([f, fd]) => fieldState(f, fd, toEditBlock(record.blocks[f] ?? fd.default))) };
      this.objects.set(name, object);
    } else if (record.state !== object.state) {
      const changed = changedOnServer(object, record).filter((f) => isDirty(object!.fields.find((x) => x.name === f)!));
      rebase(object, record, false);
      if (changed.length > 0) notice = `Changed on the server while you were editing: ${changed.join(', ')}. Your unsaved version is kept; "Undo changes" on a field shows the server's.`;
    }
    this.page = new ObjectPage(this, object, this.client!);
    fill(this.main, this.page.root);
    if (notice !== null) this.page.say(notice, 'warn');
    this.focusHeading();
  }

  private focusHeading(): void {
    this.main?.querySelector<HTMLElement>('h1')?.focus({ preventScroll: false });
  }

  private overview(): void {
    const schema = this.schema!;
    this.renderNav(null);
    document.title = `Settings · ${APP_NAME}`;
    const cards = Object.entries(schema).map(([name, o]) =>
      h(
        'li',
        { class: 'card' },
        h('h2', {}, h('a', { href: `#/${name}` }, locationSteps(o.location).slice(-1)[0] ?? name)),
        h('p', { class: 'crumbs' }, o.location, ' · ', h('code', {}, name)),
        h('p', {}, o.description),
        h('p', { class: 'meta' }, count(Object.keys(o.fields).length, 'field'), o.access.update ? '' : o.access.get ? ' · read only for this token' : ' · not readable with this token'),
      ),
    );
    fill(this.main!, h('h1', { tabindex: '-1' }, 'Settings'), h('p', { class: 'lead' }, 'The configuration objects of this server. Each field is an expression, checked here as you type by the same engine as the server.'), h('ul', { class: 'cards' }, cards));
    this.focusHeading();
  }

  /** A failed request: sign in again on 401, otherwise the message with a retry. */
  failure(e: unknown, retry: () => void): void {
    if (e instanceof Unauthorized) return this.signOut(`The server no longer accepts this token (${e.message}). Sign in again.`);
    if (this.main === null) return;
    fill(this.main, h('h1', { tabindex: '-1' }, 'Something went wrong'), h('p', { class: 'notice error', role: 'alert' }, e instanceof Error ? e.message : String(e)), h('button', { type: 'button', class: 'primary', onclick: retry }, 'Retry'));
    this.focusHeading();
  }
}

/** A modal question with one action and Cancel. */
function confirmDialog(text: string, action: string, run: () => void): void {
  const dialog = h('dialog', { class: 'dialog', 'aria-label': text });
  const close = () => {
    dialog.close();
    dialog.remove();
  };
  fill(dialog, h('p', {}, text), h('div', { class: 'dialog-actions' }, h('button', { type: 'button', class: 'danger', onclick: () => (close(), run()) }, action), h('button', { type: 'button', class: 'secondary', autofocus: true, onclick: close }, 'Cancel')));
  document.body.appendChild(dialog);
  dialog.showModal();
}

/** The page of one object: its fields, and the bar that saves them. */
class ObjectPage {
  readonly root: HTMLElement;
  private readonly editors: FieldEditor[];
  private readonly saveButton: HTMLButtonElement;
  private readonly discardButton: HTMLButtonElement;
  private readonly summary: HTMLElement;
  private readonly message: HTMLElement;
  private readonly stateText: HTMLElement;
  private saving = false;

  constructor(
    private readonly app: App,
    private readonly object: ObjectState,
    private readonly client: ApiClient,
  ) {
    const { doc, name } = object;
    const steps = locationSteps(doc.location);
    const readOnly = !doc.access.update;
    this.summary = h('span', { class: 'save-summary' });
    this.message = h('p', { class: 'save-message', role: 'status', 'aria-live': 'polite' });
    this.stateText = h('span', { class: 'state' });
    this.saveButton = h('button', { type: 'button', class: 'primary', disabled: true, onclick: () => void this.save() }, 'Save');
    this.discardButton = h('button', { type: 'button', class: 'secondary', disabled: true, onclick: () => this.discard() }, 'Discard changes');
    this.editors = object.fields.map((f) => new FieldEditor(f, readOnly, () => this.update()));
    this.root = h(
      'div',
      { class: 'object-page' },
      h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('ol', {}, steps.map((s, i) => h('li', { 'aria-current': i === steps.length - 1 ? 'page' : false }, s)))),
      h('h1', { tabindex: '-1' }, steps[steps.length - 1] ?? name),
      h('p', { class: 'object-meta' }, h('code', {}, name), ' · ', this.stateText),
      h('p', { class: 'lead' }, doc.description),
      readOnly ? h('p', { class: 'notice' }, 'This token may read but not change ', h('code', {}, name), '.') : null,
      h('div', { class: 'fields' }, this.editors.map((e) => e.root)),
      h('div', { class: 'savebar', role: 'region', 'aria-label': `Save ${name}` }, h('div', { class: 'save-text' }, this.summary, this.message), h('div', { class: 'save-actions' }, this.discardButton, this.saveButton)),
    );
    this.update();
  }

  say(text: string, kind: 'ok' | 'warn' | 'error'): void {
    this.message.className = `save-message ${kind}`;
    fill(this.message, withCode(text));
  }

  /** The unsaved fields, the faults, and the buttons. */
  private update(): void {
    if (this.editors === undefined) return; // editors report while they are built
    const dirty = this.object.fields.filter(isDirty);
    const faults = this.editors.reduce((n, e) => n + e.faults(), 0);
    const parts: Child[] = [dirty.length === 0 ? 'No unsaved changes' : `${dirty.length} unsaved change${dirty.length === 1 ? '' : 's'}: ${dirty.map((f) => f.name).join(', ')}`];
    if (faults > 0) parts.push(h('span', { class: 'faults' }, ` · ${faults} expression${faults === 1 ? ' does' : 's do'} not compile: the server will refuse the save`));
    fill(this.summary, parts);
    fill(this.stateText, `state ${this.object.state}`);
    const readOnly = !this.object.doc.access.update;
    this.saveButton.disabled = readOnly || this.saving || dirty.length === 0;
    this.discardButton.disabled = this.saving || dirty.length === 0;
    this.app.renderNav(this.object.name);
  }

  private discard(): void {
    for (const f of this.object.fields) {
      f.draft = copyBlock(f.base);
      f.reset = false;
      f.serverError = null;
      f.serverWarnings = [];
    }
    for (const e of this.editors) e.refresh();
    this.say('Changes discarded.', 'ok');
  }

  /** Sends the changed fields in one `/set` (null for "reset to default"), if the server is still where the page loaded it. */
  async save(): Promise<void> {
    const dirty = this.object.fields.filter(isDirty);
    if (this.saving || dirty.length === 0 || !this.object.doc.access.update) return;
    const patch: Record<string, BlockInput | null> = {};
    for (const f of dirty) patch[f.name] = f.reset ? null : toBlockInput(f.draft);
    this.saving = true;
    this.update();
    this.say('Saving…', 'ok');
    try {
      const outcome = await this.client.save(this.object.name, patch, this.object.state);
      if (outcome.kind === 'saved') {
        // Only this object's state moved: the others the page holds are as current as before.
        rebase(this.object, outcome.current, true);
        for (const f of this.object.fields) f.serverWarnings = outcome.warnings[f.name] ?? [];
        for (const e of this.editors) e.refresh();
        const warned = this.object.fields.filter((f) => f.serverWarnings.length > 0).map((f) => f.name);
        const saved = `Saved ${dirty.map((f) => f.name).join(', ')} (state ${outcome.oldState} → ${outcome.newState})`;
        if (warned.length === 0) this.say(`${saved}.`, 'ok');
        else this.say(`${saved}, with lint warnings on ${warned.join(', ')}: the values are in force; see the warnings by the field${warned.length === 1 ? '' : 's'}.`, 'warn');
      } else if (outcome.kind === 'rejected') {
        const refused = outcome.properties.filter((p) => this.object.fields.some((f) => f.name === p));
        for (const f of this.object.fields) f.serverError = refused.includes(f.name) ? outcome.description : null;
        for (const e of this.editors) if (refused.includes(e.field.name)) e.refresh();
        this.say(`Not saved: the server refused ${refused.length > 0 ? refused.join(', ') : `the change (${outcome.type}: ${outcome.description})`}. Nothing was changed.`, 'error');
        const first = this.editors.find((e) => refused.includes(e.field.name));
        (first?.firstFault() ?? first?.root.querySelector('textarea'))?.focus();
      } else {
        this.conflict(outcome.current);
      }
    } catch (e) {
      if (e instanceof Unauthorized || !(e instanceof ApiFailure || e instanceof MethodFailure)) {
        this.saving = false;
        if (e instanceof Unauthorized) return this.app.signOut(`The server no longer accepts this token (${e.message}). Sign in again.`);
        throw e;
      }
      this.say(`Not saved: ${e.message}`, 'error');
    } finally {
      this.saving = false;
      this.update();
    }
  }

  /** `stateMismatch`: someone changed this object since the page loaded it; nothing of ours was saved. Offer a reload. */
  private conflict(current: StoredRecord): void {
    const changed = changedOnServer(this.object, current);
    this.say('Not saved: someone else saved meanwhile.', 'error');
    const dialog = h('dialog', { class: 'dialog conflict', 'aria-labelledby': 'conflict-title' });
    const done = (discard: boolean | null) => {
      dialog.close();
      dialog.remove();
      if (discard === null) return;
      rebase(this.object, current, discard);
      for (const e of this.editors) e.refresh();
      this.say(discard ? 'Reloaded: the page shows what the server has now.' : 'Reloaded: your unsaved changes are kept on top of what the server has now. Check them and save again.', 'warn');
    };
    fill(
      dialog,
      h('h2', { id: 'conflict-title' }, 'Someone else saved meanwhile'),
      h('p', {}, `${this.object.name} changed on the server after this page loaded it (the page had its state ${this.object.state}, the server is at state ${current.state}): another administrator, the command line or another tab saved it. Nothing of yours was saved.`),
      changed.length > 0
        ? h('p', {}, `Changed in ${this.object.name}: `, changed.map((c, i) => [i > 0 ? ', ' : '', h('code', {}, c)]), '.')
        : h('p', {}, `No field of ${this.object.name} differs from what the page loaded: the change was undone since.`),
      h(
        'div',
        { class: 'dialog-actions' },
        h('button', { type: 'button', class: 'primary', autofocus: true, onclick: () => done(false) }, 'Reload and keep my changes'),
        h('button', { type: 'button', class: 'secondary', onclick: () => done(true) }, 'Reload and discard my changes'),
        h('button', { type: 'button', class: 'secondary', onclick: () => done(null) }, 'Cancel'),
      ),
    );
    dialog.addEventListener('cancel', () => dialog.remove());
    document.body.appendChild(dialog);
    dialog.showModal();
  }
}

const root = document.getElementById('app');
if (root !== null) void new App(root).start();
