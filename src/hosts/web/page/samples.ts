/**
 * Sample values for the try-it panel: a TLS submission session from a client on a
 * documentation network, with a sender and a recipient. A variable without a sample here
 * starts empty (a text box); the kind decides the control (number, checkbox, text, JSON list).
 */

export type SampleKind = 'number' | 'boolean' | 'text' | 'list';

export interface Sample {
  kind: SampleKind;
  value: number | boolean | string | string[];
}

const n = (value: number): Sample => ({ kind: 'number', value });
const t = (value: string): Sample => ({ kind: 'text', value });
const b = (value: boolean): Sample => ({ kind: 'boolean', value });
const l = (...value: string[]): Sample => ({ kind: 'list', value });

const SAMPLES: Readonly<Record<string, Sample>> = {
  listener: t('submission'),
  remote_ip: t('192.0.2.25'),
  remote_port: n(50123),
  local_ip: t('192.0.2.1'),
  local_port: n(587),
  protocol: t('smtp'),
  is_tls: b(true),
  helo_domain: t('client.example.org'),
  asn: n(64496),
  country: t('US'),
  sender: t('jane@example.org'),
  sender_domain: t('example.org'),
  authenticated_as: t('jane@example.org'),
  rcpt: t('bob@example.net'),
  rcpt_domain: t('example.net'),
  recipients: l('bob@example.net'),
  priority: n(0),
  retry_num: n(0),
  notify_num: n(0),
  expires_in: n(432000),
  queue_age: n(0),
  queue_name: t('default'),
  received_from_ip: t('192.0.2.25'),
  received_via_port: n(587),
  size: n(2048),
  mx: t('mx.example.net'),
  url: t('https://mail.example.org/login'),
  path: t('/login'),
  method: t('GET'),
  port: n(443),
  is_v4: b(true),
  is_v6: b(false),
  octets: l('192', '0', '2', '25'),
  ip: t('192.0.2.25'),
};

/** The sample of a variable (an empty text when there is none). */
export function sampleOf(name: string): Sample {
  return Object.prototype.hasOwnProperty.call(SAMPLES, name) ? SAMPLES[name]! : { kind: 'text', value: '' };
}

/** Sample host values for `system(NAME)`. */
export function systemSample(name: string): string {
  const values: Record<string, string> = { hostname: 'mx.example.org', domain: 'example.org', node_id: '1', node_hostname: 'mx1.example.org', node_role: 'primary' };
  return Object.prototype.hasOwnProperty.call(values, name) ? values[name]! : '';
}
