/**
 * `mta-expr policyd` with lookups: the stores, directory and dns of its `--config` file, or
 * of `--lookups FILE`, read by the loader every server uses; a store that is down makes the
 * request a temporary failure (DEFER_IF_PERMIT) and is logged once.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startCli, type Running } from '../support/servers.js';

const REQUEST = { request: 'smtpd_access_policy', protocol_state: 'RCPT', client_address: '192.0.2.7', server_port: '25', helo_name: 'client.example' };

/** One request on a connection of its own; the `action=` answer. */
async function ask(port: number, attrs: Record<string, string>): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  socket.setEncoding('utf8');
  let text = '';
  socket.on('data', (d: string) => (text += d));
  socket.write(Object.entries({ ...REQUEST, ...attrs }).map(([k, v]) => `${k}=${v}\n`).join('') + '\n');
  for (let i = 0; !text.includes('\n\n') && i < 500; i++) await new Promise((r) => setTimeout(r, 10));
  socket.destroy();
  return text.split('\n')[0]!;
}

const RULES = {
  PostfixPolicy: {
    action: {
      match: [
        { if: "key_exists('blocked', sender)", then: "'REJECT 5.7.1 blocked sender'" },
        { if: "sender_domain == 'down.example'", then: "key_get('down', sender)" },
        { if: '!is_local_domain(rcpt_domain)', then: "'REJECT 5.7.1 relay denied'" },
      ],
      else: 'false',
    },
  },
};

let work: string;
let down: string;
const running: Running[] = [];

async function policyd(args: string[]): Promise<{ port: number; process: Running }> {
  const p = startCli(['policyd', '--listen', '127.0.0.1:0', ...args]);
  running.push(p);
  const m = await p.waitFor(/mta-expr policy service on 127\.0\.0\.1:(\d+)/);
  return { port: Number(m[1]), process: p };
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'mta-expr-policyd-lookups-'));
  down = `redis://127.0.0.1:${await freePort()}`;
});

afterAll(async () => {
  await Promise.all(running.map((p) => p.stop()));
  rmSync(work, { recursive: true, force: true });
});

describe('policyd with lookups', () => {
  it('uses the stores and directory of its --config file; a store down is DEFER_IF_PERMIT, told once', async () => {
    const file = join(work, 'server.json');
    const lookups = { stores: { blocked: { type: 'memory', entries: { 'spam@example.org': 'yes' } }, down: { type: 'redis', url: down, timeout: '200ms' } }, directory: { domains: ['example.net'] } };
    // A server configuration file as it is: its users and tokens are not the policy's.
    writeFileSync(file, JSON.stringify({ ...lookups, ...RULES, users: [], tokens: [] }));
    const { port, process } = await policyd(['--config', file]);
    expect(await ask(port, { sender: 'spam@example.org', recipient: 'bob@example.net' })).toBe('action=REJECT 5.7.1 blocked sender');
    expect(await ask(port, { sender: 'jane@example.org', recipient: 'bob@example.net' })).toBe('action=DUNNO');
    expect(await ask(port, { sender: 'jane@example.org', recipient: 'bob@elsewhere.org' })).toBe('action=REJECT 5.7.1 relay denied');
    expect(await ask(port, { sender: 'x@down.example', recipient: 'bob@example.net' })).toMatch(/^action=DEFER_IF_PERMIT 4\.3\.0 /);
    expect(process.err).toMatch(/policyd: lookups: store down \(redis\) unreachable: /);
    expect(process.err.match(/store down \(redis\) unreachable/g)).toHaveLength(1);
  });

  it('takes the lookups of --lookups FILE instead', async () => {
    const rules = join(work, 'rules.json');
    const stores = join(work, 'stores.json');
    writeFileSync(rules, JSON.stringify(RULES));
    writeFileSync(stores, JSON.stringify({ stores: { blocked: { type: 'memory', entries: { 'other@example.org': 'yes' } } }, directory: { domains: ['example.net'] } }));
    const { port } = await policyd(['--config', rules, '--lookups', stores]);
    expect(await ask(port, { sender: 'other@example.org', recipient: 'bob@example.net' })).toBe('action=REJECT 5.7.1 blocked sender');
    expect(await ask(port, { sender: 'spam@example.org', recipient: 'bob@example.net' })).toBe('action=DUNNO');
  });

  it('refuses a faulty store setting with its file and path, exit 1', async () => {
    const bad = join(work, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...RULES, stores: { rate: { type: 'redis', url: 'redis://127.0.0.1:1', timeout: 'soon' } } }));
    const p = startCli(['policyd', '--listen', '127.0.0.1:0', '--config', bad]);
    running.push(p);
    expect(await p.exited).toBe(1);
    expect(p.err).toBe(`error: ${bad}: stores.rate.timeout: must be a duration such as '500ms', '2s' or '1m'\n`);
  });
});
