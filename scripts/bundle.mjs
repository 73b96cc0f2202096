#!/usr/bin/env node
/**
 * Bundles the command line into dist/cli.js (run after tsc by `npm run build`).
 *
 * The language and its libraries are bundled into one file, so a command such as `eval`
 * starts without resolving hundreds of modules; each command's own code is a chunk loaded
 * only when that command runs, and the host-only packages (the SMTP stack and others) stay
 * in node_modules, imported by those chunks alone.
 */
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/** Packages bundled into the CLI: the language's. Every other dependency is loaded from node_modules. */
const BUNDLED = new Set(['chevrotain', 're2js', 'ipaddr.js', 'fastest-levenshtein', '@noble/hashes']);
const external = Object.keys(pkg.dependencies ?? {}).filter((name) => !BUNDLED.has(name));

await build({
  absWorkingDir: root,
  // The compile worker of `serve` (config/validate.ts) is a file of its own, beside cli.js.
  entryPoints: { cli: 'src/hosts/cli/bin.ts', 'validate-worker': 'src/hosts/config/validate-worker.ts' },
  outdir: 'dist',
  chunkNames: 'cli-chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: external.flatMap((name) => [name, `${name}/*`]),
  sourcemap: true,
  legalComments: 'eof',
  logLevel: 'warning',
});

// The web interface (served by `mta-expr serve` at /): the page's script bundled for
// browsers with the language, its style, and the static files, into dist/web. No Node
// built-in can enter this bundle (platform: browser fails on one).
{
  const { copyFileSync, mkdirSync } = await import('node:fs');
  const page = 'src/hosts/web/page';
  await build({
    absWorkingDir: root,
    entryPoints: { app: `${page}/main.ts` },
    outdir: 'dist/web',
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome120', 'firefox121', 'safari17'],
    minify: true,
    sourcemap: 'linked',
    legalComments: 'linked',
    logLevel: 'warning',
  });
  await build({ absWorkingDir: root, entryPoints: { app: `${page}/app.css` }, outdir: 'dist/web', bundle: true, minify: true, target: ['chrome120', 'firefox121', 'safari17'], logLevel: 'warning' });
  mkdirSync(join(root, 'dist/web'), { recursive: true });
  for (const file of ['index.html', 'favicon.svg']) copyFileSync(join(root, page, file), join(root, 'dist/web', file));
}
