/**
 * Push (RFC 8620 §7.3): the event source. A client opens `GET /jmap/eventsource/?types=…
 * &closeafter=state|no&ping=N` and is sent a `state` event, a StateChange
 * `{"@type": "StateChange", "changed": {ACCOUNT: {"x:MtaStageAuth": "4"}}}`, after every
 * change of an object it may read (of the given types, or all with `*`; a change another
 * node of a cluster committed too, once this node follows it), and a `ping` event
 * every N seconds (none for 0); with `closeafter=state` the stream ends after the first
 * state event.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LiveConfig } from '../config/live.js';
import { problem, type HttpAnswer } from './jmap.js';
import { ACCOUNT_ID } from './session.js';
import { permission, type Caller } from './tokens.js';

/** Shortest ping interval accepted (seconds): a shorter one is raised to it. */
const MIN_PING = 1;

/** Opens an event stream (kept in `open` while it is); or the problem with its parameters. */
export function eventSource(req: IncomingMessage, res: ServerResponse, caller: Caller, live: LiveConfig, open: Set<ServerResponse>): HttpAnswer | null {
  const query = new URL(req.url ?? '/', 'http://x').searchParams;
  const types = query.get('types');
  const closeafter = query.get('closeafter') ?? 'no';
  const ping = query.get('ping') ?? '0';
  if (types === null || types === '') return problem('notRequest', 'types is a comma-separated list of type names, or *');
  if (closeafter !== 'state' && closeafter !== 'no') return problem('notRequest', 'closeafter is state or no');
  if (!/^[0-9]{1,5}$/.test(ping)) return problem('notRequest', 'ping is a number of seconds (0: none)');
  const wanted = types === '*' ? null : new Set(types.split(','));
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
  res.flushHeaders();
  open.add(res);
  const interval = Number(ping) === 0 ? 0 : Math.max(MIN_PING, Number(ping));
  const pinger = interval > 0 ? setInterval(() => res.write(`event: ping\ndata: ${JSON.stringify({ interval })}\n\n`), interval * 1000) : null;
  const unsubscribe = live.onChange((states) => {
    const changed: Record<string, string> = {};
    for (const [object, state] of Object.entries(states)) {
      const type = `x:${object}`;
      if ((wanted === null || wanted.has(type)) && caller.permissions.has(permission(object, 'Get'))) changed[type] = state;
    }
    if (Object.keys(changed).length === 0) return;
    res.write(`event: state\ndata: ${JSON.stringify({ '@type': 'StateChange', changed: { [ACCOUNT_ID]: changed } })}\n\n`);
    if (closeafter === 'state') res.end();
  });
  const close = () => {
    open.delete(res);
    unsubscribe();
    if (pinger) clearInterval(pinger);
  };
  res.once('close', close);
  res.once('finish', close);
  return null;
}
