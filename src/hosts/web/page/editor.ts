/**
 * The editor of one field: its name, description, type and default, the variables and
 * constants of its context (buttons that insert the name where the cursor was), the
 * if/then/else block (add, remove and reorder conditions), the live check of every string,
 * the lint warnings of the block, the server's verdict after a save (a refusal, or the
 * warnings it saved the block with), "reset to default" and the try-it panel. Errors and
 * warnings show alike: the message, the line with the caret, and the fix when there is one.
 */
import { CompileError, diagnosticJson, renderFix, type Diagnostic } from '../../../language/index.js';
import type { SetWarning } from '../../api/warnings.js';
import type { FieldDocument } from './schema.js';
import { fill, h, uid, withCode, type Child } from './dom.js';
import { blockSummary, copyBlock, sameBlock, toBlockInput, toEditBlock, typeLabel, type EditBlock } from './model.js';
import { TryPanel } from './tryit.js';
import { checkString, lintBlock, partOf, type Check, type StringPart } from './validate.js';

/** A field as the page holds it: what the server has, what the user is writing, and the server's last refusal. */
export interface FieldState {
  name: string;
  doc: FieldDocument;
  /** As stored on the server (its default when unset). */
  base: EditBlock;
  draft: EditBlock;
  /** "Reset to default" was chosen: the save sends null. */
  reset: boolean;
  /** The server's refusal at the last save (description with its caret), or null. */
  serverError: string | null;
  /** The lint warnings the server saved the block with at the last save. */
  serverWarnings: SetWarning[];
}

export function fieldState(name: string, doc: FieldDocument, stored: EditBlock): FieldState {
  return { name, doc, base: stored, draft: copyBlock(stored), reset: false, serverError: null, serverWarnings: [] };
}

export const isDirty = (f: FieldState): boolean => f.reset || !sameBlock(f.draft, f.base);
export const isDefaultBlock = (f: FieldState, block: EditBlock): boolean => sameBlock(block, toEditBlock(f.doc.default));

/** Milliseconds between the last keystroke and the check (the layout stays still while typing). */
const CHECK_DELAY = 180;

interface ExpressionInput {
  part: StringPart;
  textarea: HTMLTextAreaElement;
  diag: HTMLElement;
  timer: number | undefined;
  /** The last check's outcome, for the count of faults. */
  check: Check | null;
  /** The block's lint warnings in this string. */
  lints: Diagnostic[];
}

const partLabel = (part: StringPart): string => (part.kind === 'else' ? 'else' : `${part.kind} of condition ${part.index + 1}`);
const samePart = (a: StringPart, b: StringPart): boolean => a.kind === b.kind && (a.kind === 'else' || a.index === (b as { index: number }).index);

/**
 * One finding as the page shows it, compile error or warning alike: `error[code]` or
 * `warning[code]`, the message, then the source line with the caret and the fix line.
 */
function finding(severity: string, code: string, message: string, snippet: string, fix: string | null, position?: string): Child {
  return [
    h('p', { class: `msg${severity === 'error' ? '' : ' warn'}` }, h('strong', { class: 'code' }, `${severity}[${code}]`), ' ', withCode(message), position ? h('span', { class: 'pos' }, ` (${position})`) : null),
    snippet ? h('pre', { class: 'snippet' }, fix ? `${snippet}\n${fix}` : snippet) : null,
  ];
}

/** A lint warning in the shape the server answers a save with (its message says where). */
const warningFinding = (w: SetWarning): Child => finding(w.severity, w.code, w.message, w.snippet, w.fix ? renderFix(w.line, w.fix) : null);

export class FieldEditor {
  readonly root: HTMLElement;
  private readonly conditions: HTMLOListElement;
  private readonly elseSlot: HTMLElement;
  private readonly status: HTMLElement;
  private readonly serverBox: HTMLElement;
  private readonly serverNote: HTMLElement;
  private readonly resetButton: HTMLButtonElement;
  private readonly undoButton: HTMLButtonElement;
  private readonly tryButton: HTMLButtonElement;
  private readonly trySlot: HTMLElement;
  private inputs: ExpressionInput[] = [];
  private lastFocused: HTMLTextAreaElement | null = null;
  private tryPanel: TryPanel | null = null;
  private tryTimer: number | undefined;
  /** The block the lint warnings were computed for, and them. */
  private linted: { key: string; found: Diagnostic[] } | null = null;

