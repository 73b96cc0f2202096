/**
 * A real Postfix (the Debian package) as an instance of its own: main.cf and master.cf in
 * a temporary directory, its queue and data there too, two smtpd listeners on free
 * loopback ports (smtp, and submission with policy_context=submission), STARTTLS, Cyrus
 * SASL on a sasldb of its own, mail discarded, and check_policy_service pointed at
 * mta-expr. `postfix -c DIR start`, then `postfix -c DIR stop`.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { selfSignedCertificate } from '../../src/hosts/smtp/tls.js';
import { freePort, waitForPort } from './servers.js';

export interface PostfixInstance {
  dir: string;
  smtp: number;
  submission: number;
  log(): string;
  stop(): Promise<void>;
}

function postfixUid(): number {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postfix:'));
  if (!line) throw new Error('there is no postfix user: is the postfix package installed (.ci/run installs it)?');
  return Number(line.split(':')[2]);
}

const run = (cmd: string, args: string[]): Promise<{ code: number; out: string }> =>
  new Promise((resolve) => execFile(cmd, args, { timeout: 30_000 }, (e, stdout, stderr) => resolve({ code: e ? Number((e as { code?: number }).code ?? 1) : 0, out: stdout + stderr })));

export async function startPostfix(options: { policyPort: number; users: Record<string, string> }): Promise<PostfixInstance> {
  if (!existsSync('/usr/sbin/postfix')) throw new Error('/usr/sbin/postfix is missing: install the postfix package (.ci/run does)');
  if (userInfo().uid !== 0) throw new Error('a Postfix instance needs root (its master runs as root and its daemons as postfix)');
  const dir = mkdtempSync(join(tmpdir(), 'mta-expr-postfix-'));
  chmodSync(dir, 0o755);
  const uid = postfixUid();
  for (const sub of ['queue', 'data', 'sasl']) mkdirSync(join(dir, sub));
  chownSync(join(dir, 'data'), uid, -1);
  const tls = await selfSignedCertificate('mx.test');
  writeFileSync(join(dir, 'key.pem'), tls.key, { mode: 0o600 });
  writeFileSync(join(dir, 'cert.pem'), tls.cert);
  writeFileSync(join(dir, 'sasl', 'smtpd.conf'), `pwcheck_method: auxprop\nauxprop_plugin: sasldb\nmech_list: PLAIN LOGIN\nsasldb_path: ${dir}/sasldb2\n`);
  for (const [user, password] of Object.entries(options.users)) {
    const [local, domain] = user.split('@');
    execFileSync('saslpasswd2', ['-c', '-p', '-f', join(dir, 'sasldb2'), '-u', domain!, local!], { input: password, timeout: 10_000 });
  }
  chownSync(join(dir, 'sasldb2'), uid, -1);
  const [smtp, submission] = [await freePort(), await freePort()];
  writeFileSync(
    join(dir, 'main.cf'),
    [
      'compatibility_level = 3.6',
      `queue_directory = ${dir}/queue`,
      `data_directory = ${dir}/data`,
      'mail_owner = postfix',
      'inet_interfaces = 127.0.0.1',
      'inet_protocols = ipv4',
      'myhostname = mx.test',
      'mydestination =',
      'mynetworks = 127.0.0.0/8',
      'alias_maps =',
      'alias_database =',
      'default_transport = discard:',
      'relay_transport = discard:',
      'local_transport = discard:',
      `maillog_file_prefixes = ${dir}`,
      `maillog_file = ${dir}/maillog`,
      'smtpd_banner = $myhostname ESMTP Postfix',
      `smtpd_tls_cert_file = ${dir}/cert.pem`,
      `smtpd_tls_key_file = ${dir}/key.pem`,
      'smtpd_tls_security_level = may',
      'smtpd_sasl_auth_enable = yes',
      'smtpd_sasl_type = cyrus',
      'smtpd_sasl_path = smtpd',
      `cyrus_sasl_config_path = ${dir}/sasl`,
      // The policy decides first; then Postfix's own rules (authenticated users and loopback relay).
      `smtpd_recipient_restrictions = check_policy_service { inet:127.0.0.1:${options.policyPort}, timeout=10s, default_action=DEFER_IF_PERMIT }, permit_sasl_authenticated, permit_mynetworks, reject`,
      '',
    ].join('\n'),
  );
  const services = ['pickup unix n - n 60 1 pickup', 'cleanup unix n - n - 0 cleanup', 'qmgr unix n - n 300 1 qmgr', 'tlsmgr unix - - n 1000? 1 tlsmgr', 'rewrite unix - - n - - trivial-rewrite', 'bounce unix - - n - 0 bounce', 'defer unix - - n - 0 bounce', 'trace unix - - n - 0 bounce', 'verify unix - - n - 1 verify', 'flush unix n - n 1000? 0 flush', 'proxymap unix - - n - - proxymap', 'smtp unix - - n - - smtp', 'relay unix - - n - - smtp', 'showq unix n - n - - showq', 'error unix - - n - - error', 'retry unix - - n - - error', 'discard unix - - n - - discard', 'local unix - n n - - local', 'anvil unix - - n - 1 anvil', 'scache unix - - n - 1 scache', 'postlog unix-dgram n - n - 1 postlogd'];
  writeFileSync(join(dir, 'master.cf'), [`${smtp} inet n - n - - smtpd`, `${submission} inet n - n - - smtpd -o smtpd_policy_service_policy_context=submission`, ...services, ''].join('\n'));
  const log = (): string => (existsSync(join(dir, 'maillog')) ? readFileSync(join(dir, 'maillog'), 'utf8') : '');
  const started = await run('postfix', ['-c', dir, 'start']);
  const stop = async (): Promise<void> => {
    await run('postfix', ['-c', dir, 'stop']);
    // The master removes its pid file once every daemon has gone: wait for it before removing the directory.
    for (let i = 0; i < 50 && existsSync(join(dir, 'queue', 'pid', 'master.pid')); i++) await new Promise((r) => setTimeout(r, 100));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    if (started.code !== 0) throw new Error(`postfix -c ${dir} start failed (${started.code}):\n${started.out}\n${log()}`);
    for (const port of [smtp, submission]) await waitForPort(port, 15_000, () => `Postfix did not listen on 127.0.0.1:${port}:\n${log()}`);
  } catch (e) {
    await stop();
    throw e;
  }
  return { dir, smtp, submission, log, stop };
}
