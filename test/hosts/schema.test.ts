/**
 * The configuration objects come from the schema alone: a third object added to it is
 * served by the API, read and changed through the CLI, evaluated by the session policy at
 * the stage of its context, and accepted in the server configuration file — with no code
 * written for it.
 */
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  createApiServer,
  LiveConfig,
  MemoryStore,
  permissionsOf,
  serverConfig,
  SessionPolicy,
  TokenTable,
} from '../../src/hosts/index.js';
import { runCliAsync as cli } from '../support/cli.js';
import { WITH_EHLO_STAGE } from '../support/schemas.js';

describe('a third object in the schema', () => {
  it('appears in the API, the CLI and the policy without code of its own', async () => {
    const live = await LiveConfig.open(new MemoryStore(), {}, WITH_EHLO_STAGE);
    const token = 'third-object-token';
    const server = createApiServer({ live, tokens: new TokenTable([{ token, permissions: permissionsOf(WITH_EHLO_STAGE) }], WITH_EHLO_STAGE) });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const got = await cli(['get', 'MtaStageEhlo', '--url', url, '--token', token]);
      expect(got).toEqual({
        code: 0,
        out: "MtaStageEhlo (state 0)\n  rejectNonFqdn  protocol == 'smtp'  (default)\n  timeout        5m  (default)\n",
        err: '',
      });
      const updated = await cli(['update', 'MtaStageEhlo', '--field', 'timeout={"else":"30s"}', '--url', url, '--token', token]);
      expect(updated).toMatchObject({ code: 0, out: 'updated MtaStageEhlo: timeout (state 0 → 1)\n' });
      const rejected = await cli(['update', 'MtaStageEhlo', '--field', 'rejectNonFqdn={"else":"sender"}', '--url', url, '--token', token]);
      expect(rejected.code).toBe(1);
      expect(rejected.err).toContain('variable `sender` is not available in this context (MtaEhloVariable)');
      const described = await cli(['describe', 'mtastageehlo', '--url', url, '--token', token]);
      expect(described.out).toContain('timeout  duration expression\n  How long to wait for EHLO.\n  default   5m\n  variables (MtaEhloVariable) listener,');

      const policy = new SessionPolicy(() => live.objects());
      const session = policy.session({ listener: 'smtp', remote_ip: '192.0.2.1', remote_port: 1, local_ip: '127.0.0.1', local_port: 25, is_tls: false });
      const ehlo = await session.ehlo('client.example', false);
      expect(ehlo.values.MtaStageEhlo).toEqual({ rejectNonFqdn: true, timeout: 30_000 });
      expect(ehlo.mechanisms).toEqual([]);
      expect((await session.connect()).values.MtaStageEhlo).toBeUndefined();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('is a key of the server configuration file', () => {
    const config = serverConfig({ MtaStageEhlo: { timeout: { else: '1m' } } }, '.', WITH_EHLO_STAGE);
    expect(config.objects.MtaStageEhlo!.isDefault('timeout')).toBe(false);
    expect(() => serverConfig({ MtaStageEhlo: {} })).toThrow(/unknown configuration key/);
  });
});