  constructor(
    readonly field: FieldState,
    private readonly readOnly: boolean,
    /** Called after every change of the draft. */
    private readonly changed: () => void,
  ) {
    const { name, doc } = field;
    const headingId = `field-${name}-heading`;
    this.status = h('span', { class: 'field-status' });
    this.serverBox = h('div', { class: 'server-error', role: 'alert', hidden: true });
    this.serverNote = h('div', { class: 'server-warnings', role: 'status', hidden: true });
    this.conditions = h('ol', { class: 'conditions', 'aria-label': `Conditions of ${name}` });
    this.elseSlot = h('div', { class: 'else-slot' });
    this.resetButton = h('button', { type: 'button', class: 'secondary', 'aria-label': `Reset ${name} to default`, onclick: () => this.resetToDefault() }, 'Reset to default');
    this.undoButton = h('button', { type: 'button', class: 'secondary', 'aria-label': `Undo changes of ${name}`, onclick: () => this.undo() }, 'Undo changes');
    const tryId = `field-${name}-try`;
    this.tryButton = h('button', { type: 'button', class: 'secondary', 'aria-label': `Try it: ${name}`, 'aria-expanded': 'false', 'aria-controls': tryId, onclick: () => this.toggleTry() }, 'Try it');
    this.trySlot = h('div', { id: tryId, class: 'try-slot', hidden: true });
    const { variableNames, constantNames } = doc;
    const chips = (names: readonly string[], kind: string): Child =>
      names.map((n) => h('button', { type: 'button', class: `chip chip-${kind}`, 'aria-label': `Insert ${kind} ${n}`, disabled: readOnly, onmousedown: (e: Event) => e.preventDefault(), onclick: () => this.insert(n) }, n));
    const addButton = h('button', { type: 'button', class: 'secondary add', 'aria-label': `Add condition to ${name}`, disabled: readOnly, onclick: () => this.addCondition() }, '+ Add condition');
    this.root = h(
      'section',
      { class: 'field', id: `field-${name}`, 'aria-labelledby': headingId },
      h(
        'header',
        { class: 'field-head' },
        h('h3', { id: headingId }, h('code', {}, name)),
        h('span', { class: 'badge type' }, typeLabel(doc)),
        this.status,
      ),
      h('p', { class: 'description' }, doc.description),
      h('p', { class: 'default' }, h('span', { class: 'label' }, 'Default'), h('code', {}, blockSummary(toEditBlock(doc.default)))),
      h(
        'div',
        { class: 'context' },
        h(
          'div',
          { class: 'names', role: 'group', 'aria-label': `Variables available in ${name}` },
          h('span', { class: 'label' }, doc.variables ? `Variables (${doc.variables})` : 'Variables (all)'),
          chips(variableNames, 'variable'),
        ),
        constantNames.length > 0
          ? h('div', { class: 'names', role: 'group', 'aria-label': `Constants available in ${name}` }, h('span', { class: 'label' }, `Constants (${doc.constants})`), chips(constantNames, 'constant'))
          : h('p', { class: 'names none' }, h('span', { class: 'label' }, 'Constants'), 'none in this context'),
      ),
      this.serverBox,
      this.serverNote,
      this.conditions,
      h('div', { class: 'add-row' }, addButton),
      this.elseSlot,
      h('div', { class: 'field-actions' }, this.undoButton, this.resetButton, this.tryButton),
      this.trySlot,
    );
    this.renderBlock();
  }

  /** The number of strings that do not compile now. */
  faults(): number {
    return this.inputs.filter((i) => i.check !== null && !i.check.ok).length;
  }

