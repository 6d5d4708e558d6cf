import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ReportRef } from '../../schemas/jobs.schema.ts';
import { loadConfig } from '../../src/config.ts';
import { loadSnapshotDirectory } from '../../src/resolve/snapshot/snapshot-store.ts';
import { createTenantCloudOf, createTenantNameOf, createTenantNamer, loadConfiguredTenants } from '../../src/resolve/tenants.ts';

const ref = (tenant: ReportRef['tenant'], tenantKey: string): ReportRef => ({
  reportId: 'r', mailId: null, subject: 's', coversAt: '2026-11-01T06:00:00.000Z', tenantKey, tenant, source: 'mail',
});
/** The namer openRuntime builds: from the configuration and the tenants file it read. */
const namerFor = (env: Record<string, string>) => {
  const config = loadConfig(env);
  return createTenantNamer(config, loadConfiguredTenants(config, env));
};
const ID = '0e2e0000-0000-4000-8000-000000000001';

describe('createTenantNamer: one name per tenant for mails and the Graph poll', () => {
  it('names a mail by the tenants-file entry it matches, and leaves unknown tenants as they are', () => {
    const dir = mkdtempSync(join(tmpdir(), 'syncdesk-tenants-'));
    const file = join(dir, 'tenants.yaml');
    writeFileSync(file, `tenants:\n  - name: Contoso\n    tenantId: ${ID.toUpperCase()}\n    domains: [contoso.onmicrosoft.com]\n    forwarders: [it@contoso.com]\n    clientId: c\n    clientSecret: s\n`);
    const name = namerFor({ GRAPH_TENANTS_FILE: file });
    expect(name(ref({ name: null, domain: 'contoso.onmicrosoft.com', id: null }, 'contoso.onmicrosoft.com'))).toBe(ID);
    expect(name(ref({ name: null, domain: null, id: null }, 'it@contoso.com'))).toBe(ID);
    expect(name(ref({ name: 'Fabrikam', domain: null, id: null }, 'fabrikam'))).toBe('fabrikam');
  });

  it('a name the report shares with an entry is not taken when the report states a custom domain or a tenant id the entry does not have (blind58 M2)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'syncdesk-tenants-'));
    const file = join(dir, 'tenants.yaml');
    writeFileSync(file, `tenants:\n  - name: Contoso\n    tenantId: ${ID}\n    domains: [contoso.com]\n    clientId: c\n    clientSecret: s\n`);
    const config = loadConfig({ GRAPH_TENANTS_FILE: file });
    const directory = loadConfiguredTenants(config, {})!;
    const name = createTenantNamer(config, directory);
    // "for directory Contoso [contoso.com.au]": another customer called Contoso
    const sydney = ref({ name: 'Contoso', domain: 'contoso.com.au', id: null }, 'contoso.com.au');
    expect(name(sydney)).toBe('contoso.com.au');
    expect(directory.match(sydney)).toEqual({ ok: false, reason: expect.stringContaining('name contoso matches Contoso, but the report names domain contoso.com.au, which the entry does not list: not guessed') });
    expect(name(ref({ name: 'Contoso', domain: null, id: '0e2e0000-0000-4000-8000-000000000999' }, 'contoso'))).toBe('contoso');
    // its initial domain, which tenants files rarely list, or no domain at all: the name decides
    expect(name(ref({ name: 'Contoso', domain: 'contoso.onmicrosoft.com', id: null }, 'contoso.onmicrosoft.com'))).toBe(ID);
    expect(name(ref({ name: 'Contoso', domain: null, id: null }, 'contoso'))).toBe(ID);
  });

  it("a name (or key) alone is not taken when the report's objects are all at another entry's domain; objects at unlisted domains say nothing (blind58 N2)", () => {
    const dir = mkdtempSync(join(tmpdir(), 'syncdesk-tenants-'));
    const file = join(dir, 'tenants.yaml');
    const UK = '0e2e0000-0000-4000-8000-0000000000cc';
    writeFileSync(file, `tenants:\n  - name: Contoso\n    tenantId: ${ID}\n    domains: [contoso.com]\n    clientId: c\n    clientSecret: s\n  - name: Contoso UK\n    tenantId: ${UK}\n    domains: [contoso.co.uk]\n    forwarders: [it@msp.example]\n    clientId: c\n    clientSecret: s\n`);
    const config = loadConfig({ GRAPH_TENANTS_FILE: file });
    const directory = loadConfiguredTenants(config, {})!;
    const name = createTenantNamer(config, directory);
    // "for directory Contoso [contoso-uk.onmicrosoft.com]": Contoso UK's Entra display name is Contoso too
    const uk = { ...ref({ name: 'Contoso', domain: 'contoso-uk.onmicrosoft.com', id: null }, 'contoso-uk.onmicrosoft.com'), objectDomains: ['contoso.co.uk'] };
    expect(directory.match(uk)).toEqual({ ok: false, reason: expect.stringContaining("name contoso matches Contoso, but its objects' addresses are at contoso.co.uk, a domain of Contoso UK: not guessed") });
    expect(name(uk)).toBe('contoso-uk.onmicrosoft.com');
    // one object at the entry's own domain, or objects at domains no entry lists: the name decides
    expect(name({ ...uk, objectDomains: ['contoso.co.uk', 'contoso.com'] })).toBe(ID);
    expect(name({ ...uk, objectDomains: ['contoso-shop.example'] })).toBe(ID);
    // a stated domain is evidence of its own: the objects do not overrule it
    expect(name({ ...ref({ name: null, domain: 'contoso.com', id: null }, 'contoso.com'), objectDomains: ['contoso.co.uk'] })).toBe(ID);
  });

  it('with one tenant configured for Graph, every report is that tenant; without Graph, the report names itself', () => {
    const single = namerFor({ GRAPH_TENANT_ID: ID, GRAPH_CLIENT_ID: 'c', GRAPH_CLIENT_SECRET: 's' });
    expect(single(ref({ name: 'Contoso', domain: 'contoso.onmicrosoft.com', id: null }, 'contoso.onmicrosoft.com'))).toBe(ID);
    const none = namerFor({});
    expect(none(ref({ name: 'Contoso', domain: 'contoso.onmicrosoft.com', id: null }, 'contoso.onmicrosoft.com'))).toBe('contoso.onmicrosoft.com');
  });

  it("without Graph, a directory snapshot joins a tenant's name-only reports (the DirSync layout) to its domain's; other tenants name themselves (blind34 M3)", () => {
    const config = loadConfig({});
    const name = createTenantNamer(config, null, loadSnapshotDirectory(join(import.meta.dirname, '..', '..', 'examples', 'snapshots')));
    // "for tenant Contoso Ltd." and "for directory Contoso [contoso.onmicrosoft.com]": one tenant
    expect(name(ref({ name: 'Contoso Ltd.', domain: null, id: null }, 'contoso ltd.'))).toBe('contoso.onmicrosoft.com');
    expect(name(ref({ name: 'Contoso', domain: 'contoso.onmicrosoft.com', id: null }, 'contoso.onmicrosoft.com'))).toBe('contoso.onmicrosoft.com');
    // a name no snapshot has stays the report's own key, as a similar one does
    expect(name(ref({ name: 'Contoso Ltd. UK', domain: null, id: null }, 'contoso ltd. uk'))).toBe('contoso ltd. uk');
    expect(name(ref({ name: 'Tailspin Toys', domain: null, id: null }, 'tailspin toys'))).toBe('tailspin toys');
  });
});

