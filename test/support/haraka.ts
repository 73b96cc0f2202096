/**
 * A real Haraka (the dev dependency) in a temporary directory, installed the way the
 * README tells an operator: `haraka -i DIR`, this package in DIR/node_modules/mta-expr,
 * `mta-expr/haraka` in config/plugins after tls and auth/flat_file, config/mta-expr.ini.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { selfSignedCertificate } from '../../src/hosts/smtp/tls.js';
import { ROOT } from './helpers.js';
import { freePort, Running, waitForPort } from './servers.js';

const HARAKA_BIN = join(dirname(createRequire(import.meta.url).resolve('Haraka/package.json')), 'bin', 'haraka');

export interface HarakaInstance {
  dir: string;
  smtp: number;
  submission: number;
  process: Running;
  stop(): Promise<void>;
}

/** Starts Haraka with two listeners (smtp seen as 25, submission as 587); `ini` is the [main] section of mta-expr.ini. */
export async function startHaraka(options: { ini: string; files?: Record<string, string>; users?: Record<string, string>; addresses?: Record<string, string> }): Promise<HarakaInstance> {
  const dir = mkdtempSync(join(tmpdir(), 'mta-expr-haraka-'));
  execFileSync(process.execPath, [HARAKA_BIN, '-i', dir], { stdio: 'ignore', timeout: 20_000 });
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules', 'mta-expr'));
  const [smtp, submission] = [await freePort(), await freePort()];
  const config = (name: string, text: string): void => writeFileSync(join(dir, 'config', name), text);
  const tls = await selfSignedCertificate('mx.test');
  config('tls_key.pem', tls.key);
  config('tls_cert.pem', tls.cert);
  // Haraka would otherwise generate 2048-bit DH parameters at start (slow); DSA-style ones are quick.
  execFileSync('openssl', ['dhparam', '-dsaparam', '-out', join(dir, 'config', 'dhparams.pem'), '2048'], { stdio: 'ignore', timeout: 30_000 });
  config('me', 'mx.test\n');
  config('smtp.ini', `[main]\nlisten=127.0.0.1:${smtp},127.0.0.1:${submission}\nnodes=0\n`);
  config('log.ini', '[main]\nlevel=info\n');
  config('plugins', 'tls\nauth/flat_file\nmta-expr/haraka\n');
  config('auth_flat_file.ini', `[core]\nmethods=PLAIN,LOGIN\n[users]\n${Object.entries(options.users ?? {}).map(([u, p]) => `${u}=${p}`).join('\n')}\n`);
  config(
    'mta-expr.ini',
    `[main]\n${options.ini}\n[listeners]\n${smtp} = smtp:25\n${submission} = submission:587\n[addresses]\n${Object.entries(options.addresses ?? {}).map(([u, a]) => `${u} = ${a}`).join('\n')}\n`,
  );
  for (const [name, text] of Object.entries(options.files ?? {})) config(name, text);
  const haraka = new Running(spawn(process.execPath, [HARAKA_BIN, '-c', dir], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }));
  const stop = async (): Promise<void> => {
    await haraka.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of [smtp, submission]) await waitForPort(port, 20_000, () => `Haraka did not listen on 127.0.0.1:${port} within 20 s:\n${haraka.out}\n${haraka.err}`);
    // The plugin reads its configuration before the first connection is answered.
    await haraka.waitFor(/\[mta-expr\/haraka\] (policy from|every connection gets)/, 10_000);
  } catch (e) {
    await stop();
    throw e;
  }
  return { dir, smtp, submission, process: haraka, stop };
}
