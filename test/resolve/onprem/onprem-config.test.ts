import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config.ts';
import { anyOf, equals, escapeFilterValue } from '../../../src/resolve/onprem/ldap-filter.ts';
import { holderFilter } from '../../../src/resolve/onprem/onprem-directory.ts';

const base = { ONPREM_URL: 'ldaps://dc1.corp.example.com:636', ONPREM_BIND_DN: 'CN=reader,DC=corp,DC=example,DC=com', ONPREM_BASE_DN: 'DC=corp,DC=example,DC=com' };

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (err) {
    return (err as ConfigError).problems;
  }
}

describe('onprem config', () => {
  it('is off by default, with objectGUID as anchor, a 10 s timeout and a 30 min wait for a worker', () => {
    expect(loadConfig({}).onprem).toEqual({ anchorAttribute: 'objectGUID', timeoutMs: 10_000, waitSeconds: 1800 });
  });

  it('reads every key from the environment, the password from a _FILE', () => {
    const dir = mkdtempSync(join(tmpdir(), 'onprem-'));
    writeFileSync(join(dir, 'pw'), 's3cret\n');
    const config = loadConfig({ ...base, ONPREM_BIND_PASSWORD_FILE: join(dir, 'pw'), ONPREM_ANCHOR_ATTRIBUTE: 'ms-DS-ConsistencyGuid', ONPREM_TLS_CA: '/etc/ssl/ca.pem', ONPREM_TIMEOUT_MS: '2500', ONPREM_FOREST: 'Corp-Fabrikam', ONPREM_WAIT_SECONDS: '0' });
    expect(config.onprem).toEqual({
      url: base.ONPREM_URL, bindDn: base.ONPREM_BIND_DN, bindPassword: 's3cret', baseDn: base.ONPREM_BASE_DN,
      anchorAttribute: 'ms-DS-ConsistencyGuid', tlsCa: '/etc/ssl/ca.pem', timeoutMs: 2500, forest: 'corp-fabrikam', waitSeconds: 0,
    });
  });

  it("takes the anchor attribute in any case (the schema's own spelling mS-DS-ConsistencyGuid too), and refuses another", () => {
    for (const v of ['mS-DS-ConsistencyGuid', 'MS-DS-CONSISTENCYGUID', 'objectguid']) expect(['ms-DS-ConsistencyGuid', 'objectGUID']).toContain(loadConfig({ ONPREM_ANCHOR_ATTRIBUTE: v }).onprem.anchorAttribute);
    expect(loadConfig({ ONPREM_ANCHOR_ATTRIBUTE: 'mS-DS-ConsistencyGuid' }).onprem.anchorAttribute).toBe('ms-DS-ConsistencyGuid');
    expect(problems({ ONPREM_ANCHOR_ATTRIBUTE: 'sAMAccountName' }).join(' ')).toMatch(/ONPREM_ANCHOR_ATTRIBUTE/);
  });

  it('takes a url alone (a host that only queues lookups), and names what is missing of the account', () => {
    expect(loadConfig({ ONPREM_URL: base.ONPREM_URL }).onprem.url).toBe(base.ONPREM_URL);
    expect(problems({ ONPREM_BIND_DN: base.ONPREM_BIND_DN })).toEqual([
      'onprem.url (ONPREM_URL): ONPREM_URL is required with the on-premises account',
      'onprem.bindPassword (ONPREM_BIND_PASSWORD): ONPREM_BIND_PASSWORD is required with the other on-premises account keys',
      'onprem.baseDn (ONPREM_BASE_DN): ONPREM_BASE_DN is required with the other on-premises account keys',
    ]);
    expect(problems({ ...base, ONPREM_BIND_PASSWORD: 'x', ONPREM_URL: 'https://dc1' })[0]).toMatch(/^onprem\.url \(ONPREM_URL\): must start with ldaps:\/\//);
    expect(problems({ ONPREM_ANCHOR_ATTRIBUTE: 'mail' })[0]).toMatch(/^onprem\.anchorAttribute \(ONPREM_ANCHOR_ATTRIBUTE\)/);
  });
});

describe('LDAP filters (RFC 4515)', () => {
  it('escapes the five special characters and nothing else', () => {
    expect(escapeFilterValue('*)(objectClass=*')).toBe('\\2a\\29\\28objectClass=\\2a');
    expect(escapeFilterValue('a\\b\0c')).toBe('a\\5cb\\00c');
    expect(escapeFilterValue('josé@exämple.com')).toBe('josé@exämple.com');
    expect(anyOf([equals('mail', 'x*')])).toBe('(mail=x\\2a)');
  });

  it('looks for an address as UPN, mail and both SMTP proxy cases; a SIP value only as SIP', () => {
    const smtp = '(|(userPrincipalName=a@b.c)(mail=a@b.c)(proxyAddresses=SMTP:a@b.c)(proxyAddresses=smtp:a@b.c))';
    expect(holderFilter('a@b.c')).toBe(smtp);
    expect(holderFilter('smtp:a@b.c')).toBe(smtp);
    expect(holderFilter('SIP:a@b.c')).toBe('(|(proxyAddresses=SIP:a@b.c)(msRTCSIP-PrimaryUserAddress=sip:a@b.c))');
    expect(holderFilter('*)(x=*')).toBe('(|(userPrincipalName=\\2a\\29\\28x=\\2a)(mail=\\2a\\29\\28x=\\2a)(proxyAddresses=SMTP:\\2a\\29\\28x=\\2a)(proxyAddresses=smtp:\\2a\\29\\28x=\\2a))');
  });
});
