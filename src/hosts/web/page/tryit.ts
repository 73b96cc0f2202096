/**
 * The try-it panel of a field: a form of the context's variables (with sample values for a
 * TLS submission session), and what the block does with them — each condition's value, the
 * branch taken, and the value read as the field's type, as the server would read it.
 */
import { EvaluationError, type Ast, type BlockInput, type Program } from '../../../language/index.js';
import type { FieldDocument } from './schema.js';
import { fill, h, uid, withCode } from './dom.js';
import { typeLabel } from './model.js';
import { sampleOf, systemSample, type SampleKind } from './samples.js';
import { compileBlock, tryBlock } from './validate.js';

interface Control {
  kind: SampleKind;
  input: HTMLInputElement;
}

/** Names of host values a program reads: `system(NAME)` and `$NAME`. */
function hostNames(program: Program): { system: Set<string>; globals: Set<string> } {
  const system = new Set<string>();
  const globals = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node === null || typeof node !== 'object' || typeof (node as { kind?: unknown }).kind !== 'string') return;
    const n = node as Ast.Node;
    if (n.kind === 'system') system.add(n.name);
    if (n.kind === 'global') globals.add(n.name);
    for (const value of Object.values(n)) if (typeof value === 'object') walk(value);
  };
  for (const part of program.parts) walk(part.checked);
  return { system, globals };
}

function control(name: string, kind: SampleKind, value: unknown, onInput: () => void): { row: HTMLElement; control: Control } {
  const id = uid(`try-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`);
  let input: HTMLInputElement;
  if (kind === 'boolean') input = h('input', { id, type: 'checkbox', name, onchange: onInput });
  else input = h('input', { id, type: kind === 'number' ? 'number' : 'text', name, spellcheck: 'false', autocomplete: 'off', oninput: onInput });
  if (kind === 'boolean') input.checked = value === true;
  else input.value = kind === 'list' ? JSON.stringify(value) : String(value);
  const label = h('label', { for: id }, h('code', {}, name), kind === 'list' ? h('span', { class: 'hint' }, ' (JSON list)') : null);
  const row = h('div', { class: `try-var${kind === 'boolean' ? ' try-bool' : ''}` }, kind === 'boolean' ? [input, label] : [label, input]);
  return { row, control: { kind, input } };
}

function read(c: Control): unknown {
  if (c.kind === 'boolean') return c.input.checked;
  if (c.kind === 'number') return c.input.value.trim() === '' ? '' : Number(c.input.value);
  if (c.kind === 'list') {
    try {
      const v: unknown = JSON.parse(c.input.value);
      return Array.isArray(v) ? v : [v];
    } catch {
      return c.input.value;
    }
  }
  return c.input.value;
}

export class TryPanel {
  readonly root: HTMLElement;
  private readonly vars = new Map<string, Control>();
  private readonly system = new Map<string, Control>();
  private readonly globals = new Map<string, Control>();
  private readonly hostForm: HTMLElement;
  private readonly output: HTMLElement;
  private run = 0;

  constructor(
    private readonly field: FieldDocument,
    private readonly block: () => BlockInput,
  ) {
    const names = field.variableNames;
    const varRows = names.map((name) => {
      const s = sampleOf(name);
      const { row, control: c } = control(name, s.kind, s.value, () => void this.update());
      this.vars.set(name, c);
      return row;
    });
    this.hostForm = h('div', { class: 'try-host' });
    this.output = h('div', { class: 'try-output', 'aria-live': 'polite' });
    const heading = uid('try-heading');
    this.root = h(
      'section',
      { class: 'tryit', 'aria-labelledby': heading },
      h('h4', { id: heading }, 'Try it'),
      h(
        'form',
        { class: 'try-form', onsubmit: (e: Event) => e.preventDefault() },
        h('fieldset', {}, h('legend', {}, `Session variables${field.variables ? ` (${field.variables})` : ''}`), h('div', { class: 'try-grid' }, varRows)),
        this.hostForm,
      ),
      this.output,
    );
  }

