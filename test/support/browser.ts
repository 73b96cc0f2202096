/// <reference lib="dom" />
/**
 * A real headless Chromium (the Debian `chromium` package, driven by playwright-core), and
 * what a test reads of its pages.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type ConsoleMessage, type Locator, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { ROOT } from './helpers.js';

export const CHROMIUM = process.env.MTA_EXPR_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Flags for a sandbox without a GPU or a network: no background connections (this machine
 * refuses them), no first-run or sync. Playwright adds a fresh --user-data-dir of its own.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Launches Chromium. The suite runs under --disallow-code-generation-from-strings (the
 * engine must never need code from strings), but Playwright's own server side checks each
 * function it sends to a page with `new Function`: so the browser and Playwright's server
 * run in a child process of their own, without that flag, and this process connects to it
 * on loopback. `close()` ends both.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install the Debian package (apt-get install -y chromium) or set MTA_EXPR_CHROMIUM`);
  const script = `
    import { chromium } from 'playwright-core';
    const server = await chromium.launchServer({ executablePath: ${JSON.stringify(CHROMIUM)}, args: ${JSON.stringify(CHROMIUM_ARGS)}, host: '127.0.0.1', port: 0, timeout: 30000 });
    process.stdout.write(server.wsEndpoint() + '\\n');
    process.stdin.on('end', () => server.close().finally(() => process.exit(0)));
    process.stdin.resume();
  `;
  const { NODE_OPTIONS: _flags, ...env } = process.env;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const started = Date.now();
  while (!/^ws:\/\/\S+\n/.test(out)) {
    if (child.exitCode !== null || Date.now() - started > 30_000) {
      child.kill();
      throw new Error(`Chromium did not start: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  const browser = await chromium.connect(out.split('\n')[0]!);
  const close = browser.close.bind(browser);
  browser.close = async () => {
    await close().catch(() => undefined);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  return browser;
}

/** What a page reported that a strict policy forbids: console errors and `securitypolicyviolation` events. */
export interface PageReports {
  console: string[];
  violations: string[];
}

/** Records every console error and CSP violation of a page (the listener is installed before any script of the page runs). */
export async function watch(page: Page, reports: PageReports): Promise<void> {
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() === 'error' || m.type() === 'warning' || /Content.Security.Policy|Trusted Type/i.test(m.text())) reports.console.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => reports.console.push(`pageerror: ${e.message}`));
  await page.exposeFunction('__reportViolation', (text: string) => reports.violations.push(text));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      (window as unknown as { __reportViolation(t: string): void }).__reportViolation(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} (${e.sample})`);
    });
  });
}

/** Text with its whitespace collapsed, as people read it. */
const normal = (s: string | null): string => (s ?? '').replace(/\s+/g, ' ').trim();
type Polled<T> = ReturnType<typeof expect.poll<T>>;
const poll = <T>(read: () => Promise<T>): Polled<T> => expect.poll(read, { timeout: 5000, interval: 25 });

interface See {
  text(l: Locator): Polled<string>;
  texts(l: Locator): Polled<string[]>;
  value(l: Locator): Polled<string>;
  visible(l: Locator): Polled<boolean>;
  checked(l: Locator): Polled<boolean>;
  disabled(l: Locator): Polled<boolean>;
  focused(l: Locator): Polled<boolean>;
  attr(l: Locator, name: string): Polled<string | null>;
  count(l: Locator): Polled<number>;
}

/** Retrying reads of what a locator shows, for vitest's matchers: `await see.text(loc).toContain('…')`. */
export const see: See = {
  text: (l) => poll(async () => normal(await l.textContent())),
  texts: (l) => poll(async () => (await l.allTextContents()).map(normal)),
  value: (l) => poll(() => l.inputValue()),
  visible: (l) => poll(() => l.isVisible()),
  checked: (l) => poll(() => l.isChecked()),
  disabled: (l) => poll(() => l.isDisabled()),
  focused: (l) => poll(() => l.evaluate((el) => el === document.activeElement)),
  attr: (l, name) => poll(() => l.getAttribute(name)),
  count: (l) => poll(() => l.count()),
};
