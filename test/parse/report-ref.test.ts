import { describe, expect, it } from 'vitest';
import type { ParsedReport } from '../../schemas/report.schema.ts';
import { ReportRefSchema } from '../../schemas/jobs.schema.ts';
import { legacyTenantKeys, toReportRef } from '../../src/parse/report-ref.ts';

const report = (over: Partial<ParsedReport> = {}): ParsedReport => ({
  messageId: '<r1@microsoftonline.com>',
  subject: 'Directory Synchronization Error Report',
  from: 'MSOnlineServicesTeam@MicrosoftOnline.com',
  sentAt: '2024-03-05T06:02:11.000Z',
  reportedAt: '2024-03-05T06:00:00.000Z',
  tenant: { name: 'Contoso', domain: 'Contoso.onmicrosoft.com', id: null },
  trackingId: null,
  forwardedBy: null,
  recipient: null,
  errors: [],
  unparsed: [],
  ...over,
});
const ctx = { mailId: 'a'.repeat(64), receivedAt: new Date('2024-03-06T00:00:00Z'), envelopeFrom: 'admin@contoso.com' };

describe('toReportRef', () => {
  it('orders reports by the sync run they cover, not by when the mail arrived', () => {
    expect(toReportRef(report(), ctx).coversAt).toBe('2024-03-05T06:00:00.000Z');
    expect(toReportRef(report({ reportedAt: null }), ctx).coversAt).toBe('2024-03-05T06:02:11.000Z');
    expect(toReportRef(report({ reportedAt: null, sentAt: null }), ctx).coversAt).toBe('2024-03-06T00:00:00.000Z');
  });

  it('gives each of the reports forwarded inline in one message an id of its own, so the second is never taken as applied', () => {
    const ids = [undefined, 1, 2].map((part) => toReportRef(report({ part }), ctx).reportId);
    expect(ids).toEqual(['<r1@microsoftonline.com>', '<r1@microsoftonline.com>#1', '<r1@microsoftonline.com>#2']);
    expect(toReportRef(report({ messageId: null, part: 2 }), ctx).reportId).toBe(`${'a'.repeat(64)}#2`);
  });

  it('names the tenant by its domain first, then id, name, the report\'s recipient, and finally the forwarder', () => {
    const none = { name: null, domain: null, id: null };
    expect(toReportRef(report(), ctx).tenantKey).toBe('contoso.onmicrosoft.com');
    expect(toReportRef(report({ tenant: { name: 'Contoso', domain: null, id: null } }), ctx).tenantKey).toBe('contoso');
    // an MSP admin forwards many tenants' reports: the technical contact Microsoft wrote to says more
    expect(toReportRef(report({ tenant: none, recipient: 'alerts@contoso.com', forwardedBy: 'It@Msp.example' }), ctx).tenantKey).toBe('alerts@contoso.com');
    expect(toReportRef(report({ tenant: none, forwardedBy: 'It@Contoso.com' }), ctx).tenantKey).toBe('it@contoso.com');
    expect(toReportRef(report({ tenant: none }), ctx).tenantKey).toBe('admin@contoso.com');
  });

  it('gives a report that names no tenant at all a stream of its own, never a shared "unknown"', () => {
    const bare = { tenant: { name: null, domain: null, id: null } };
    const alone = { ...ctx, envelopeFrom: null };
    const a = toReportRef(report({ ...bare, messageId: '<a@microsoftonline.com>' }), alone);
    const b = toReportRef(report({ ...bare, messageId: '<b@microsoftonline.com>' }), alone);
    expect(a.tenantKey).toBe('unknown:<a@microsoftonline.com>');
    expect(b.tenantKey).not.toBe(a.tenantKey);
    // the same report again (a replay) is the same stream
    expect(toReportRef(report({ ...bare, messageId: '<a@microsoftonline.com>' }), alone).tenantKey).toBe(a.tenantKey);
  });

  it('passes its own schema and stays small however many errors the report has (every resolve job carries it)', () => {
    const e = (n: number) => ({ category: 'Unknown' as const, errorCode: null, identity: null, objectType: null, onPremisesObjectId: null, attributes: [], message: 'x', fingerprint: n.toString(16).padStart(32, '0') });
    const ref = toReportRef(report({ errors: Array.from({ length: 20_000 }, (_, i) => e(i)) }), ctx);
    expect(ReportRefSchema.parse(ref)).toEqual(ref);
    expect(JSON.stringify(ref).length).toBeLessThan(1_000);
  });
});

describe('objectDomains: whose directory the objects say it is (blind58 N2)', () => {
  const e = (identity: string | null, values: string[], n = 0) => ({
    category: 'DuplicateAttribute' as const, errorCode: null, identity, objectType: null, onPremisesObjectId: null,
    attributes: values.map((value) => ({ name: 'ProxyAddresses', value })), message: 'x', fingerprint: n.toString(16).padStart(32, '0'),
  });
  it("reads the domains of the objects' UPNs and addresses, most frequent first, lower-cased; none from display names", () => {
    const errors = [e('Jane@Contoso.co.uk', ['SMTP:jane@contoso.co.uk']), e('Bob Smith', ['smtp:bob@fabrikam.com; X500:/o=ExchangeLabs/cn=Recipients']), e(null, ['sip:ann@contoso.co.uk'])];
    expect(toReportRef(report({ errors }), ctx).objectDomains).toEqual(['contoso.co.uk', 'fabrikam.com']);
    expect(toReportRef(report({ errors: [e('Bob Smith', [])] }), ctx).objectDomains).toBeUndefined();
  });
  it('keeps a few only, however many domains a report lists (every job of it carries them)', () => {
    const errors = Array.from({ length: 20_000 }, (_, i) => e(`u${i}@d${i}.example`, [], i));
    const ref = toReportRef(report({ errors }), ctx);
    expect(ref.objectDomains).toHaveLength(8);
    expect(JSON.stringify(ref).length).toBeLessThan(1_000);
  });
});

describe('legacyTenantKeys (blind36 U2)', () => {
  const keysOf = (tenant: ParsedReport['tenant']) => legacyTenantKeys(toReportRef(report({ tenant }), ctx));
  it('names the key an older parser cut at an abbreviation\'s dot, so the tickets opened under it stay the tenant\'s', () => {
    expect(keysOf({ name: 'Contoso Ltd. UK', domain: null, id: null })).toEqual(['contoso ltd']);
    expect(keysOf({ name: 'A.B. Dick Company', domain: null, id: null })).toEqual(['a.b']);
    expect(keysOf({ name: 'Fabrikam Inc. Europe', domain: null, id: null })).toEqual(['fabrikam inc']);
  });
  it('none where the old reader read the same: an initial\'s dot, a name without an inner stop, a key made of the domain or id', () => {
    expect(keysOf({ name: 'A. Datum Corporation', domain: null, id: null })).toEqual([]);
    expect(keysOf({ name: 'Fabrikam, Inc.', domain: null, id: null })).toEqual([]);
    expect(keysOf({ name: 'Contoso Ltd. UK', domain: 'contosouk.onmicrosoft.com', id: null })).toEqual([]);
    expect(keysOf({ name: 'Contoso Ltd. UK', domain: null, id: '0a0a0a0a-0000-4000-8000-00000000000a' })).toEqual([]);
  });
});

