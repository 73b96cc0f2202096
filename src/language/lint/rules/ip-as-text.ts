/**
 * `starts_with(remote_ip, '192.168.')`, `remote_ip == '10.0.0.0/8'`: an IP address compared
 * as text. A prefix of digits is not a network (`'192.168.1'` also matches `192.168.10.5`),
 * and a network or a partial address is never equal to an address: `is_ip_in_cidr` is the
 * test for that.
 */
import type { Node } from '../../syntax/ast.js';
import type { LintRule } from '../rule.js';
import { fix, isString, textOf, walk } from '../walk.js';

/** Variables that hold one IP address (`value` and `ip` in IP rules of the spam filter). */
const IP_VARIABLES = new Set(['remote_ip', 'local_ip', 'ip', 'received_from_ip']);
const IP_VALUE_GROUPS = new Set(['SpamIpVariable']);

const IPV4_FULL = /^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])$/;
const IPV4_OCTET = /^(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])$/;

/** The network a textual IPv4 or IPv6 prefix stands for: `192.168.` → `192.168.0.0/16`; `partial` when the last octet is cut. */
function networkOf(prefix: string): { cidr: string; partial: boolean } | undefined {
  if (/^[0-9.]+$/.test(prefix)) {
    const pieces = prefix.split('.');
    const complete = prefix.endsWith('.') ? pieces.slice(0, -1) : pieces;
    if (complete.length === 0 || complete.length > 3 || !complete.every((o) => IPV4_OCTET.test(o))) return undefined;
    const octets = [...complete, '0', '0', '0'].slice(0, 4);
    return { cidr: `${octets.join('.')}/${complete.length * 8}`, partial: !prefix.endsWith('.') };
  }
  const v6 = /^((?:[0-9a-fA-F]{1,4}:){1,7})$/.exec(prefix);
  if (v6) {
    const groups = v6[1]!.split(':').filter(Boolean).length;
    return { cidr: `${v6[1]}:/${groups * 16}`, partial: false };
  }
  return undefined;
}

export const ipAsText: LintRule = {
  code: 'ip-as-text',
  summary: 'an IP address compared as text (`starts_with`, `ends_with`, `==` with a partial address): use `is_ip_in_cidr`',
  run(ctx) {
    const isIp = (n: Node): boolean => n.kind === 'variable' && (IP_VARIABLES.has(n.name) || (n.name === 'value' && ctx.variableGroup !== null && IP_VALUE_GROUPS.has(ctx.variableGroup)));
    for (const part of ctx.parts) {
      walk(part.tree, (node) => {
        let ip: Node | undefined;
        let text: Node | undefined;
        let how: 'prefix' | 'suffix' | 'equal' | 'unequal';
        if (node.kind === 'call' && (node.name === 'starts_with' || node.name === 'ends_with') && node.args.length === 2) {
          [ip, text] = node.args as [Node, Node];
          how = node.name === 'starts_with' ? 'prefix' : 'suffix';
        } else if (node.kind === 'binary' && (node.op === '==' || node.op === '!=')) {
          [ip, text] = isIp(node.left) ? [node.left, node.right] : [node.right, node.left];
          how = node.op === '==' ? 'equal' : 'unequal';
        } else {
          return;
        }
        if (!isIp(ip) || !isString(text)) return;
        const value = text.value;
        const name = textOf(part.source, ip);
        if (how === 'suffix') {
          if (/^[0-9.:a-fA-F]+$/.test(value)) ctx.report(part, node.span, `\`${name}\` is compared as text: the end of an address is not a network; compare whole addresses or use \`is_ip_in_cidr\``);
          return;
        }
        const network = value.includes('/') ? { cidr: value, partial: false } : networkOf(value);
        if (how === 'prefix') {
          if (network === undefined) return;
          const also = network.partial ? `; '${value}' is also the start of '${value}0…'` : '';
          ctx.report(part, node.span, `\`${name}\` is compared as text: a prefix of an address is not a network${also}`, fix(node.span, `is_ip_in_cidr(${name}, '${network.cidr}')`));
          return;
        }
        if (IPV4_FULL.test(value) || value.includes('::') || network === undefined) return;
        const test = `is_ip_in_cidr(${name}, '${network.cidr}')`;
        ctx.report(
          part,
          node.span,
          `\`${name}\` holds a whole address: it is never equal to ${value.includes('/') ? 'the network' : 'the partial address'} '${value}'`,
          fix(node.span, how === 'equal' ? test : `!${test}`),
        );
      });
    }
  },
};
