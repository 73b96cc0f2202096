import { measure, do_not_optimize } from 'mitata';
import { compile } from '../dist/index.js';
const BASE = { local_port: 587, is_tls: true, rcpt: 'jane@example.org', sender: 'bob@example.org', name_lower: 'cc', remote_ip: '192.168.1.20', retry_num: 3 };
const ctxs = Array.from({ length: 64 }, () => JSON.parse(JSON.stringify(BASE)));
const VARIABLES = Object.keys(BASE);
const srcs = process.argv.slice(2).length ? process.argv.slice(2) : ['1', 'local_port', 'is_tls', 'local_port != 25', 'local_port != 25 && is_tls', '(retry_num > 3 || local_port == 25) && !is_tls', "'mx.' + rcpt + '-' + retry_num", "contains(['to', 'cc', 'bcc'], name_lower)", "starts_with(rcpt, 'jane') || sender == 'jdoe'"];
let i = 0;
for (const src of srcs) {
  const p = compile(src, { variables: VARIABLES });
  const st = await measure(() => { i = (i + 1) & 63; do_not_optimize(p.evaluate(ctxs[i])); }, { min_cpu_time: 300e6 });
  console.log(st.p50.toFixed(1).padStart(7), 'ns ', src);
}
