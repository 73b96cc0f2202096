/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The web interface end to end: a real headless Chromium against `mta-expr serve` on
 * loopback. Sign-in, the navigation made from the schema, live validation with no request,
 * save and the value seen through `mta-expr get`, a server-side rejection on its field,
 * reset to default, the try-it panel, `stateMismatch`, the keyboard alone, 400 px and dark
 * mode, a third object from a custom schema — and no CSP violation reported on any page.
 * With MTA_EXPR_SCREENSHOTS=1 the screenshots are written to docs/ (`npm run screenshots`).
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer, createWebHandler, LiveConfig, MemoryStore, permissionsOf, SCHEMA, TokenTable } from '../../src/hosts/index.js';
import { launchChromium, see, watch, type PageReports } from '../support/browser.js';
import { runCliAsync } from '../support/cli.js';
import { ROOT } from '../support/helpers.js';
import { WITH_EHLO_STAGE } from '../support/schemas.js';
import { ADMIN_TOKEN as ADMIN, READER_TOKEN as READER, serve, type Served } from '../support/serve.js';

const SHOTS = process.env.MTA_EXPR_SCREENSHOTS === '1' ? join(ROOT, 'docs') : mkdtempSync(join(tmpdir(), 'mta-expr-shots-'));

let browser: Browser;
let server: Served;
const reports: PageReports = { console: [], violations: [] };
const contexts: BrowserContext[] = [];

async function newPage(options: { width?: number; height?: number; dark?: boolean; origin?: string } = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: options.width ?? 1280, height: options.height ?? 900 }, colorScheme: options.dark ? 'dark' : 'light', baseURL: options.origin ?? server.url });
  contexts.push(context);
  const page = await context.newPage();
  await watch(page, reports);
  return page;
}

async function signIn(page: Page, token = ADMIN): Promise<void> {
  await page.goto('/');
  await page.getByLabel('Bearer token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
}

async function openObject(page: Page, title: string, link = title): Promise<void> {
  await page.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: link }).click();
  await page.getByRole('heading', { level: 1, name: title }).waitFor();
}

/** The textarea of a string of a field: `if`/`then` of condition N, or `else`. */
const expression = (page: Page, field: string, part: string) => page.getByLabel(`${part} of ${field}`, { exact: true });
const field = (page: Page, name: string) => page.locator(`#field-${name}`);

async function cliGet(object: string, origin = server.url): Promise<Record<string, unknown>> {
  const r = await runCliAsync(['get', object, '--json', '--url', origin, '--token', ADMIN]);
  expect(r.code, r.err).toBe(0);
  const { id: _id, ...blocks } = JSON.parse(r.out) as Record<string, unknown>;
  return blocks;
}

/** Saves the page and waits for the outcome in the save bar. */
async function save(page: Page): Promise<string> {
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  const message = page.locator('.save-message');
  await expect.poll(async () => (await message.textContent()) ?? '').not.toMatch(/^(Saving…)?$/);
  return (await message.textContent()) ?? '';
}

const SASL_DEFAULT = SCHEMA.MtaStageAuth!.fields.saslMechanisms!.default;

beforeAll(async () => {
  [browser, server] = await Promise.all([launchChromium(), serve()]);
  mkdirSync(SHOTS, { recursive: true });
}, 60_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await server?.stop();
});

