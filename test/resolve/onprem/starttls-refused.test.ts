import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.ts';
import { checkOnPrem } from '../../../src/doctor/onprem-check.ts';
import { PermanentError } from '../../../src/errors.ts';
import { OnPremDirectory } from '../../../src/resolve/onprem/onprem-directory.ts';

/**
 * An `ldap://` DC that answers StartTLS with LDAP result 52 (unavailable), as AD does without a
 * certificate for LDAP: a refusal to fix, not a busy DC to retry, and the password never sent.
 * The listener speaks just enough BER for that: an ExtendedResponse to the ExtendedRequest.
 */

const PASSWORD = 'Never-In-Clear-1!';
let server: Server;
let url: string;
const received: Buffer[] = [];

beforeAll(async () => {
  server = createServer((socket) => {
    socket.on('data', (b) => {
      received.push(b);
      // LDAPMessage: SEQUENCE, messageID (INTEGER), protocolOp; 0x77 is an ExtendedRequest
      const idLen = b[3]!;
      if (b[0] !== 0x30 || b[4 + idLen] !== 0x77) return;
      const id = b.subarray(4, 4 + idLen);
      const response = Buffer.from([0x78, 0x07, 0x0a, 0x01, 52, 0x04, 0x00, 0x04, 0x00]);
      const inner = Buffer.concat([Buffer.from([0x02, idLen]), id, response]);
      socket.write(Buffer.concat([Buffer.from([0x30, inner.length]), inner]));
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  url = `ldap://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('a DC that refuses StartTLS', () => {
  it('is a permanent TLS failure that says what to do, and the bind password is never sent', async () => {
    const dir = new OnPremDirectory({ url, bindDn: 'CN=reader,DC=corp,DC=example', bindPassword: PASSWORD, baseDn: 'DC=corp,DC=example', timeoutMs: 2000 });
    const err = await dir.probe().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect(err).toMatchObject({ code: 'onprem_starttls_refused' });
    expect((err as Error).message).toMatch(/refused StartTLS \(LDAP result 52.*the password was not sent.*ldaps:\/\//);
    expect(Buffer.concat(received).includes(Buffer.from(PASSWORD))).toBe(false);
  });

  it('doctor says what to do: a certificate for the DC, or ldaps://; not the untrusted-certificate advice', async () => {
    const config = loadConfig({ ONPREM_URL: url, ONPREM_BIND_DN: 'CN=reader,DC=corp,DC=example', ONPREM_BIND_PASSWORD: PASSWORD, ONPREM_BASE_DN: 'DC=corp,DC=example' });
    const [bind] = await checkOnPrem(config, { timeoutMs: 3000 });
    expect(bind).toMatchObject({ status: 'fail' });
    expect(bind!.fix).toMatch(/offers no TLS on this port .*ldaps:\/\//);
    expect(bind!.fix).not.toContain('ONPREM_TLS_CA');
  });
});
