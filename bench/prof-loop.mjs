import { compile } from '../dist/index.js';
const BASE = { local_port: 587, is_tls: true, rcpt: 'jane@example.org', sender: 'bob@example.org', name_lower: 'cc', remote_ip: '192.168.1.20', retry_num: 3 };
const ctxs = Array.from({ length: 64 }, () => JSON.parse(JSON.stringify(BASE)));
const VARIABLES = Object.keys(BASE);
const src = process.argv[2];
const p = compile(src, { variables: VARIABLES });
let acc = 0;
const N = 20_000_000;
for (let k = 0; k < 3; k++) {
  const t = performance.now();
  for (let i = 0; i < N; i++) { const r = p.evaluate(ctxs[i & 63]); if (r === 1) acc++; }
  console.log(src, (((performance.now() - t) * 1e6) / N).toFixed(2), 'ns', acc);
}