  /** The first string that does not compile (to take the user there). */
  firstFault(): HTMLTextAreaElement | null {
    return this.inputs.find((i) => i.check !== null && !i.check.ok)?.textarea ?? null;
  }

  /** After a load or a save: show the field as it is now. */
  refresh(): void {
    this.renderBlock();
  }

  private expression(part: StringPart, value: string): { el: HTMLElement; input: ExpressionInput } {
    const id = uid(`field-${this.field.name}-${part.kind}`);
    const diag = h('div', { class: 'diag', id: `${id}-diag`, 'aria-live': 'polite' });
    const textarea = h('textarea', {
      id,
      class: 'expr',
      rows: 1,
      spellcheck: 'false',
      autocomplete: 'off',
      autocapitalize: 'off',
      'aria-describedby': diag.id,
      readonly: this.readOnly,
      'data-part': partLabel(part),
    });
    textarea.value = value;
    const input: ExpressionInput = { part, textarea, diag, timer: undefined, check: null, lints: [] };
    textarea.addEventListener('focus', () => {
      this.lastFocused = textarea;
    });
    textarea.addEventListener('blur', () => {
      // The height kept while typing goes once the action that took the focus away is done, so
      // a click on a control below lands where it was aimed before anything moves up.
      const done = new AbortController();
      const release = (): void => {
        done.abort();
        window.setTimeout(() => {
          if (document.activeElement !== textarea) diag.style.minHeight = '';
        }, 0);
      };
      document.addEventListener('pointerup', release, { signal: done.signal });
      document.addEventListener('keyup', release, { signal: done.signal });
    });
    textarea.addEventListener('input', () => this.edited(input));
    const label = h('label', { for: id, class: 'part-label' }, part.kind, h('span', { class: 'sr-only' }, part.kind === 'else' ? ` of ${this.field.name}` : ` of condition ${part.index + 1} of ${this.field.name}`));
    return { el: h('div', { class: `expression part-${part.kind}` }, label, textarea, diag), input };
  }

  /** Rebuilds the conditions and the `else` from the draft; `focus` picks the control to focus afterwards. */
  private renderBlock(focus?: { index: number; what: 'if' | 'up' | 'down' | 'remove' } | 'add' | 'else'): void {
    const { draft } = this.field;
    for (const i of this.inputs) window.clearTimeout(i.timer);
    this.inputs = [];
    const n = draft.match.length;
    const items = draft.match.map((c, index) => {
      const cond = this.expression({ kind: 'if', index }, c.if);
      const then = this.expression({ kind: 'then', index }, c.then);
      this.inputs.push(cond.input, then.input);
      const title = `condition ${index + 1} of ${this.field.name}`;
      const button = (what: 'up' | 'down' | 'remove', text: string, label: string, disabled: boolean, run: () => void) =>
        h('button', { type: 'button', class: `icon ${what}`, 'aria-label': label, title: label, disabled: this.readOnly || disabled, 'data-what': what, onclick: run }, text);
      return h(
        'li',
        { class: 'condition' },
        h(
          'div',
          { class: 'condition-head' },
          h('span', { class: 'condition-title' }, `Condition ${index + 1}`),
          h(
            'span',
            { class: 'condition-tools' },
            button('up', '↑', `Move ${title} up`, index === 0, () => this.move(index, -1)),
            button('down', '↓', `Move ${title} down`, index === n - 1, () => this.move(index, 1)),
            button('remove', '✕', `Remove ${title}`, false, () => this.remove(index)),
          ),
        ),
        cond.el,
        then.el,
      );
    });
    fill(this.conditions, items);
    this.conditions.hidden = n === 0;
    const otherwise = this.expression({ kind: 'else' }, draft.else);
    this.inputs.push(otherwise.input);
    fill(this.elseSlot, otherwise.el);
    for (const i of this.inputs) this.check(i);
    this.relint();
    this.update();
    this.scheduleTry(0);
    if (focus === undefined) return;
    if (focus === 'else') otherwise.input.textarea.focus();
    else if (focus === 'add') this.inputs[(n - 1) * 2]?.textarea.focus();
    else {
      const li = this.conditions.children[Math.min(focus.index, n - 1)];
      if (li === undefined) {
        otherwise.input.textarea.focus();
        return;
      }
      const target = focus.what === 'if' || focus.what === 'remove' ? li.querySelector('textarea') : li.querySelector<HTMLButtonElement>(`button[data-what="${focus.what}"]`);
      // A move button that became disabled (the condition reached an end) hands focus to the other one.
      const usable = target instanceof HTMLButtonElement && target.disabled ? li.querySelector<HTMLButtonElement>(`button[data-what="${focus.what === 'up' ? 'down' : 'up'}"]`) : target;
      (usable as HTMLElement | null)?.focus();
    }
  }

