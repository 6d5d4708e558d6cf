import { describe, expect, it } from 'vitest';
import type { ParsedReport } from '../../schemas/report.schema.ts';
import { ReportRefSchema } from '../../schemas/jobs.schema.ts';
import { toReportRef } from '../../src/parse/report-ref.ts';

const report = (over: Partial<ParsedReport> = {}): ParsedReport => ({
  messageId: '<r1@microsoftonline.com>',
  subject: 'Directory Synchronization Error Report',
  from: 'MSOnlineServicesTeam@MicrosoftOnline.com',
  sentAt: '2024-03-05T06:02:11.000Z',
  reportedAt: '2024-03-05T06:00:00.000Z',
  tenant: { name: 'Contoso', domain: 'Contoso.onmicrosoft.com', id: null },
  trackingId: null,
  forwardedBy: null,
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

  it('names the tenant by its domain first, then id, name, and finally the forwarder', () => {
    expect(toReportRef(report(), ctx).tenantKey).toBe('contoso.onmicrosoft.com');
    expect(toReportRef(report({ tenant: { name: 'Contoso', domain: null, id: null } }), ctx).tenantKey).toBe('contoso');
    expect(toReportRef(report({ tenant: { name: null, domain: null, id: null }, forwardedBy: 'It@Contoso.com' }), ctx).tenantKey).toBe('it@contoso.com');
    expect(toReportRef(report({ tenant: { name: null, domain: null, id: null } }), ctx).tenantKey).toBe('admin@contoso.com');
  });

  it('lists each problem of the report once and passes its own schema', () => {
    const e = { category: 'Unknown' as const, errorCode: null, identity: null, objectType: null, onPremisesObjectId: null, attributes: [], message: 'x', fingerprint: 'f'.repeat(32) };
    const ref = toReportRef(report({ errors: [e, e] }), ctx);
    expect(ref.fingerprints).toEqual(['f'.repeat(32)]);
    expect(ReportRefSchema.parse(ref)).toEqual(ref);
  });
});
