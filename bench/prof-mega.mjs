import { compile } from '../dist/index.js';
import { readFileSync } from 'node:fs';
const BASE = { local_port: 587, is_tls: true, rcpt: 'jane@example.org', sender: 'bob@example.org', name_lower: 'cc', remote_ip: '192.168.1.20', retry_num: 3, octets: [127, 0, 0, 21] };
const ctxs = Array.from({ length: 64 }, () => JSON.parse(JSON.stringify(BASE)));
const V = { variables: Object.keys(BASE), constants: 'MtaAuthTypeConstant' };
const srcs = ['local_port != 25 && is_tls', "starts_with(rcpt, 'jane') || sender == 'jdoe'", "contains(['to', 'cc', 'bcc'], name_lower)", "'mx.' + rcpt + '-' + retry_num", '(retry_num > 3 || local_port == 25) && !is_tls',
  JSON.parse(readFileSync('examples/sasl-mechanisms.json', 'utf8')), "is_ip_in_cidr(remote_ip, '10.0.0.0/8') || is_ip_in_cidr(remote_ip, '192.168.0.0/16')",
  { match: Array.from({ length: 20 }, (_, i) => ({ if: `octets[3] == ${i + 2}`, then: `'LISTED_${i + 2}'` })), else: 'false' }];
const progs = srcs.map((s) => compile(s, V));
for (let k = 0; k < 200000; k++) for (const p of progs) p.evaluate(ctxs[k & 63]);
const target = progs[Number(process.argv[2] ?? 0)];
let acc = 0; const N = 30_000_000;
const t = performance.now();
for (let i = 0; i < N; i++) { if (target.evaluate(ctxs[i & 63]) === 1) acc++; }
console.log((((performance.now() - t) * 1e6) / N).toFixed(2), 'ns', acc);
