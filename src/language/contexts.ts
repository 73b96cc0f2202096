/**
 * Variable and constant groups of the language (SPEC §5, §6): which names each kind of
 * configuration field may use. These are facts of the reference configuration schema;
 * a test checks them against the shared corpus when it is present.
 */

export const VARIABLE_GROUPS: Readonly<Record<string, readonly string[]>> = {
  HttpVariable: [
    'listener', 'remote_ip', 'remote_port', 'local_ip', 'local_port', 'protocol', 'is_tls',
    'url', 'path', 'headers', 'method',
  ],
  MtaConnectionVariable: [
    'listener', 'remote_ip', 'remote_port', 'local_ip', 'local_port', 'protocol', 'is_tls',
    'asn', 'country',
  ],
  MtaEhloVariable: [
    'listener', 'remote_ip', 'remote_port', 'local_ip', 'local_port', 'protocol', 'is_tls',
    'helo_domain', 'asn', 'country',
  ],
  MtaMailFromVariable: [
    'listener', 'remote_ip', 'remote_port', 'local_ip', 'local_port', 'protocol', 'is_tls',
    'sender', 'sender_domain', 'authenticated_as', 'asn', 'country',
  ],
  MtaQueueHostVariable: [
    'sender', 'sender_domain', 'rcpt_domain', 'rcpt', 'recipients', 'mx', 'priority',
    'remote_ip', 'local_ip', 'retry_num', 'notify_num', 'expires_in', 'last_status',
    'last_error', 'queue_name', 'queue_age', 'received_from_ip', 'received_via_port', 'source',
    'size',
  ],
  MtaQueueRcptVariable: [
    'rcpt', 'rcpt_domain', 'recipients', 'sender', 'sender_domain', 'priority', 'retry_num',
    'notify_num', 'expires_in', 'last_status', 'last_error', 'queue_name', 'queue_age',
    'received_from_ip', 'received_via_port', 'source', 'size',
  ],
  MtaQueueSenderVariable: [
    'sender', 'sender_domain', 'priority', 'retry_num', 'notify_num', 'expires_in',
    'last_status', 'last_error',
  ],
  MtaRcptDomainVariable: [
    'rcpt_domain',
  ],
  MtaRcptToVariable: [
    'sender', 'sender_domain', 'recipients', 'rcpt', 'rcpt_domain', 'authenticated_as',
    'listener', 'remote_ip', 'remote_port', 'local_ip', 'local_port', 'protocol', 'is_tls',
    'priority', 'helo_domain', 'asn', 'country',
  ],
  MtaRcptVariable: [
    'rcpt',
  ],
  SpamDefaultVariable: [
    'remote_ip', 'remote_ip.ptr', 'helo_domain', 'authenticated_as', 'asn', 'country', 'is_tls',
    'env_from', 'env_from.local', 'env_from.domain', 'env_to', 'from', 'from.name', 'from.local',
    'from.domain', 'reply_to', 'reply_to.name', 'reply_to.local', 'reply_to.domain', 'to',
    'to.name', 'to.local', 'to.domain', 'cc', 'cc.name', 'cc.local', 'cc.domain', 'bcc',
    'bcc.name', 'bcc.local', 'bcc.domain', 'body', 'body.text', 'body.html', 'body.words',
    'body.raw', 'subject', 'subject.thread', 'subject.words', 'location',
  ],
  SpamEmailVariable: [
    'email', 'value', 'name', 'local', 'domain', 'sld', 'remote_ip', 'remote_ip.ptr',
    'helo_domain', 'authenticated_as', 'asn', 'country', 'is_tls', 'env_from', 'env_from.local',
    'env_from.domain', 'env_to', 'from', 'from.name', 'from.local', 'from.domain', 'reply_to',
    'reply_to.name', 'reply_to.local', 'reply_to.domain', 'to', 'to.name', 'to.local',
    'to.domain', 'cc', 'cc.name', 'cc.local', 'cc.domain', 'bcc', 'bcc.name', 'bcc.local',
    'bcc.domain', 'body', 'body.text', 'body.html', 'body.words', 'body.raw', 'subject',
    'subject.thread', 'subject.words', 'location',
  ],
  SpamGenericVariable: [
    'value', 'remote_ip', 'remote_ip.ptr', 'helo_domain', 'authenticated_as', 'asn', 'country',
    'is_tls', 'env_from', 'env_from.local', 'env_from.domain', 'env_to', 'from', 'from.name',
    'from.local', 'from.domain', 'reply_to', 'reply_to.name', 'reply_to.local',
    'reply_to.domain', 'to', 'to.name', 'to.local', 'to.domain', 'cc', 'cc.name', 'cc.local',
    'cc.domain', 'bcc', 'bcc.name', 'bcc.local', 'bcc.domain', 'body', 'body.text', 'body.html',
    'body.words', 'body.raw', 'subject', 'subject.thread', 'subject.words', 'location',
  ],
  SpamHeaderVariable: [
    'name', 'name_lower', 'value', 'value_lower', 'attributes', 'raw', 'raw_lower', 'remote_ip',
    'remote_ip.ptr', 'helo_domain', 'authenticated_as', 'asn', 'country', 'is_tls', 'env_from',
    'env_from.local', 'env_from.domain', 'env_to', 'from', 'from.name', 'from.local',
    'from.domain', 'reply_to', 'reply_to.name', 'reply_to.local', 'reply_to.domain', 'to',
    'to.name', 'to.local', 'to.domain', 'cc', 'cc.name', 'cc.local', 'cc.domain', 'bcc',
    'bcc.name', 'bcc.local', 'bcc.domain', 'body', 'body.text', 'body.html', 'body.words',
    'body.raw', 'subject', 'subject.thread', 'subject.words', 'location',
  ],
  SpamIpVariable: [
    'ip', 'value', 'reverse_ip', 'ip_reverse', 'octets', 'is_v4', 'is_v6', 'remote_ip',
    'remote_ip.ptr', 'helo_domain', 'authenticated_as', 'asn', 'country', 'is_tls', 'env_from',
    'env_from.local', 'env_from.domain', 'env_to', 'from', 'from.name', 'from.local',
    'from.domain', 'reply_to', 'reply_to.name', 'reply_to.local', 'reply_to.domain', 'to',
    'to.name', 'to.local', 'to.domain', 'cc', 'cc.name', 'cc.local', 'cc.domain', 'bcc',
    'bcc.name', 'bcc.local', 'bcc.domain', 'body', 'body.text', 'body.html', 'body.words',
    'body.raw', 'subject', 'subject.thread', 'subject.words', 'location',
  ],
  SpamUrlVariable: [
    'url', 'url_original', 'value', 'path_query', 'path', 'query', 'scheme', 'authority', 'host',
    'sld', 'port', 'remote_ip', 'remote_ip.ptr', 'helo_domain', 'authenticated_as', 'asn',
    'country', 'is_tls', 'env_from', 'env_from.local', 'env_from.domain', 'env_to', 'from',
    'from.name', 'from.local', 'from.domain', 'reply_to', 'reply_to.name', 'reply_to.local',
    'reply_to.domain', 'to', 'to.name', 'to.local', 'to.domain', 'cc', 'cc.name', 'cc.local',
    'cc.domain', 'bcc', 'bcc.name', 'bcc.local', 'bcc.domain', 'body', 'body.text', 'body.html',
    'body.words', 'body.raw', 'subject', 'subject.thread', 'subject.words', 'location',
  ],
};

