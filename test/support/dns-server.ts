/**
 * A DNS server on loopback for the tests (dns-packet over node:dgram and node:net), UDP and
 * TCP on one port as resolvers expect: answers from a zone with TTLs, NXDOMAIN for names
 * outside it, no answer at all for `silent` names (timeouts), and for `truncated` names a
 * UDP answer with the TC bit and nothing in it, the full answer over TCP.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server as TcpServer, type Socket } from 'node:net';
import dnsPacket from 'dns-packet';

export interface ZoneRecord {
  type: 'A' | 'AAAA' | 'MX' | 'TXT' | 'PTR';
  /** Seconds (default 300). */
  ttl?: number;
  data: string | string[] | { preference: number; exchange: string };
}

export interface DnsServerOptions {
  /** Records by lower-case name (PTR: the `…in-addr.arpa` name). */
  zone: Record<string, ZoneRecord[]>;
  /** Names the server never answers. */
  silent?: string[];
  /** Names whose UDP answer is truncated (TC), answered in full over TCP. */
  truncated?: string[];
}

export interface DnsServer {
  port: number;
  /** `127.0.0.1:PORT`, for the resolver's servers. */
  address: string;
  /** Questions received, `TYPE name` each, with the transport. */
  queries: Array<{ q: string; tcp: boolean }>;
  count(q: string): number;
  stop(): Promise<void>;
}

const NXDOMAIN = 3;

function answer(query: dnsPacket.DecodedPacket, options: DnsServerOptions, tcp: boolean): Buffer | null {
  const question = query.questions?.[0];
  if (question === undefined) return null;
  const name = question.name.toLowerCase();
  if (options.silent?.includes(name)) return null;
  const flags = dnsPacket.RECURSION_AVAILABLE | dnsPacket.AUTHORITATIVE_ANSWER;
  const records = Object.prototype.hasOwnProperty.call(options.zone, name) ? options.zone[name]! : undefined;
  if (records === undefined) return dnsPacket.encode({ type: 'response', id: query.id, flags: flags | NXDOMAIN, questions: [question] });
  if (!tcp && options.truncated?.includes(name)) {
    return dnsPacket.encode({ type: 'response', id: query.id, flags: flags | dnsPacket.TRUNCATED_RESPONSE, questions: [question] });
  }
  const answers = records
    .filter((r) => r.type === question.type)
    .map((r) => ({ type: r.type, name: question.name, ttl: r.ttl ?? 300, class: 'IN', data: r.data }) as dnsPacket.Answer);
  return dnsPacket.encode({ type: 'response', id: query.id, flags, questions: [question], answers });
}

export async function startDnsServer(options: DnsServerOptions): Promise<DnsServer> {
  const queries: DnsServer['queries'] = [];
  const log = (packet: dnsPacket.DecodedPacket, tcp: boolean): void => {
    const q = packet.questions?.[0];
    if (q) queries.push({ q: `${q.type} ${q.name.toLowerCase()}`, tcp });
  };
  // UDP on a free port, then TCP on the same number (tried again if someone has it).
  for (let attempt = 0; ; attempt++) {
    const udp: UdpSocket = createSocket('udp4');
    udp.on('message', (msg, rinfo) => {
      let packet: dnsPacket.DecodedPacket;
      try {
        packet = dnsPacket.decode(msg);
      } catch {
        return;
      }
      log(packet, false);
      const reply = answer(packet, options, false);
      if (reply) udp.send(reply, rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
    const port = udp.address().port;
    const sockets = new Set<Socket>();
    const tcp: TcpServer = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
      let buffer = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        buffer = Buffer.concat([buffer, chunk]);
        while (buffer.length >= 2 && buffer.length >= 2 + buffer.readUInt16BE(0)) {
          const length = buffer.readUInt16BE(0);
          const msg = buffer.subarray(2, 2 + length);
          buffer = buffer.subarray(2 + length);
          let packet: dnsPacket.DecodedPacket;
          try {
            packet = dnsPacket.decode(msg);
          } catch {
            socket.destroy();
            return;
          }
          log(packet, true);
          const reply = answer(packet, options, true);
          if (reply) {
            const framed = Buffer.alloc(2 + reply.length);
            framed.writeUInt16BE(reply.length, 0);
            reply.copy(framed, 2);
            socket.write(framed);
          }
        }
      });
    });
    const bound = await new Promise<boolean>((resolve) => {
      tcp.once('error', () => resolve(false));
      tcp.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (!bound) {
      udp.close();
      if (attempt < 20) continue;
      throw new Error('no port free for both UDP and TCP');
    }
    return {
      port,
      address: `127.0.0.1:${port}`,
      queries,
      count: (q) => queries.filter((x) => x.q === q).length,
      stop: async () => {
        for (const s of sockets) s.destroy();
        await Promise.all([new Promise<void>((r) => udp.close(() => r())), new Promise<void>((r) => tcp.close(() => r()))]);
      },
    };
  }
}
