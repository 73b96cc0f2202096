/**
 * A TCP reset while the SMTP server awaited a lookup of the connect stage ended the process
 * that embedded it: the socket's ECONNRESET was emitted before anything listened for it, an
 * uncaught error. The embedding process (the built library, a process of its own) now keeps
 * serving, and the reset connection is counted out.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/helpers.js';
import { SmtpClient } from '../support/smtp-client.js';

/** Embeds the server with a greeting that waits 300 ms for a lookup; prints the port, then `alive` each 100 ms. */
const EMBEDDING = `
import { PolicySmtpServer, SessionPolicy, selfSignedCertificate, serverConfig } from ${JSON.stringify(join(ROOT, 'dist', 'hosts', 'index.js'))};
const config = serverConfig({ MtaStageConnect: { smtpGreeting: { else: "key_get('slow', 'greeting') + ' ESMTP'" } } });
const lookups = { keyGet: () => new Promise((resolve) => setTimeout(() => resolve('mx.test'), 300)) };
const policy = new SessionPolicy(() => config.objects, { env: { lookups } });
const server = new PolicySmtpServer({ policy, tls: await selfSignedCertificate('mx.test'), listeners: [{ name: 'smtp', port: 0 }], limits: { maxConnectionsPerIp: 1 } });
const { smtp } = await server.start();
console.log('port', smtp);
setInterval(() => console.log('alive'), 100);
`;

describe('a TCP reset during the connect stage', () => {
  it('leaves the embedding process serving', async () => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', EMBEDDING], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const started = Date.now();
      while (!/port (\d+)/.test(out) && Date.now() - started < 15_000 && child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
      const port = Number(/port (\d+)/.exec(out)?.[1]);
      expect(port, err).toBeGreaterThan(0);
      const c = await SmtpClient.open(port);
      await new Promise((r) => setTimeout(r, 100));
      c.reset();
      await new Promise((r) => setTimeout(r, 600));
      expect(child.exitCode, err).toBeNull();
      const aliveBefore = out.split('alive').length;
      await new Promise((r) => setTimeout(r, 300));
      expect(out.split('alive').length).toBeGreaterThan(aliveBefore);
      // The reset connection no longer counts against the address (one connection allowed).
      const d = await SmtpClient.open(port);
      expect(await d.read()).toMatchObject({ code: 220, lines: ['mx.test ESMTP'] });
      d.close();
      expect(err).toBe('');
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});