export const CONSTANT_GROUPS: Readonly<Record<string, readonly string[]>> = {
  MtaAggregateConstant: ['hourly', 'daily', 'weekly', 'disable'],
  MtaAuthTypeConstant: ['login', 'plain', 'xoauth2', 'oauthbearer'],
  MtaIpStrategyConstant: ['ipv4_only', 'ipv6_only', 'ipv6_then_ipv4', 'ipv4_then_ipv6'],
  MtaPriorityConstant: ['mixer', 'stanag4406', 'nsep'],
  MtaRequireConstant: ['optional', 'require', 'disable'],
  MtaVerifyConstant: ['relaxed', 'strict', 'disable'],
};

/** Every variable name the language knows. */
export const ALL_VARIABLES: readonly string[] = [
  'asn', 'attributes', 'authenticated_as', 'authority', 'bcc', 'bcc.domain', 'bcc.local',
  'bcc.name', 'body', 'body.html', 'body.raw', 'body.text', 'body.words', 'cc', 'cc.domain',
  'cc.local', 'cc.name', 'country', 'domain', 'email', 'email_lower', 'env_from',
  'env_from.domain', 'env_from.local', 'env_to', 'expires_in', 'from', 'from.domain',
  'from.local', 'from.name', 'headers', 'helo_domain', 'host', 'ip', 'ip_reverse', 'is_tls',
  'is_v4', 'is_v6', 'last_error', 'last_status', 'listener', 'local', 'local_ip', 'local_port',
  'location', 'method', 'mx', 'name', 'name_lower', 'notify_num', 'octets', 'path', 'path_query',
  'port', 'priority', 'protocol', 'query', 'queue_age', 'queue_name', 'raw', 'raw_lower', 'rcpt',
  'rcpt_domain', 'received_from_ip', 'received_via_port', 'recipients', 'remote_ip',
  'remote_ip.ptr', 'remote_port', 'reply_to', 'reply_to.domain', 'reply_to.local',
  'reply_to.name', 'retry_num', 'reverse_ip', 'scheme', 'sender', 'sender_domain', 'size', 'sld',
  'source', 'subject', 'subject.thread', 'subject.words', 'to', 'to.domain', 'to.local',
  'to.name', 'url', 'url_original', 'value', 'value_lower',
];

/** Every constant, in declaration order (the order constants sort in). */
export const ALL_CONSTANTS: readonly string[] = [
  'relaxed', 'strict', 'disable', 'optional', 'require', 'ipv4_only', 'ipv6_only',
  'ipv6_then_ipv4', 'ipv4_then_ipv6', 'hourly', 'daily', 'weekly', 'login', 'plain', 'xoauth2',
  'oauthbearer', 'mixer', 'stanag4406', 'nsep',
];

/** Names accepted by `system(NAME)`. */
export const SYSTEM_NAMES: readonly string[] = ['domain', 'hostname', 'node_id', 'node_hostname', 'node_role'];

export const ALL_VARIABLE_SET: ReadonlySet<string> = new Set(ALL_VARIABLES);
export const ALL_CONSTANT_SET: ReadonlySet<string> = new Set(ALL_CONSTANTS);

/** The groups (of `VARIABLE_GROUPS` or `CONSTANT_GROUPS`) that hold a name. */
export function groupsOf(groups: Readonly<Record<string, readonly string[]>>, name: string): string[] {
  return Object.keys(groups).filter((g) => groups[g]!.includes(name));
}
