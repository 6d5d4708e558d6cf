import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openRuntime } from '../../src/app/runtime.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { services } from '../helpers/services.ts';
import { tempDir, uid } from '../prove/helpers.ts';
import { forwardedAsAttachment, reportMail } from './helpers.ts';

/**
 * An MSP lists each customer's forwarders in the tenants file (blind34 M5): sender trust takes
 * them as it takes ALLOWED_FORWARDERS, in the process as `syncdesk start` opens it (a real
 * Redis; DNS cannot vouch for a signature here, so the verdict shows who was taken for an
 * allowed forwarder: "allow-listed forwarder … failed authentication" against "neither …").
 */
describe('sender trust and the tenants file', () => {
  it("takes a tenant's forwarders as allowed forwarders", async () => {
    const dir = tempDir('tenant-fwd');
    const tenants = join(dir, 'tenants.yaml');
    writeFileSync(tenants, 'tenants:\n  - name: Fabrikam\n    tenantId: 0e2e0000-0000-4000-8000-0000000000f1\n    domains: [fabrikam.onmicrosoft.com]\n    forwarders: [admin@fabrikam.com]\n    clientId: c\n    clientSecret: s\n');
    const env = { REDIS_URL: services().REDIS_URL!, REDIS_PREFIX: `tf${uid()}`, MAIL_STORE_DIR: join(dir, 'mail'), TICKET_SINK: 'file', TICKET_DIR: join(dir, 'tickets'), TRUST_POLICY: 'forwarders', GRAPH_TENANTS_FILE: tenants };
    const runtime = await openRuntime(loadConfig(env), createLogger({ level: 'silent' }));
    try {
      const ingest = (raw: string) => runtime.ingestor().ingest(Buffer.from(raw), { origin: 'imap', receivedAt: new Date('2026-03-04T00:05:00Z'), dryRun: true });
      const listed = await ingest(forwardedAsAttachment(reportMail(`tf1-${uid()}`), 'admin@fabrikam.com', 'tf1'));
      expect(listed).toMatchObject({ decision: 'quarantined', reason: expect.stringContaining('allow-listed forwarder admin@fabrikam.com failed authentication') });
      const other = await ingest(forwardedAsAttachment(reportMail(`tf2-${uid()}`), 'eve@fabrikam.com', 'tf2'));
      expect(other).toMatchObject({ decision: 'quarantined', reason: expect.stringContaining('neither a known Microsoft sender nor an allow-listed forwarder') });
    } finally {
      await runtime.close();
    }
  }, 60_000);

  it("a customer's forwarder forwards its own tenant's reports, not another's (blind35 S1)", async () => {
    const dir = tempDir('tenant-fwd-scope');
    const tenants = join(dir, 'tenants.yaml');
    writeFileSync(
      tenants,
      [
        'tenants:',
        '  - name: Fabrikam, Inc.',
        '    tenantId: 0e2e0000-0000-4000-8000-0000000000f1',
        '    domains: [fabrikam.onmicrosoft.com]',
        '    forwarders: [admin@fabrikam.com]',
        '  - name: Contoso Ltd',
        '    tenantId: 0e2e0000-0000-4000-8000-0000000000c1',
        '    domains: [contoso.onmicrosoft.com]',
        '    forwarders: [it-admin@contoso.com]',
        '',
      ].join('\n'),
    );
    const env = {
      REDIS_URL: services().REDIS_URL!,
      REDIS_PREFIX: `tf${uid()}`,
      MAIL_STORE_DIR: join(dir, 'mail'),
      TICKET_SINK: 'file',
      TICKET_DIR: join(dir, 'tickets'),
      TRUST_POLICY: 'forwarders',
      TRUSTED_AUTHSERV_IDS: 'mx.msp.test',
      ALLOWED_FORWARDERS: 'desk@msp.test',
      GRAPH_TENANTS_FILE: tenants,
    };
    const runtime = await openRuntime(loadConfig(env), createLogger({ level: 'silent' }));
    // our MX authenticated the forwarder's own mail
    const passed = (from: string, inner: string) => `Authentication-Results: mx.msp.test; dkim=pass header.d=${from.split('@')[1]}; dmarc=pass header.from=${from.split('@')[1]}\r\n${forwardedAsAttachment(inner, from, uid())}`;
    const contosoReport = (tag: string) => reportMail(tag).replace('for tenant Fabrikam, Inc..', 'for tenant Contoso Ltd.');
    try {
      const ingest = (raw: string) => runtime.ingestor().ingest(Buffer.from(raw), { origin: 'imap', receivedAt: new Date('2026-03-04T00:05:00Z'), dryRun: true });
      expect(await ingest(passed('it-admin@contoso.com', contosoReport(`own-${uid()}`)))).toMatchObject({ decision: 'new', reason: 'allow-listed forwarder it-admin@contoso.com, authenticated' });
      expect(await ingest(passed('it-admin@contoso.com', reportMail(`other-${uid()}`)))).toMatchObject({
        decision: 'quarantined',
        reason: expect.stringMatching(/^forwarder it-admin@contoso\.com forwards for Contoso Ltd \(tenants file\), but the report is Fabrikam, Inc\.'s/),
      });
      // the MSP's own address forwards for every tenant
      expect(await ingest(passed('desk@msp.test', reportMail(`msp-${uid()}`)))).toMatchObject({ decision: 'new' });
    } finally {
      await runtime.close();
    }
  }, 60_000);
});
