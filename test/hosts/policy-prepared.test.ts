/**
 * A policy stage prepares its variables once and evaluates every field of the stage
 * against that one object (a fixed hidden class), with the answers the plain variables give.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigObject } from '../../src/hosts/config/object.js';
import { SessionPolicy, type ConnectionInfo } from '../../src/hosts/smtp/policy.js';
import { prepareVariables, Program } from '../../src/language/index.js';

const SUBMISSION: ConnectionInfo = { listener: 'submission', remote_ip: '192.0.2.7', remote_port: 40000, local_ip: '127.0.0.1', local_port: 587, is_tls: false };

afterEach(() => {
  vi.restoreAllMocks();
});

describe('a policy stage', () => {
  it('evaluates every field of the stage on one prepared object, with the answers of the plain variables', async () => {
    const seen: object[] = [];
    const evaluate = Program.prototype.evaluate;
    vi.spyOn(Program.prototype, 'evaluate').mockImplementation(function (this: Program, vars, env) {
      if (vars) seen.push(vars);
      return evaluate.call(this, vars, env);
    });
    const objects = {
      MtaStageAuth: new ConfigObject('MtaStageAuth', {}),
      MtaStageConnect: new ConfigObject('MtaStageConnect', {}),
    };
    const session = new SessionPolicy(() => objects, { env: { system: { hostname: 'mx.example.org' } } }).session(SUBMISSION);
    const answers = await session.ehlo('client.test', true);
    expect(answers.mechanisms).toEqual(['PLAIN', 'LOGIN', 'OAUTHBEARER', 'XOAUTH2']);
    expect(seen.length).toBeGreaterThan(1);
    // One object for the whole stage, already prepared (preparing it again gives it back).
    expect(new Set(seen).size).toBe(1);
    expect(prepareVariables(seen[0]!)).toBe(seen[0]);
    expect((seen[0] as Record<string, unknown>).helo_domain).toBe('client.test');
  });
});