  private edited(input: ExpressionInput): void {
    const { part, textarea } = input;
    const { draft } = this.field;
    if (part.kind === 'else') draft.else = textarea.value;
    else draft.match[part.index]![part.kind] = textarea.value;
    this.field.reset = false;
    this.field.serverError = null;
    this.field.serverWarnings = [];
    window.clearTimeout(input.timer);
    input.timer = window.setTimeout(() => {
      // The strings of a block depend on each other only through `else` being needed: recheck it too.
      this.check(input);
      const otherwise = this.inputs[this.inputs.length - 1]!;
      if (otherwise !== input) this.check(otherwise);
      // A lint may be about one string because of another (a condition that an earlier one hides).
      this.relint();
      this.update();
      // The text whose check is shown now (for a reader of the page that waits for it).
      input.textarea.dataset.checked = input.textarea.value;
    }, CHECK_DELAY);
    this.update();
    this.scheduleTry(CHECK_DELAY);
  }

  /** Checks one string and shows the outcome under it. */
  private check(input: ExpressionInput): void {
    input.check = checkString(this.field.doc, this.field.draft, input.part);
    this.show(input);
  }

  /** The block's lint warnings, each shown under its string (computed once per block). */
  private relint(): void {
    const block = toBlockInput(this.field.draft);
    const key = JSON.stringify(block);
    if (this.linted?.key !== key) this.linted = { key, found: lintBlock(this.field.doc, block) };
    for (const input of this.inputs) {
      const lints = this.linted.found.filter((d) => samePart(partOf(d), input.part));
      if (lints.length === 0 && input.lints.length === 0) continue;
      input.lints = lints;
      this.show(input);
    }
  }

  /** A string's check and its lint warnings, under it. */
  private show(input: ExpressionInput): void {
    const { diag, textarea, lints } = input;
    const result = input.check!;
    // While the user types here, the message area keeps the height it reached: nothing below moves.
    if (document.activeElement === textarea) diag.style.minHeight = `${diag.getBoundingClientRect().height}px`;
    textarea.setAttribute('aria-invalid', String(!result.ok));
    if (result.ok) {
      // The lint says more of a result the field cannot read (and how to write it): its warning replaces the page's own.
      const own = result.warning !== undefined && !lints.some((d) => d.code === 'result-type') ? result.warning : undefined;
      diag.className = `diag ${own !== undefined || lints.length > 0 ? 'warning' : 'ok'}`;
      const reads = result.variables.length > 0 ? ` · reads ${result.variables.join(', ')}` : '';
      fill(
        diag,
        h('p', { class: 'msg' }, result.note ? result.note : ['✓ compiles', reads]),
        own !== undefined ? h('p', { class: 'msg warn' }, h('strong', {}, 'warning: '), withCode(own)) : null,
        // The live check's warnings in the form the server sends them: they show as the server's do.
        lints.map((d) => warningFinding(diagnosticJson(d) as unknown as SetWarning)),
      );
      return;
    }
    const e = result.error;
    diag.className = 'diag error';
    const hint = e instanceof CompileError && e.hint ? renderFix(e.line, e.hint) : null;
    fill(diag, finding('error', e.code, e.detail, e.snippet, hint, e.line > 0 ? `line ${e.line}, column ${e.column}` : undefined));
  }

