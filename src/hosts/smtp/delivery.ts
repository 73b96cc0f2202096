/**
 * Where an accepted message goes. The SMTP server answers 250 to the end of DATA only once
 * a delivery has taken the message: written and renamed into a Maildir (`spoolDelivery`),
 * accepted by an upstream server (`relayDelivery`), handled by the embedding code
 * (`hookDelivery`), or dropped because the operator said so (`discardDelivery`). A delivery
 * that fails rejects with the reply the client gets (a 4xx: the client keeps the message and
 * tries again); nothing of the message stays in memory once it is delivered.
 *
 * The message reaches a delivery as a stream that fails with `MessageTooBig` as soon as it
 * passes the SIZE limit, so a spool file or an upstream transaction is abandoned half way
 * and never completed.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import nodemailer from 'nodemailer';

/** The envelope and the session a message came in. */
export interface Envelope {
  listener: string;
  /** The client's address. */
  remoteIp: string;
  from: string;
  to: string[];
  user: string | undefined;
}

/** A message in full, for the embedding code's hook (read into memory, at most SIZE bytes). */
export interface ReceivedMessage extends Envelope {
  data: Buffer;
}

/** A refusal of the message, with the reply code the client gets. */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly responseCode = 451,
  ) {
    super(message);
  }
}

/** The message passed the SIZE limit while it was read. */
export class MessageTooBig extends DeliveryError {
  constructor(limit: number) {
    super(`5.3.4 Message exceeds the maximum size of ${limit} bytes`, 552);
  }
}

export interface Delivery {
  /** What the delivery is, for the start line: `spool /var/mail/in`, `relay 127.0.0.1:25`. */
  readonly description: string;
  /** Takes the message; resolves with the text of the 250 reply (a queue id) once it is safe. */
  deliver(envelope: Envelope, data: Readable): Promise<string>;
  close?(): Promise<void>;
}

let sequence = 0;

