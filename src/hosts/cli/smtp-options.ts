/**
 * The flags of the SMTP server (`smtp`, `serve --smtp`) that are not about the policy: where
 * accepted mail goes (`--spool`, `--relay`, `--discard`), the limits, and the log format of
 * both servers. Each limit's default is in smtp/limits.ts; the flags are in usage.ts.
 */
import { asDuration } from '../../language/index.js';
import { str } from '../json.js';
import { createLog, logFormat, type Log } from '../log.js';
import { discardDelivery, relayDelivery, spoolDelivery, type Delivery } from '../smtp/delivery.js';
import type { SmtpLimits } from '../smtp/limits.js';
import { CommandError, UsageError, type FlagValues, type Io } from './io.js';
import { listenAddress } from './listen.js';

/** The log of a server command, on its stderr. */
export function serverLog(values: FlagValues, io: Io, command: string): Log {
  const format = logFormat(str(values['log-format']));
  if (format === null) throw new UsageError(`--log-format must be text or json, not \`${str(values['log-format'])}\``, command);
  return createLog(io.stderr, format);
}

function count(values: FlagValues, flag: string, command: string): number | undefined {
  const text = str(values[flag]);
  if (text === undefined) return undefined;
  if (!/^[0-9]{1,15}$/.test(text)) throw new UsageError(`--${flag} must be a whole number, not \`${text}\``, command);
  return Number(text);
}

function duration(text: string, flag: string, command: string): number {
  const ms = /^[0-9]/.test(text) ? asDuration(text) : undefined;
  if (ms === undefined) throw new UsageError(`--${flag} must be a duration such as '30s', '10m' or '1d', not \`${text}\``, command);
  return ms;
}

/** The limits the flags set (the others keep their defaults). */
export function smtpLimits(values: FlagValues, command: string): Partial<SmtpLimits> {
  const limits: Partial<SmtpLimits> = {};
  const set = <K extends keyof SmtpLimits>(key: K, value: SmtpLimits[K] | undefined): void => {
    if (value !== undefined) limits[key] = value;
  };
  const size = count(values, 'max-message-size', command);
  if (size === 0) throw new UsageError('--max-message-size must be at least 1', command);
  set('maxMessageSize', size);
  set('maxConnections', count(values, 'max-connections', command));
  set('maxConnectionsPerIp', count(values, 'max-connections-per-ip', command));
  set('maxMessagesPerSession', count(values, 'max-messages', command));
  set('maxRecipients', count(values, 'max-recipients', command));
  set('maxHeloLength', count(values, 'max-helo-length', command));
  const ban = str(values['auth-ban']);
  if (ban === 'off') set('authBanThreshold', 0);
  else if (ban !== undefined) {
    const m = /^([1-9][0-9]{0,8})\/(.+)$/.exec(ban);
    if (!m) throw new UsageError(`--auth-ban must be N/PERIOD such as 100/1d, or off, not \`${ban}\``, command);
    set('authBanThreshold', Number(m[1]));
    set('authBanWindow', duration(m[2]!, 'auth-ban', command));
  }
  const banTime = str(values['auth-ban-time']);
  if (banTime !== undefined) set('authBanDuration', duration(banTime, 'auth-ban-time', command));
  if (values['bearer-needs-tls'] === true) set('bearerNeedsTls', true);
  const stage = str(values['stage-timeout']);
  if (stage !== undefined) set('stageTimeout', duration(stage, 'stage-timeout', command));
  return limits;
}

/** Where accepted mail goes: one of --spool, --relay and --discard, or undefined for none (DATA answered 451). */
export async function delivery(values: FlagValues, command: string, hostname: string, log: Log): Promise<Delivery | undefined> {
  const spool = str(values.spool);
  const relay = str(values.relay);
  const given = [spool !== undefined && '--spool', relay !== undefined && '--relay', values.discard === true && '--discard'].filter(Boolean);
  if (given.length > 1) throw new UsageError(`${given.join(' and ')} each say where accepted mail goes: give one`, command);
  if (spool !== undefined) {
    try {
      return await spoolDelivery(spool);
    } catch (e) {
      throw new CommandError(`cannot use the spool ${spool}: ${(e as Error).message}`);
    }
  }
  if (relay !== undefined) {
    const { host, port } = listenAddress(relay, 25, command, '--relay');
    return relayDelivery({ host, port, name: hostname }, (envelope, rejected) =>
      log.event('smtp', 'relay-partial', `relay refused ${rejected.map((r) => `<${r}>`).join(', ')} of the message from <${envelope.from}> (${envelope.remoteIp}); the other recipients got it`, { remote_ip: envelope.remoteIp, rejected }, 'warn'),
    );
  }
  return values.discard === true ? discardDelivery : undefined;
}