  /** The header status, the server's refusal, and the buttons' states. */
  private update(): void {
    const f = this.field;
    const dirty = isDirty(f);
    const atDefault = isDefaultBlock(f, f.draft);
    fill(
      this.status,
      h('span', { class: `badge ${atDefault ? 'is-default' : 'custom'}` }, atDefault ? 'default' : 'customised'),
      f.reset ? h('span', { class: 'badge changed' }, 'reset on save') : dirty ? h('span', { class: 'badge changed' }, 'unsaved') : null,
    );
    this.serverBox.hidden = f.serverError === null;
    if (f.serverError !== null) fill(this.serverBox, h('p', {}, h('strong', {}, 'The server refused this value'), ' (nothing was saved):'), h('pre', { class: 'snippet' }, f.serverError));
    const warned = f.serverWarnings.length;
    this.serverNote.hidden = warned === 0;
    if (warned > 0) fill(this.serverNote, h('p', {}, h('strong', {}, 'Saved with ', warned === 1 ? 'a warning' : `${warned} warnings`), ' from the server (the value is in force):'), f.serverWarnings.map(warningFinding));
    this.root.classList.toggle('dirty', dirty);
    this.root.classList.toggle('refused', f.serverError !== null);
    this.undoButton.disabled = this.readOnly || !dirty;
    this.resetButton.disabled = this.readOnly || f.reset;
    this.changed();
  }

  private scheduleTry(delay: number): void {
    if (this.tryPanel === null) return;
    window.clearTimeout(this.tryTimer);
    this.tryTimer = window.setTimeout(() => void this.tryPanel?.update(), delay);
  }

  private toggleTry(): void {
    const open = this.trySlot.hidden;
    this.trySlot.hidden = !open;
    this.tryButton.setAttribute('aria-expanded', String(open));
    if (open && this.tryPanel === null) {
      this.tryPanel = new TryPanel(this.field.doc, () => toBlockInput(this.field.draft));
      fill(this.trySlot, this.tryPanel.root);
    }
    if (open) {
      this.scheduleTry(0);
      this.trySlot.querySelector('input')?.focus();
    }
  }

  /** Inserts a name where the cursor was in this field's last focused string (else the `else`). */
  private insert(name: string): void {
    if (this.readOnly) return;
    const target = this.lastFocused && this.lastFocused.isConnected ? this.lastFocused : this.inputs[this.inputs.length - 1]!.textarea;
    const start = target.selectionStart ?? target.value.length;
    const end = target.selectionEnd ?? start;
    const before = target.value.slice(0, start);
    const after = target.value.slice(end);
    const pad = (before.length > 0 && !/[\s([,]$/.test(before) ? ' ' : '') + name + (after.length > 0 && !/^[\s)\],]/.test(after) ? ' ' : '');
    target.setRangeText(pad, start, end, 'end');
    target.focus();
    target.dispatchEvent(new Event('input', { bubbles: true }));
  }

  private addCondition(): void {
    this.field.draft.match.push({ if: '', then: '' });
    this.field.reset = false;
    this.renderBlock('add');
  }

  private move(index: number, by: -1 | 1): void {
    const list = this.field.draft.match;
    const to = index + by;
    if (to < 0 || to >= list.length) return;
    [list[index], list[to]] = [list[to]!, list[index]!];
    this.field.reset = false;
    this.renderBlock({ index: to, what: by < 0 ? 'up' : 'down' });
  }

  private remove(index: number): void {
    this.field.draft.match.splice(index, 1);
    this.field.reset = false;
    this.renderBlock({ index, what: 'remove' });
  }

  private resetToDefault(): void {
    this.field.draft = copyBlock(toEditBlock(this.field.doc.default));
    this.field.reset = true;
    this.field.serverError = null;
    this.field.serverWarnings = [];
    this.renderBlock();
  }

  private undo(): void {
    this.field.draft = copyBlock(this.field.base);
    this.field.reset = false;
    this.field.serverError = null;
    this.field.serverWarnings = [];
    this.renderBlock();
  }
}
