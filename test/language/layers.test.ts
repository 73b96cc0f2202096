/**
 * The two layers, checked on every import of src/:
 * - nothing under src/language imports src/hosts or a Node built-in, and within the
 *   language every import points down the pipeline (a room imports only rooms below it,
 *   or files of its own folder);
 * - a host file imports the language only through its entry, src/language/index.ts, and
 *   hosts point down too (cli → web | haraka | postfix → api | smtp → config | lookups → json);
 * - at run time, `import 'mta-expr'` loads neither the network stacks nor the host packages.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/helpers.js';

const SRC = join(ROOT, 'src');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : /\.c?ts$/.test(e.name) ? [join(dir, e.name)] : []));
}

/** Every import specifier of a file (static, dynamic and type-only). */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g)) {
    out.push((m[1] ?? m[2] ?? m[3])!);
  }
  return out;
}

const room = (file: string, layer: string): string => {
  const rel = relative(join(SRC, layer), file).replace(/\.c?ts$/, '');
  return rel.includes('/') ? rel.slice(0, rel.indexOf('/')) : rel;
};

/** Rank of each room of a layer: a room may import only rooms of a lower rank (or its own folder). */
const LANGUAGE_RANKS: Record<string, number> = {
  errors: 0,
  contexts: 0,
  runtime: 1,
  operators: 2,
  functions: 2,
  syntax: 3,
  check: 4,
  optimizer: 4,
  compiler: 5,
  program: 6,
  compile: 7,
  lint: 8,
  index: 9,
};
const HOST_RANKS: Record<string, number> = { json: 0, log: 0, lookups: 1, config: 1, smtp: 2, api: 2, web: 3, haraka: 3, postfix: 3, testing: 3, cli: 4, index: 5 };

function checkLayer(layer: 'language' | 'hosts', ranks: Record<string, number>): string[] {
  const faults: string[] = [];
  for (const file of files(join(SRC, layer))) {
    const from = room(file, layer);
    const name = relative(ROOT, file);
    expect(ranks[from], `${name} is in no room of the ${layer} layer`).toBeDefined();
    for (const spec of imports(file)) {
      if (spec.startsWith('node:')) {
        if (layer === 'language') faults.push(`${name} imports the Node built-in ${spec}`);
        continue;
      }
      if (!spec.startsWith('.')) continue; // a package
      const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
      const rel = relative(SRC, target);
      if (layer === 'language' && !rel.startsWith('language/')) faults.push(`${name} imports ${rel} outside the language`);
      if (layer === 'hosts' && rel.startsWith('language/') && rel !== 'language/index.ts') faults.push(`${name} imports ${rel}: hosts use the language through src/language/index.ts only`);
      const targetLayer = rel.slice(0, rel.indexOf('/'));
      if (targetLayer !== layer) continue;
      const to = room(target, layer);
      if (to !== from && !(ranks[to]! < ranks[from]!)) faults.push(`${name} (${from}) imports ${rel} (${to}): the arrow points up or sideways`);
    }
  }
  return faults;
}

describe('the two layers', () => {
  it('the language imports no host, no Node built-in, and points down the pipeline', () => {
    expect(checkLayer('language', LANGUAGE_RANKS)).toEqual([]);
  });

  it('the hosts use the language through its entry only, and point down', () => {
    expect(checkLayer('hosts', HOST_RANKS)).toEqual([]);
  });

  it('importing the language loads no network stack and no host package', () => {
    const script = `
      import { createRequire } from 'node:module';
      const before = new Set(process.moduleLoadList);
      const { compile } = await import('mta-expr');
      if (compile('1 + 1').evaluate() !== 2) throw new Error('the entry does not compile');
      const loaded = process.moduleLoadList.filter((m) => !before.has(m)).filter((m) => /^NativeModule (net|http|https|tls|_tls_wrap|dgram|child_process)$/.test(m));
      const packages = Object.keys(createRequire(import.meta.url).cache).filter((p) => /smtp-server|selfsigned|nodemailer/.test(p));
      process.stdout.write(JSON.stringify({ loaded, packages }));
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ loaded: [], packages: [] });
  });
});
