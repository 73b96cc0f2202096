/**
 * What the page edits, without the DOM: a field's block as the editor holds it, the
 * navigation tree made from the objects' locations, the labels of field types, and the
 * value of a field read as its type. The language is the one the server runs, bundled.
 */
import { durationText, type BlockInput, type Condition } from '../../../language/index.js';
import type { FieldDocument, ObjectDocument } from './schema.js';

/** A block as the editor holds it: every condition, and `else` ('' when empty). */
export interface EditBlock {
  match: Condition[];
  else: string;
}

/** The editor's form of a stored block (`match` as a list or JMAP-style `{"0": …}`). */
export function toEditBlock(input: BlockInput | null | undefined): EditBlock {
  const raw = input?.match ?? [];
  const list = Array.isArray(raw)
    ? (raw as readonly Condition[])
    : Object.keys(raw)
        .sort((a, b) => Number(a) - Number(b))
        .map((k) => (raw as Readonly<Record<string, Condition>>)[k]!);
  return { match: list.map((c) => ({ if: String(c?.if ?? ''), then: String(c?.then ?? '') })), else: String(input?.else ?? '') };
}

/** The block the API takes. */
export function toBlockInput(block: EditBlock): BlockInput {
  return { match: block.match.map((c) => ({ if: c.if, then: c.then })), else: block.else };
}

export function sameBlock(a: EditBlock, b: EditBlock): boolean {
  return a.else === b.else && a.match.length === b.match.length && a.match.every((c, i) => c.if === b.match[i]!.if && c.then === b.match[i]!.then);
}

export function copyBlock(block: EditBlock): EditBlock {
  return { match: block.match.map((c) => ({ ...c })), else: block.else };
}

/** One entry of the navigation: a heading with children, or an object's page. */
export interface NavNode {
  label: string;
  /** The object shown at this entry (leaves). */
  object?: string;
  children: NavNode[];
}

/** The steps of a location: `Settings › MTA › Session › AUTH Stage`. */
export function locationSteps(location: string): string[] {
  return location
    .split('›')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** The navigation tree of the objects, in schema order: each location is a path of headings ending at the object. */
export function navTree(objects: Readonly<Record<string, Pick<ObjectDocument, 'location'>>>): NavNode[] {
  const root: NavNode = { label: '', children: [] };
  for (const [name, object] of Object.entries(objects)) {
    const steps = locationSteps(object.location);
    if (steps.length === 0) steps.push(name);
    let node = root;
    for (const step of steps.slice(0, -1)) {
      let next = node.children.find((c) => c.label === step && c.object === undefined);
      if (next === undefined) {
        next = { label: step, children: [] };
        node.children.push(next);
      }
      node = next;
    }
    node.children.push({ label: steps[steps.length - 1]!, object: name, children: [] });
  }
  return root.children;
}

/** A field's type for people: `integer`, `duration`, `list of MtaAuthTypeConstant`, … */
export function typeLabel(field: Pick<FieldDocument, 'type' | 'constants'>): string {
  switch (field.type) {
    case 'constantList':
      return field.constants ? `list of ${field.constants}` : 'list of constants';
    case 'optionalString':
      return 'string or none';
    default:
      return field.type;
  }
}

/** A value read as a field's type (what `readAs` returned), as people read it: `5s`, `plain, login`, `"text"`. */
export function formatTyped(type: FieldDocument['type'], value: unknown): string {
  switch (type) {
    case 'duration':
      return typeof value === 'number' ? durationText(value) : String(value);
    case 'constantList':
      return Array.isArray(value) && value.length > 0 ? value.join(', ') : 'none (empty list)';
    case 'optionalString':
      return value === null ? 'none' : JSON.stringify(value);
    case 'string':
      return JSON.stringify(value);
    case 'list':
      return JSON.stringify(value, (_k, v: unknown) => (v !== null && typeof v === 'object' && 'name' in v && !Array.isArray(v) ? (v as { name: string }).name : v));
    case 'rate': {
      const r = value as { count?: unknown; period?: unknown } | null;
      return r !== null && typeof r === 'object' && typeof r.count === 'number' && typeof r.period === 'number' ? `${r.count} per ${durationText(r.period)}` : String(value);
    }
    default:
      return String(value);
  }
}

/** The default of a field in one line: its `else` alone, or the conditions then `else`. */
export function blockSummary(block: EditBlock): string {
  const parts = block.match.map((c) => `if ${c.if} then ${c.then}`);
  parts.push(block.match.length > 0 ? `else ${block.else}` : block.else);
  return parts.join(' · ');
}