/** A unique Maildir file name: `TIME.PPID_SEQ_RANDOM.HOST` (the usual form of one). */
function maildirName(): string {
  const now = Date.now();
  const host = hostname().replace(/\//g, '\\057').replace(/:/g, '\\072');
  return `${Math.floor(now / 1000)}.M${(now % 1000) * 1000}P${process.pid}Q${++sequence}R${randomBytes(4).toString('hex')}.${host}`;
}

/** Header lines a local delivery adds: the envelope sender and each recipient. */
function envelopeHeaders(envelope: Envelope): string {
  return `Return-Path: <${envelope.from}>\r\n${envelope.to.map((t) => `Delivered-To: ${t}\r\n`).join('')}`;
}

/**
 * Writes each message into a Maildir (`tmp/`, `new/`, `cur/` under `dir`, made at start):
 * to `tmp/NAME`, flushed to disk, then renamed into `new/NAME` (atomic: a reader sees the
 * whole message or none). A message that fails half way is removed from `tmp/`.
 */
export async function spoolDelivery(dir: string): Promise<Delivery> {
  for (const sub of ['tmp', 'new', 'cur']) await mkdir(join(dir, sub), { recursive: true, mode: 0o700 });
  return {
    description: `spool ${dir}`,
    async deliver(envelope, data) {
      const name = maildirName();
      const tmp = join(dir, 'tmp', name);
      const file = await open(tmp, 'wx', 0o600);
      try {
        await file.write(envelopeHeaders(envelope));
        for await (const chunk of data) await file.write(chunk as Buffer);
        if (data.errored) throw data.errored;
        await file.sync();
      } catch (e) {
        await file.close().catch(() => undefined);
        await unlink(tmp).catch(() => undefined);
        throw e instanceof DeliveryError ? e : new DeliveryError(`4.3.0 Cannot store the message: ${(e as NodeJS.ErrnoException).code ?? 'write failed'}`);
      }
      await file.close();
      try {
        await rename(tmp, join(dir, 'new', name));
      } catch (e) {
        await unlink(tmp).catch(() => undefined);
        throw new DeliveryError(`4.3.0 Cannot store the message: ${(e as NodeJS.ErrnoException).code ?? 'rename failed'}`);
      }
      // The rename itself is on disk before the 250: the directory is flushed too.
      const newDir = await open(join(dir, 'new'), 'r');
      try {
        await newDir.sync();
      } finally {
        await newDir.close();
      }
      return `2.0.0 Ok: queued as ${name}`;
    },
  };
}

export interface RelaySettings {
  host: string;
  port: number;
  /** Connections kept open to the upstream (default 5). */
  maxConnections?: number;
  /** How long connecting, the greeting and each reply may take (default 30 s, 30 s, 60 s). */
  connectionTimeout?: number;
  greetingTimeout?: number;
  socketTimeout?: number;
  /** The name sent in EHLO. */
  name?: string;
}

/** Reads an upstream's refusal as the reply to give the client: its 5xx stays permanent, anything else is temporary. */
function upstreamError(e: unknown): DeliveryError {
  if (e instanceof DeliveryError) return e;
  const err = e as { responseCode?: number; response?: string; code?: string; message?: string };
  const code = err.responseCode;
  const said = (err.response ?? err.message ?? 'no answer').replace(/[\r\n]+/g, ' ').slice(0, 200);
  if (code !== undefined && code >= 500 && code < 600) return new DeliveryError(`5.0.0 The upstream server refused the message: ${said}`, 554);
  return new DeliveryError(`4.4.1 The upstream server did not take the message, try again later: ${err.code ?? said}`, 451);
}

/**
 * Relays each message to an upstream SMTP server (nodemailer's pooled SMTP transport, with
 * STARTTLS when the upstream offers it) and answers 250 only once the upstream accepted it.
 * An upstream that is down or slow gives the client a 451; one that refuses every recipient
 * gives its refusal. Recipients it refuses while accepting others are logged (`onPartial`).
 */
export function relayDelivery(settings: RelaySettings, onPartial?: (envelope: Envelope, rejected: string[]) => void): Delivery {
  const transport = nodemailer.createTransport({
    pool: true,
    host: settings.host,
    port: settings.port,
    secure: false,
    maxConnections: settings.maxConnections ?? 5,
    connectionTimeout: settings.connectionTimeout ?? 30_000,
    greetingTimeout: settings.greetingTimeout ?? 30_000,
    socketTimeout: settings.socketTimeout ?? 60_000,
    // Opportunistic TLS between servers, as MTAs do it (Postfix's `may` level): encrypted when offered, not verified.
    tls: { rejectUnauthorized: false },
    ...(settings.name ? { name: settings.name } : {}),
  });
  const where = `${settings.host.includes(':') ? `[${settings.host}]` : settings.host}:${settings.port}`;
  return {
    description: `relay ${where}`,
    async deliver(envelope, data) {
      let info: { accepted: Array<string | { address: string }>; rejected: Array<string | { address: string }>; response: string; messageId?: string };
      try {
        info = (await transport.sendMail({ envelope: { from: envelope.from, to: envelope.to }, raw: data })) as typeof info;
      } catch (e) {
        throw upstreamError(e);
      }
      const rejected = info.rejected.map((r) => (typeof r === 'string' ? r : r.address));
      if (rejected.length > 0) onPartial?.(envelope, rejected);
      return `2.0.0 Ok: relayed to ${where}: ${info.response.replace(/[\r\n]+/g, ' ').slice(0, 200)}`;
    },
    close: async () => transport.close(),
  };
}

/** Drops each message after reading it (`--discard`: the operator's choice, for tests and traps). */
export const discardDelivery: Delivery = {
  description: 'discard',
  async deliver(_envelope, data) {
    await pipeline(data, new PassThrough().resume());
    return '2.0.0 Ok: discarded';
  },
};

/**
 * Hands each message to the embedding code in full (at most SIZE bytes in memory, for the
 * time the hook runs); 250 once the hook resolves, a 451 when it throws (a `DeliveryError`
 * gives its own reply).
 */
export function hookDelivery(onMessage: (message: ReceivedMessage) => void | Promise<void>): Delivery {
  return {
    description: 'the onMessage hook',
    async deliver(envelope, data) {
      const chunks: Buffer[] = [];
      for await (const chunk of data) chunks.push(chunk as Buffer);
      try {
        await onMessage({ ...envelope, data: Buffer.concat(chunks) });
      } catch (e) {
        throw e instanceof DeliveryError ? e : new DeliveryError('4.3.0 The message could not be handed on, try again later');
      }
      return '2.0.0 Ok: message accepted';
    },
  };
}

/** Refuses every message with a temporary failure: what the server does when no delivery is configured. */
export const refuseDelivery: Delivery = {
  description: 'none (DATA is answered 451: give --spool, --relay or --discard)',
  async deliver(_envelope, data) {
    data.resume();
    throw new DeliveryError('4.3.2 This server does not accept messages: no delivery is configured', 451);
  },
};

/**
 * The message as a delivery reads it: `source` until it passes `limit` bytes, then an error
 * (`MessageTooBig`) instead of more data; the rest of `source` is read and dropped so the
 * SMTP session goes on.
 */
export function limitedMessage(source: Readable & { sizeExceeded?: boolean }, limit: number): Readable {
  let bytes = 0;
  const out = new PassThrough();
  // The error reaches the delivery when it reads (a destroyed stream keeps it); a delivery still opening its file has no listener yet.
  out.on('error', () => undefined);
  source.on('data', (chunk: Buffer) => {
    if (out.destroyed) return;
    bytes += chunk.length;
    if (source.sizeExceeded === true || (limit > 0 && bytes > limit)) {
      out.destroy(new MessageTooBig(limit));
      return;
    }
    if (!out.write(chunk)) {
      source.pause();
      out.once('drain', () => source.resume());
    }
  });
  source.once('end', () => {
    if (!out.destroyed) out.end();
  });
  source.once('error', (e) => out.destroy(e));
  out.once('close', () => source.resume());
  return out;
}