describe("createTenantNameOf: the tenant's name as the configuration knows it (blind47 J4)", () => {
  const snapshots = () => loadSnapshotDirectory(join(import.meta.dirname, '..', '..', 'examples', 'snapshots'));
  it("names a report by its tenants-file entry, else by its snapshot, whatever name the report states; a tenant neither knows keeps the report's", () => {
    const dir = mkdtempSync(join(tmpdir(), 'syncdesk-tenants-'));
    const file = join(dir, 'tenants.yaml');
    writeFileSync(file, `tenants:\n  - name: Fabrikam (customer 7)\n    tenantId: ${ID}\n    domains: [fabrikam.com]\n`);
    const config = loadConfig({ GRAPH_TENANTS_FILE: file });
    const nameOf = createTenantNameOf(loadConfiguredTenants(config, {}), snapshots());
    expect(nameOf(ref({ name: 'Urgent: call +1 555 0100', domain: 'fabrikam.com', id: null }, 'fabrikam.com'))).toBe('Fabrikam (customer 7)');
    // no entry for Contoso: its snapshot (Graph's display name) names it
    expect(nameOf(ref({ name: 'Contoso Evil', domain: 'contoso.onmicrosoft.com', id: null }, 'contoso.onmicrosoft.com'))).toBe('Contoso Ltd.');
    expect(nameOf(ref({ name: 'Tailspin Toys', domain: 'tailspin.onmicrosoft.com', id: null }, 'tailspin.onmicrosoft.com'))).toBeNull();
  });
});

describe('createTenantCloudOf: the national cloud a ticket tells agents to connect to (blind63 C2)', () => {
  it("is the entry's cloud, else GRAPH_CLOUD; none for the global cloud", () => {
    const dir = mkdtempSync(join(tmpdir(), 'syncdesk-tenants-'));
    const file = join(dir, 'tenants.yaml');
    writeFileSync(file, `tenants:\n  - name: Fabrikam Gov\n    tenantId: ${ID}\n    domains: [fabgov.us]\n    clientId: c\n    clientSecret: s\n    cloud: USGov\n  - name: Contoso\n    tenantId: 0e2e0000-0000-4000-8000-000000000002\n    domains: [contoso.com]\n    clientId: c\n    clientSecret: s\n`);
    const config = loadConfig({ GRAPH_TENANTS_FILE: file });
    const cloudOf = createTenantCloudOf(config, loadConfiguredTenants(config, {}));
    expect(cloudOf(ref({ name: null, domain: 'fabgov.us', id: null }, 'fabgov.us'))).toBe('usgov');
    expect(cloudOf(ref({ name: null, domain: 'contoso.com', id: null }, 'contoso.com'))).toBeNull();
    const china = loadConfig({ GRAPH_CLOUD: 'china' });
    expect(createTenantCloudOf(china, null)(ref({ name: 'Wingtip', domain: null, id: null }, 'wingtip'))).toBe('china');
  });
});
