/**
 * The README as a newcomer pastes it: every command of the Quick start, CLI and policy-testing sections.
 * A `console` block is a transcript (`$ command` lines, then what the command prints): each
 * command runs from the project root and must print exactly that. The Quick start's `sh`
 * block is what CI runs: its commands must be the ones `.ci/run` runs.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/helpers.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The fenced blocks of a `## ` section, with their info string. */
function blocks(section: string): Array<{ lang: string; text: string }> {
  const start = README.indexOf(`\n## ${section}\n`);
  if (start < 0) throw new Error(`the README has no section ${section}`);
  const end = README.indexOf('\n## ', start + 1);
  const body = README.slice(start, end < 0 ? undefined : end);
  return [...body.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1]!, text: m[2]! }));
}

/** `$ command` lines and the output that follows each. */
function transcript(text: string): Array<{ command: string; output: string }> {
  const out: Array<{ command: string; output: string }> = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('$ ')) out.push({ command: line.slice(2), output: '' });
    else if (out.length > 0) out[out.length - 1]!.output += line + '\n';
  }
  for (const step of out) step.output = step.output.replace(/\n+$/, '\n');
  return out;
}

const commands = (section: string) => blocks(section).filter((b) => b.lang === 'console').flatMap((b) => transcript(b.text));

describe('README', () => {
  it('the Quick start sets up with what CI runs', () => {
    const setup = blocks('Quick start').filter((b) => b.lang === 'sh');
    expect(setup).toHaveLength(1);
    const pasted = setup[0]!.text
      .split('\n')
      .map((l) => l.replace(/#.*$/, '').trim())
      .filter(Boolean)
      .flatMap((l) => l.split('&&').map((c) => c.trim()));
    const ci = readFileSync(join(ROOT, '.ci', 'run'), 'utf8')
      .split('\n')
      .filter((l) => /^npm /.test(l))
      .map((l) => l.replace(/ --no-audit --no-fund$/, ''));
    expect(pasted).toEqual(ci);
    const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    // `npm run example` is the transcript below it, after the build.
    const example = commands('Quick start')[0]!.command.replace(/^npx mta-expr /, 'node dist/cli.js ');
    expect(scripts.example).toBe(`npm run build && ${example}`);
  });

  it.each([...commands('Quick start'), ...commands('The CLI'), ...commands('Testing a policy')].map((c) => [c.command, c] as const))('%s', (_, { command, output }) => {
    const r = spawnSync('bash', ['-c', command], { cwd: ROOT, encoding: 'utf8', timeout: 30_000, env: { ...process.env, NO_COLOR: '1' } });
    expect(r.stdout + r.stderr).toBe(output);
  });
});
