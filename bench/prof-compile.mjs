import { compile, parse } from '../dist/index.js';
import { tokenize } from '../dist/lexer.js';
import { resolveScope } from '../dist/options.js';
const VARIABLES = ['local_port', 'is_tls', 'rcpt', 'sender', 'name_lower', 'remote_ip', 'retry_num', 'octets'];
const src = 'local_port != 25 && is_tls';
function t(name, f, n = 200000) { for (let i = 0; i < 20000; i++) f(); const s = performance.now(); for (let i = 0; i < n; i++) f(); console.log(name, ((performance.now() - s) * 1000 / n).toFixed(2), 'µs'); }
t('tokenize', () => tokenize(src));
t('parse', () => parse(src));
t('scope', () => resolveScope({ variables: VARIABLES }));
t('scope-group', () => resolveScope({ variables: 'MtaEhloVariable' }));
t('compile list', () => compile(src, { variables: VARIABLES }));
t('compile group', () => compile(src, { variables: 'MtaEhloVariable' }));
t('compile noopt', () => compile(src, { variables: 'MtaEhloVariable', optimize: false }));
