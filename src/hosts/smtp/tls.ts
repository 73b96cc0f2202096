/** A self-signed certificate for STARTTLS when none is configured (generated at start). */
import selfsigned from 'selfsigned';

export async function selfSignedCertificate(hostname: string): Promise<{ key: string; cert: string }> {
  const pems = await selfsigned.generate([{ name: 'commonName', value: hostname }], {
    keySize: 2048,
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: hostname }, { type: 7, ip: '127.0.0.1' }] }],
  } as Parameters<typeof selfsigned.generate>[1]);
  return { key: pems.private, cert: pems.cert };
}