  /** Host-value controls for the names the block reads, keeping what the user typed. */
  private syncHost(program: Program): void {
    const { system, globals } = hostNames(program);
    const same = (map: Map<string, Control>, names: Set<string>) => map.size === names.size && [...names].every((n) => map.has(n));
    if (same(this.system, system) && same(this.globals, globals)) return;
    const rows = (map: Map<string, Control>, names: Set<string>, sample: (n: string) => string, label: (n: string) => string) =>
      [...names].sort().map((name) => {
        const old = map.get(name);
        const { row, control: c } = control(label(name), 'text', old ? old.input.value : sample(name), () => void this.update());
        map.set(name, c);
        return row;
      });
    for (const map of [this.system, this.globals]) for (const name of [...map.keys()]) if (!(map === this.system ? system : globals).has(name)) map.delete(name);
    const systemRows = rows(this.system, system, systemSample, (n) => `system('${n}')`);
    const globalRows = rows(this.globals, globals, () => '', (n) => `$${n}`);
    fill(
      this.hostForm,
      systemRows.length > 0 ? h('fieldset', {}, h('legend', {}, 'Host values'), h('div', { class: 'try-grid' }, systemRows)) : null,
      globalRows.length > 0 ? h('fieldset', {}, h('legend', {}, 'Globals'), h('div', { class: 'try-grid' }, globalRows)) : null,
    );
  }

  /** Runs the current block on the form's values and shows the walk. */
  async update(): Promise<void> {
    const run = ++this.run;
    const program = compileBlock(this.field, this.block());
    if (program === null) {
      fill(this.output, h('p', { class: 'try-blocked' }, 'The block does not compile: fix the errors above to try it.'));
      return;
    }
    this.syncHost(program);
    const vars: Record<string, unknown> = {};
    for (const [name, c] of this.vars) vars[name] = read(c);
    const system: Record<string, string> = {};
    for (const [name, c] of this.system) system[name] = c.input.value;
    const globals: Record<string, string> = {};
    for (const [name, c] of this.globals) globals[name] = c.input.value;
    for (const [name, c] of this.vars) c.input.closest('.try-var')?.classList.toggle('read', program.variables.includes(name));
    try {
      const trial = await tryBlock(this.field, program, vars, { system, globals });
      if (run !== this.run) return;
      const x = trial.explanation;
      const taken = x.taken;
      fill(
        this.output,
        x.conditions.length > 0
          ? h(
              'ol',
              { class: 'try-conditions' },
              x.conditions.map((c) =>
                h(
                  'li',
                  { class: c.matched ? 'matched' : 'unmatched' },
                  h('span', { class: 'try-label' }, `if #${c.condition}`),
                  h('code', {}, c.source),
                  h('span', { class: 'try-eq' }, ' = '),
                  h('code', {}, JSON.stringify(c.value)),
                  h('span', { class: 'try-truth' }, c.matched ? ' true' : ' false'),
                  c.captures.length > 0 ? h('span', { class: 'try-captures' }, ` captures ${c.captures.map((v, i) => `$${i}=${JSON.stringify(v)}`).join(' ')}`) : null,
                ),
              ),
            )
          : null,
        h(
          'p',
          { class: 'try-branch' },
          h('span', { class: 'try-label' }, 'Branch'),
          taken === null ? 'none: the block is unset' : taken.kind === 'then' ? [`then #${taken.condition} `, h('code', {}, taken.source)] : [x.conditions.length > 0 ? 'no condition matched: else ' : 'else ', h('code', {}, taken.source)],
        ),
        h('p', { class: 'try-value' }, h('span', { class: 'try-label' }, 'Value'), h('code', {}, JSON.stringify(x.value))),
        trial.typed !== null
          ? h('p', { class: 'try-typed' }, h('span', { class: 'try-label' }, `As ${typeLabel(this.field)}`), h('strong', { class: 'try-result' }, trial.typed))
          : h('p', { class: 'try-typed try-none' }, withCode(trial.instead ?? '')),
      );
    } catch (e) {
      if (run !== this.run) return;
      fill(this.output, h('p', { class: 'try-error' }, e instanceof EvaluationError ? `The evaluation failed (${e.code}): ${e.message}` : String(e)));
    }
  }
}