describe('the web interface in Chromium', () => {
  it('signs in with the token, keeps it for the tab only, and builds the navigation from the schema', async () => {
    const page = await newPage();
    await page.goto('/');
    await page.getByLabel('Bearer token').fill('not-a-known-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('The server refused this token (Unknown token)');
    await page.screenshot({ path: join(SHOTS, 'web-sign-in.png') });

    await signIn(page);
    const nav = page.getByRole('navigation', { name: 'Settings' });
    // Settings › MTA › Session › AUTH Stage / Connect Stage, nested as the locations say.
    const tree = await nav.evaluate((el) => {
      const walk = (ul: Element): unknown[] =>
        [...ul.children].map((li) => {
          const a = li.querySelector(':scope > a');
          if (a) return a.textContent;
          return { [li.querySelector(':scope > .nav-heading')!.textContent!]: walk(li.querySelector(':scope > ul')!) };
        });
      return walk(el.querySelector('ul')!);
    });
    expect(tree).toEqual([{ Settings: [{ MTA: [{ Session: ['AUTH Stage', 'Connect Stage'] }] }] }, { 'mta-expr': ['Postfix policy service'] }]);
    expect(page.url()).not.toContain(ADMIN);
    expect(await page.evaluate(() => Object.values(sessionStorage))).toEqual([ADMIN]);
    expect(await page.evaluate(() => Object.keys(localStorage).length + document.cookie.length)).toBe(0);

    // The tab keeps the session across a reload; a new browser session starts signed out.
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
    const other = await newPage();
    await other.goto('/');
    await see.visible(other.getByLabel('Bearer token')).toBe(true);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await see.visible(page.getByLabel('Bearer token')).toBe(true);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
  });

  it('shows the caret error while typing, without a request; fixed and saved, `mta-expr get` sees it', async () => {
    const page = await newPage();
    await signIn(page);
    await openObject(page, 'AUTH Stage');
    const requests: string[] = [];
    page.on('request', (r) => requests.push(`${r.method()} ${r.url()}`));

    const cond = expression(page, 'saslMechanisms', 'if of condition 1');
    await cond.fill('');
    await cond.pressSequentially('local_prot != 25 && is_tls');
    const diag = field(page, 'saslMechanisms').locator('.diag.error').first();
    await see.text(diag).toContain('error[unknown-variable] unknown name local_prot; did you mean local_port? (line 1, column 1)');
    expect(await diag.locator('pre').textContent()).toBe('1 | local_prot != 25 && is_tls\n  | ^^^^^^^^^^\n  = fix: write `local_port`');
    await see.attr(cond, 'aria-invalid').toBe('true');
    await see.text(page.locator('.save-summary')).toContain('1 expression does not compile');

    // A variable of another context: where it belongs.
    const require = expression(page, 'require', 'else');
    await require.fill('sender != ""');
    await see.text(field(page, 'require').locator('.diag.error')).toContain(
      'variable sender is not available in this context (MtaEhloVariable); it belongs to MtaMailFromVariable',
    );
    // A constant of another group, in the `then` of a condition.
    await expression(page, 'saslMechanisms', 'then of condition 2').fill('[oauthbearer, strict]');
    await see.text(field(page, 'saslMechanisms').locator('.diag.error').nth(1)).toContain('constant strict is not available here');
    expect(requests).toEqual([]);

    await cond.fill('local_port != 25 && is_tls');
    await expression(page, 'saslMechanisms', 'then of condition 1').fill('[plain, login]');
    await expression(page, 'saslMechanisms', 'then of condition 2').fill('[oauthbearer, xoauth2]');
    await require.fill('local_port != 25 || is_tls');
    await see.count(field(page, 'saslMechanisms').locator('.diag.error')).toBe(0);
    await see.text(field(page, 'require').locator('.diag.ok')).toContain('✓ compiles · reads is_tls, local_port');
    expect(requests).toEqual([]);
    await see.text(page.locator('.save-summary')).toBe('2 unsaved changes: saslMechanisms, require');

    expect(await save(page)).toMatch(/^Saved saslMechanisms, require \(state \d+ → \d+\)\.$/);
    // One request: the /set of both fields, and the /get of what is stored after it.
    expect(requests).toEqual([`POST ${server.url}/api`]);
    const stored = await cliGet('MtaStageAuth');
    expect(stored.saslMechanisms).toEqual({ match: [{ if: 'local_port != 25 && is_tls', then: '[plain, login]' }, { if: 'local_port != 25', then: '[oauthbearer, xoauth2]' }], else: 'false' });
    expect(stored.require).toEqual({ match: [], else: 'local_port != 25 || is_tls' });
    await see.text(field(page, 'saslMechanisms').locator('.badge.custom')).toBe('customised');
    await see.text(page.locator('.save-summary')).toBe('No unsaved changes');
  });

  it('shows the server’s rejection, with its caret, on the field; nothing is stored', async () => {
    const page = await newPage();
    await signIn(page);
    await openObject(page, 'AUTH Stage');
    const before = await cliGet('MtaStageAuth');
    await expression(page, 'waitOnFail', 'else').fill('5 s');
    await see.text(field(page, 'waitOnFail').locator('.diag.error')).toContain('error[syntax]');
    expect(await save(page)).toBe('Not saved: the server refused waitOnFail. Nothing was changed.');
    const refusal = field(page, 'waitOnFail').locator('.server-error');
    await see.text(refusal).toContain('The server refused this value (nothing was saved):');
    expect(await refusal.locator('pre').textContent()).toBe(
      'waitOnFail: unexpected `s` after a complete expression: two operands must be joined by an operator (else, line 1, column 3)\n1 | 5 s\n  |   ^',
    );
    await see.focused(expression(page, 'waitOnFail', 'else')).toBe(true);
    expect(await cliGet('MtaStageAuth')).toEqual(before);
    // Editing the field clears the server's verdict.
    await expression(page, 'waitOnFail', 'else').fill('10s');
    await see.visible(refusal).toBe(false);
  });

  it('shows the lint warnings of the live check and of the save by the field, with caret and fix', async () => {
    const page = await newPage();
    await signIn(page);
    await openObject(page, 'AUTH Stage');
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    const wait = field(page, 'waitOnFail');
    await expression(page, 'waitOnFail', 'else').fill('2');
    const live = wait.locator('.diag.warning');
    await see.text(live).toContain('✓ compiles');
    await see.text(live.locator('.msg.warn')).toBe('warning[result-type] 2 is 2 milliseconds: a duration is written with its unit (line 1, column 1)');
    expect(await live.locator('pre').textContent()).toBe('1 | 2\n  | ^\n  = fix: write `2s`');
    expect(requests).toEqual([]);
    // A condition hidden by an earlier one: the warning is on the later one, and follows the edit of the earlier.
    await page.getByRole('button', { name: 'Add condition to maxFailures' }).click();
    await expression(page, 'maxFailures', 'if of condition 1').fill('local_port != 25');
    await expression(page, 'maxFailures', 'then of condition 1').fill('3');
    await page.getByRole('button', { name: 'Add condition to maxFailures' }).click();
    await expression(page, 'maxFailures', 'if of condition 2').fill('local_port == 587');
    await expression(page, 'maxFailures', 'then of condition 2').fill('5');
    const hidden = field(page, 'maxFailures').locator('.expression.part-if').nth(1).locator('.diag.warning');
    await see.text(hidden).toContain('warning[unreachable-condition] condition 2 is never chosen');
    await expression(page, 'maxFailures', 'if of condition 1').fill('local_port == 25');
    await see.count(field(page, 'maxFailures').locator('.diag.warning')).toBe(0);
    await page.getByRole('button', { name: 'Undo changes of maxFailures' }).click();

    expect(await save(page)).toMatch(/^Saved waitOnFail \(state \d+ → \d+\), with lint warnings on waitOnFail: the values are in force/);
    expect((await cliGet('MtaStageAuth')).waitOnFail).toEqual({ match: [], else: '2' });
    const note = wait.locator('.server-warnings');
    await see.text(note.locator('p').first()).toBe('Saved with a warning from the server (the value is in force):');
    await see.text(note.locator('.msg.warn')).toBe('warning[result-type] 2 is 2 milliseconds: a duration is written with its unit (line 1, column 1)');
    expect(await note.locator('pre').textContent()).toBe('1 | 2\n  | ^\n  = fix: write `2s`');
    await wait.screenshot({ path: join(SHOTS, 'web-lint-warnings.png') });
    // Taking the fix clears both; then back to the default.
    await expression(page, 'waitOnFail', 'else').fill('2s');
    await see.visible(note).toBe(false);
    await see.count(wait.locator('.diag.warning')).toBe(0);
    await page.getByRole('button', { name: 'Reset waitOnFail to default' }).click();
    await see.text(wait.locator('.badge.changed')).toBe('reset on save');
    expect(await save(page)).toMatch(/^Saved waitOnFail \(state \d+ → \d+\)\.$/);
  });

  it('resets a field to its default (JMAP null)', async () => {
    const page = await newPage();
    await signIn(page);
    await openObject(page, 'AUTH Stage');
    expect((await cliGet('MtaStageAuth')).saslMechanisms).not.toEqual(SASL_DEFAULT);
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.postData() ?? ''));
    await page.getByRole('button', { name: 'Reset saslMechanisms to default' }).click();
    await see.text(field(page, 'saslMechanisms').locator('.badge.changed')).toBe('reset on save');
    await see.value(expression(page, 'saslMechanisms', 'then of condition 1')).toBe('[plain, login, oauthbearer, xoauth2]');
    expect(await save(page)).toMatch(/^Saved saslMechanisms/);
    const sent = JSON.parse(requests[0]!) as { methodCalls: Array<[string, { update: { singleton: unknown } }, string]> };
    expect(sent.methodCalls[0]![1].update.singleton).toEqual({ saslMechanisms: null });
    expect((await cliGet('MtaStageAuth')).saslMechanisms).toEqual(SASL_DEFAULT);
    await see.text(field(page, 'saslMechanisms').locator('.badge.is-default')).toBe('default');
  });

  it('tries a block on a TLS submission session: each condition, the branch, the value read as the field’s type', async () => {
    const page = await newPage();
    await signIn(page);
    await openObject(page, 'AUTH Stage');
    const sasl = field(page, 'saslMechanisms');
    await page.getByRole('button', { name: 'Try it: saslMechanisms' }).click();
    const panel = sasl.locator('.tryit');
    await see.value(panel.getByLabel('local_port')).toBe('587');
    await see.checked(panel.getByLabel('is_tls')).toBe(true);
    const output = sasl.locator('.try-output');
    await see.texts(output.locator('.try-conditions li')).toEqual(['if #1local_port != 25 && is_tls = 1 true']);
    await see.text(output.locator('.try-branch')).toBe('Branchthen #1 [plain, login, oauthbearer, xoauth2]');
    await see.text(output.locator('.try-typed')).toBe('As list of MtaAuthTypeConstantplain, login, oauthbearer, xoauth2');

    await panel.getByLabel('is_tls').uncheck();
    await see.text(output.locator('.try-branch')).toBe('Branchthen #2 [oauthbearer, xoauth2]');
    await see.texts(output.locator('.try-conditions li')).toEqual(['if #1local_port != 25 && is_tls = 0 false', 'if #2local_port != 25 = 1 true']);
    await panel.getByLabel('local_port').fill('25');
    await see.text(output.locator('.try-branch')).toBe('Branchno condition matched: else false');
    await see.text(output.locator('.try-typed')).toBe('As list of MtaAuthTypeConstantnone (empty list)');

    // The panel follows the draft as it is edited.
    await expression(page, 'saslMechanisms', 'else').fill('[plain]');
    await see.text(output.locator('.try-typed')).toBe('As list of MtaAuthTypeConstantplain');
    await expression(page, 'saslMechanisms', 'else').fill('[plain');
    await see.text(output).toBe('The block does not compile: fix the errors above to try it.');

    // A duration reads as 5s; a value of the wrong type says what applies instead.
    await page.getByRole('button', { name: 'Try it: waitOnFail' }).click();
    await see.text(field(page, 'waitOnFail').locator('.try-typed')).toBe('As duration5s');
    await expression(page, 'waitOnFail', 'else').fill("'soon'");
    await see.text(field(page, 'waitOnFail').locator('.diag.warning')).toContain("warning[result-type] the text 'soon' is no value in a duration field");
    await see.text(field(page, 'waitOnFail').locator('.try-typed')).toBe('No value: "soon" is not a duration; the default gives 5s.');

    // system() gets a host value of its own.
    await openObject(page, 'Connect Stage');
    await page.getByRole('button', { name: 'Try it: smtpGreeting' }).click();
    await see.text(field(page, 'smtpGreeting').locator('.try-typed')).toBe('As string"mx.example.org Stalwart ESMTP at your service"');
    await field(page, 'smtpGreeting').getByLabel("system('hostname')").fill('mail.example.com');
    await see.text(field(page, 'smtpGreeting').locator('.try-typed')).toBe('As string"mail.example.com Stalwart ESMTP at your service"');
  });

  it('explains a stateMismatch and reloads, keeping the user’s changes', async () => {
    const page = await newPage();
    await signIn(page);
    await openObject(page, 'AUTH Stage');
    await expression(page, 'maxFailures', 'else').fill('4');
    const other = await runCliAsync(['update', 'MtaStageAuth', '--field', 'mustMatchSender={"else":"false"}', '--url', server.url, '--token', ADMIN]);
    expect(other.code, other.err).toBe(0);
    expect(await save(page)).toBe('Not saved: someone else saved meanwhile.');
    const dialog = page.getByRole('dialog', { name: 'Someone else saved meanwhile' });
    await see.text(dialog).toContain('Nothing of yours was saved.');
    await see.text(dialog).toContain('Changed in MtaStageAuth: mustMatchSender.');
    await see.focused(dialog.getByRole('button', { name: 'Reload and keep my changes' })).toBe(true);
    await page.keyboard.press('Enter');
    await see.visible(dialog).toBe(false);
    await see.value(expression(page, 'maxFailures', 'else')).toBe('4');
    await see.value(expression(page, 'mustMatchSender', 'else')).toBe('false');
    expect(await save(page)).toMatch(/^Saved maxFailures/);
    const stored = await cliGet('MtaStageAuth');
    expect(stored.maxFailures).toEqual({ match: [], else: '4' });
    expect(stored.mustMatchSender).toEqual({ match: [], else: 'false' });
  });

  it('saves an object whatever happened to the others: each object has a state of its own', async () => {
    const page = await newPage();
    await signIn(page);
    await openObject(page, 'Connect Stage');
    const connectState = (await page.locator('.object-meta .state').textContent())!;
    await openObject(page, 'AUTH Stage');
    const authState = Number(/^state (\d+)$/.exec((await page.locator('.object-meta .state').textContent())!)![1]);
    await expression(page, 'waitOnFail', 'else').fill('3s');
    const other = await runCliAsync(['update', 'MtaStageConnect', '--field', 'hostname={"else":"\'mx.example.net\'"}', '--url', server.url, '--token', ADMIN]);
    expect(other.code, other.err).toBe(0);
    // Another object changed: this one's state is still the one the page holds.
    expect(await save(page)).toBe(`Saved waitOnFail (state ${authState} → ${authState + 1}).`);
    await see.visible(page.getByRole('dialog')).toBe(false);
    expect((await cliGet('MtaStageAuth')).waitOnFail).toEqual({ match: [], else: '3s' });
    // The page reloads the other object (its state moved) and saves it at its new state.
    await openObject(page, 'Connect Stage');
    await see.value(expression(page, 'hostname', 'else')).toBe("'mx.example.net'");
    await see.text(page.locator('.object-meta .state')).not.toBe(connectState);
    await expression(page, 'hostname', 'else').fill("'mx.example.com'");
    expect(await save(page)).toMatch(/^Saved hostname \(state \d+ → \d+\)\.$/);
    expect((await cliGet('MtaStageConnect')).hostname).toEqual({ match: [], else: "'mx.example.com'" });
  });

  it('works with the keyboard alone, and every control has a label', async () => {
    const page = await newPage();
    await signIn(page);
    await openObject(page, 'AUTH Stage');
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll('input, textarea, select, button, a')]
        .filter((el) => {
          const labels = (el as HTMLInputElement).labels;
          const name = (labels && labels.length > 0 ? labels[0]!.textContent : '') || el.getAttribute('aria-label') || el.textContent;
          return !name || name.trim() === '';
        })
        .map((el) => el.outerHTML.slice(0, 80)),
    );
    expect(unlabelled).toEqual([]);

    /** Presses Tab until the focused control has this accessible name (bounded). */
    const tabTo = async (name: string, key = 'Tab'): Promise<void> => {
      for (let i = 0; i < 250; i++) {
        await page.keyboard.press(key);
        const focused = await page.evaluate(() => {
          const el = document.activeElement as HTMLElement | null;
          return el?.getAttribute('aria-label') ?? el?.textContent ?? '';
        });
        if (focused === name) return;
      }
      throw new Error(`Tab never reached ${name}`);
    };
    const before = (await cliGet('MtaStageAuth')).maxFailures as { else: string };
    await tabTo('Add condition to maxFailures');
    await page.keyboard.press('Enter');
    await see.focused(expression(page, 'maxFailures', 'if of condition 1')).toBe(true);
    await page.keyboard.type('local_port == 25');
    await page.keyboard.press('Tab');
    await see.focused(expression(page, 'maxFailures', 'then of condition 1')).toBe(true);
    await page.keyboard.type('1');
    await tabTo('Add condition to maxFailures');
    await page.keyboard.press('Enter');
    await page.keyboard.type('is_tls');
    await page.keyboard.press('Tab');
    await page.keyboard.type('6');
    // Condition 2 moves up: focus stays on its button, now on the first condition.
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Shift+Tab');
    await see.focused(page.getByRole('button', { name: 'Remove condition 2 of maxFailures' })).toBe(true);
    await page.keyboard.press('Shift+Tab');
    await see.focused(page.getByRole('button', { name: 'Move condition 2 of maxFailures up' })).toBe(true);
    await page.keyboard.press('Enter');
    await see.value(expression(page, 'maxFailures', 'if of condition 1')).toBe('is_tls');
    await see.focused(page.getByRole('button', { name: 'Move condition 1 of maxFailures down' })).toBe(true);
    // A variable chip inserts at the cursor of the last string edited.
    await expression(page, 'maxFailures', 'if of condition 1').focus();
    await page.keyboard.press('End');
    await page.keyboard.type(' &&');
    await tabTo('Insert variable local_port', 'Shift+Tab');
    await page.keyboard.press('Enter');
    await see.value(expression(page, 'maxFailures', 'if of condition 1')).toBe('is_tls && local_port');
    await see.focused(expression(page, 'maxFailures', 'if of condition 1')).toBe(true);
    await page.keyboard.type(' == 587');
    // Ctrl+S saves.
    await page.keyboard.press('Control+s');
    await see.text(page.locator('.save-message')).toContain('Saved maxFailures');
    expect((await cliGet('MtaStageAuth')).maxFailures).toEqual({
      match: [
        { if: 'is_tls && local_port == 587', then: '6' },
        { if: 'local_port == 25', then: '1' },
      ],
      else: before.else,
    });
    await page.getByRole('button', { name: 'Try it: saslMechanisms' }).click();
    await expression(page, 'saslMechanisms', 'if of condition 1').fill('local_prot != 25 && is_tls');
    await see.visible(field(page, 'saslMechanisms').locator('.diag.error')).toBe(true);
    await page.setViewportSize({ width: 1280, height: (await page.evaluate(() => document.documentElement.scrollHeight)) + 10 });
    await page.screenshot({ path: join(SHOTS, 'web-auth-stage.png'), fullPage: true });
  });

  it('keeps the layout still while typing', async () => {
    const page = await newPage();
    await signIn(page);
    await openObject(page, 'AUTH Stage');
    const input = expression(page, 'maxFailures', 'else');
    const below = field(page, 'waitOnFail');
    const y = async () => (await below.boundingBox())!.y;
    await input.fill('');
    await input.focus();
    const start = await y();
    const seen: number[] = [];
    // The position once the page has shown the check of what is typed so far (and of nothing older).
    const checked = async (): Promise<number> => {
      await input.evaluate((el: HTMLTextAreaElement) => new Promise<void>((done) => {
        const poll = (): void => {
          if (el.dataset.checked === el.value) requestAnimationFrame(() => done());
          else setTimeout(poll, 20);
        };
        poll();
      }));
      return y();
    };
    // Typing word by word, then letter by letter, with the check shown between the steps: an
    // error that comes and goes (`local_port ==`, `… == 587`, `… &&`, `i`…`is_tls`) does not move
    // what is below more than once.
    for (const word of ['local_port ', '== ', '587 ', '&& ']) {
      await page.keyboard.insertText(word);
      seen.push(await checked());
    }
    for (const ch of 'is_tls') {
      await page.keyboard.type(ch);
      seen.push(await checked());
    }
    const moves = seen.filter((v, i) => v !== (i === 0 ? start : seen[i - 1]));
    expect(moves.length).toBeLessThanOrEqual(1);
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(start);
  });

  it('is readable at 400 px and on a desktop, in light and dark mode', async () => {
    for (const dark of [false, true]) {
      for (const width of [400, 1280]) {
        const page = await newPage({ width, height: 860, dark });
        await signIn(page);
        await openObject(page, width === 400 ? 'Connect Stage' : 'AUTH Stage');
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect(overflow, `horizontal overflow at ${width} px`).toBeLessThanOrEqual(0);
        const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
        const [r, g, b] = /\d+/g.exec(background) ? background.match(/\d+/g)!.map(Number) : [0, 0, 0];
        const luminance = (0.2126 * r! + 0.7152 * g! + 0.0722 * b!) / 255;
        if (dark) expect(luminance).toBeLessThan(0.2);
        else expect(luminance).toBeGreaterThan(0.8);
        if (width === 400) {
          // Nothing is cut at the right edge: every field fits the viewport.
          const widest = await page.evaluate(() => Math.max(...[...document.querySelectorAll('.field, textarea, .savebar')].map((el) => el.getBoundingClientRect().right)));
          expect(widest).toBeLessThanOrEqual(400);
          if (!dark) await page.screenshot({ path: join(SHOTS, 'web-connect-stage-400px.png') });
          await page.getByRole('button', { name: 'Try it: smtpGreeting' }).click();
          await see.visible(field(page, 'smtpGreeting').locator('.try-typed')).toBe(true);
          await field(page, 'smtpGreeting').locator('.try-output').scrollIntoViewIfNeeded();
          if (dark) await page.screenshot({ path: join(SHOTS, 'web-connect-stage-400px-try-it-dark.png') });
        } else if (dark) {
          await page.screenshot({ path: join(SHOTS, 'web-auth-stage-dark.png') });
        }
      }
    }
    const overview = await newPage({ height: 560 });
    await signIn(overview);
    await overview.screenshot({ path: join(SHOTS, 'web-settings.png') });
  });

  it('is read-only for a token without the update permission', async () => {
    const page = await newPage();
    await signIn(page, READER);
    await see.text(page.getByRole('navigation', { name: 'Settings' })).toContain('AUTH Stage (read only)');
    await openObject(page, 'AUTH Stage', 'AUTH Stage (read only)');
    await see.text(page.locator('.notice')).toBe('This token may read but not change MtaStageAuth.');
    await see.attr(expression(page, 'maxFailures', 'else'), 'readonly').toBe('');
    await see.disabled(page.getByRole('button', { name: 'Save', exact: true })).toBe(true);
    await see.disabled(page.getByRole('button', { name: 'Reset maxFailures to default' })).toBe(true);
  });

  it('shows a third object added to the schema, with no page code for it', async () => {
    const schema = WITH_EHLO_STAGE;
    const live = await LiveConfig.open(new MemoryStore(), {}, schema);
    const api = createApiServer({ live, tokens: new TokenTable([{ token: ADMIN, permissions: permissionsOf(schema) }], schema), web: createWebHandler() });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
    try {
      const page = await newPage({ origin });
      await signIn(page);
      await see.text(page.getByRole('navigation', { name: 'Settings' }).locator('ul ul ul ul')).toBe('AUTH StageConnect StageEHLO Stage');
      await openObject(page, 'EHLO Stage');
      await see.text(page.getByRole('navigation', { name: 'Breadcrumb' })).toBe('SettingsMTASessionEHLO Stage');
      await see.text(field(page, 'timeout').locator('.description')).toBe('How long to wait for EHLO.');
      await page.getByRole('button', { name: 'Try it: timeout' }).click();
      await see.text(field(page, 'timeout').locator('.try-typed')).toBe('As duration5m');
      await expression(page, 'timeout', 'else').fill('30s');
      expect(await save(page)).toMatch(/^Saved timeout \(state 0 → 1\)\.$/);
      expect(live.object('MtaStageEhlo').block('timeout')).toEqual({ match: [], else: '30s' });
    } finally {
      await new Promise((resolve) => api.close(resolve));
    }
  });

  it('reports no CSP violation on any page, and the policy is in force', async () => {
    expect(reports.violations).toEqual([]);
    // The only console errors are the failed sign-in's 401 (a network error Chromium logs).
    expect(reports.console.filter((m) => !/Failed to load resource: the server responded with a status of 401/.test(m))).toEqual([]);
    // The same listener does see what the policy forbids: an inline script, a string as code, a foreign origin.
    const page = await newPage();
    await page.goto('/');
    const blocked = await page.evaluate(async () => {
      const w = window as unknown as Record<string, unknown>;
      const out: string[] = [];
      const script = document.createElement('script');
      script.appendChild(document.createTextNode('window.inlineRan = 1'));
      document.head.appendChild(script);
      out.push(w.inlineRan === 1 ? 'inline script ran' : 'inline script blocked');
      try {
        (setTimeout as (code: string) => void)('window.timerRan = 1');
      } catch (e) {
        out.push(`string timer: ${(e as Error).name}`);
      }
      await fetch('http://127.0.0.2:9/').catch(() => out.push('fetch refused'));
      await new Promise((r) => setTimeout(r, 50));
      out.push(w.timerRan === 1 ? 'timer ran' : 'timer blocked');
      return out;
    });
    expect(blocked).toEqual(['inline script blocked', 'string timer: TypeError', 'fetch refused', 'timer blocked']);
    await expect.poll(() => reports.violations.length).toBeGreaterThanOrEqual(3);
  });
});
