import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { recordingLogger } from '../ingest/helpers.ts';
import { fingerprintError } from '../../src/parse/fingerprint.ts';
import { createResolverFromConfig } from '../../src/app/resolver-from-config.ts';
import { graphConfigured } from '../../src/app/runtime.ts';
import { ambiguities, createTenantDirectory, parseTenants } from '../../src/resolve/tenants.ts';
import { graphEndpoints } from '../../src/resolve/graph-credential.ts';
import type { ReportRef } from '../../schemas/jobs.schema.ts';
import { SNAPSHOT_FORMAT } from '../../src/resolve/snapshot/snapshot-format.ts';
import { saveSnapshot } from '../../src/resolve/snapshot/snapshot-store.ts';

const ref: ReportRef = { reportId: 'r', mailId: null, subject: 's', coversAt: '2026-11-24T10:00:00Z', tenantKey: 'contoso.com', tenant: { name: null, domain: 'contoso.com', id: null }, source: 'mail' };

describe('without Graph configured', () => {
  it('every lookup error is unresolved with a note, nothing is sent, advice-only errors stay advised', async () => {
    const redis = new Redis({ lazyConnect: true }); // never used: nothing to cache
    const resolver = createResolverFromConfig(loadConfig({}), { redis, logger: pino({ level: 'silent' }) });
    const dupBase = { category: 'DuplicateAttribute' as const, errorCode: null, identity: 'a@b.c', objectType: 'User', onPremisesObjectId: null, attributes: [{ name: 'ProxyAddresses', value: 'smtp:a@b.c' }], message: 'm' };
    const quotaBase = { ...dupBase, category: 'QuotaExceeded' as const, attributes: [] };
    const dup = { ...dupBase, fingerprint: fingerprintError(dupBase) };
    const quota = { ...quotaBase, fingerprint: fingerprintError(quotaBase) };
    const out = await resolver.resolve(ref, [dup, quota]);
    expect(out.get(dup.fingerprint)).toMatchObject({ verdict: 'unresolved', holders: [] });
    expect(out.get(dup.fingerprint)!.note).toMatch(/not configured/);
    expect(out.get(quota.fingerprint)!.verdict).toBe('not-applicable');
    expect(redis.status).toBe('wait');
    await resolver.close();
  });

  it('a Graph setup half done (a tenant id and no app) is said once at start, naming what is missing; none or a whole one is not', async () => {
    const warnings = async (env: Record<string, string>) => {
      const log = recordingLogger('warn');
      const resolver = createResolverFromConfig(loadConfig(env), { redis: new Redis({ lazyConnect: true }), logger: log.logger });
      await resolver.close();
      return log.entries.map((e) => e.msg);
    };
    expect(await warnings({ GRAPH_TENANT_ID: 'contoso.onmicrosoft.com' })).toEqual([
      'Microsoft Graph is partly configured (GRAPH_CLIENT_ID, GRAPH_CLIENT_SECRET (or GRAPH_CERTIFICATE_PATH, or GRAPH_MANAGED_IDENTITY) missing): holders will not be looked up until it is complete',
    ]);
    expect(await warnings({ GRAPH_CLIENT_ID: 'x', GRAPH_CLIENT_SECRET: 'y' })).toEqual([expect.stringContaining('(GRAPH_TENANT_ID missing)')]);
    expect(await warnings({})).toEqual([]);
    expect(await warnings({ GRAPH_TENANT_ID: 't', GRAPH_MANAGED_IDENTITY: 'true' })).toEqual([]);
  });

  it('a system-assigned managed identity (no client id) is a whole Graph setup: lookups and the Graph poll both run', () => {
    const config = loadConfig({ GRAPH_TENANT_ID: 'contoso.onmicrosoft.com', GRAPH_MANAGED_IDENTITY: 'true' });
    expect(graphConfigured(config)).toBe(true);
    expect(graphConfigured(loadConfig({ GRAPH_TENANT_ID: 'contoso.onmicrosoft.com' }))).toBe(false);
  });

  it("a report that no snapshot matches says so beside Graph's absence (the admin learns a snapshot would do)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'syncdesk-nosnap-'));
    await saveSnapshot(dir, { format: SNAPSHOT_FORMAT, version: 1, tenant: { id: null, name: 'Fabrikam', domains: ['fabrikam.com'] }, takenAt: '2026-11-20T00:00:00Z', source: 'graph', warnings: [] }, []);
    const resolver = createResolverFromConfig(loadConfig({ SNAPSHOT_DIR: dir }), { redis: new Redis({ lazyConnect: true }), logger: pino({ level: 'silent' }) });
    const base = { category: 'DuplicateAttribute' as const, errorCode: null, identity: 'a@b.c', objectType: 'User', onPremisesObjectId: null, attributes: [{ name: 'ProxyAddresses', value: 'smtp:a@contoso.com' }], message: 'm' };
    const dup = { ...base, fingerprint: fingerprintError(base) };
    const note = (await resolver.resolve(ref, [dup])).get(dup.fingerprint)!.note;
    expect(note).toMatch(/not configured.*; unknown tenant "contoso\.com" .*no snapshot of it/);
    // one sentence joined to the next, without a stop left before the semicolon (blind34 M12)
    expect(note).toContain('holders were not looked up; unknown tenant');
    await resolver.close();
  });

  it('a command that needs the tenant\'s onmicrosoft.com domain gets it from the report that names it', async () => {
    const resolver = createResolverFromConfig(loadConfig({}), { redis: new Redis({ lazyConnect: true }), logger: pino({ level: 'silent' }) });
    const base = { category: 'FederatedDomainChange' as const, errorCode: null, identity: 'kim@fabrikam.com', objectType: 'User', onPremisesObjectId: null, attributes: [], message: 'm' };
    const federated = { ...base, fingerprint: fingerprintError(base) };
    const named = { ...ref, tenant: { name: 'Contoso', domain: 'contoso.onmicrosoft.com', id: null } };
    const commands = (report: ReportRef) => resolver.resolve(report, [federated]).then((out) => out.get(federated.fingerprint)!.actions.map((a) => a.command ?? '').join('\n'));
    expect(await commands(named)).toContain("'kim@contoso.onmicrosoft.com'");
    // a verified domain is not the one to move the UPN to
    expect(await commands(ref)).toContain("'kim@<tenant>.onmicrosoft.com'");
    await resolver.close();
  });
});

describe('tenants file', () => {
  const tenants = createTenantDirectory(
    parseTenants(
      `tenants:
  - { name: Contoso, tenantId: T-A, domains: [Contoso.com], forwarders: [it@contoso.com], clientId: c, clientSecretEnv: S }
  - { name: Fabrikam, tenantId: T-B, domains: [fabrikam.com, shared.example], clientId: c, clientSecret: x }
  - { name: Other, tenantId: T-C, domains: [shared.example], managedIdentity: true }
`,
      { S: 'secret' },
    ),
  );
  const match = (tenantKey: string, tenant: Partial<ReportRef['tenant']> = {}) => tenants.match({ tenantKey, tenant: { name: null, domain: null, id: null, ...tenant } });

  it('matches id, domain, name or forwarder; ambiguity and strangers are unknown', () => {
    expect(match('x', { id: 't-b' })).toMatchObject({ ok: true, tenant: { name: 'Fabrikam' } });
    expect(match('x', { domain: 'CONTOSO.COM' })).toMatchObject({ ok: true, tenant: { name: 'Contoso', clientSecret: 'secret' } });
    expect(match('x', { name: 'fabrikam' })).toMatchObject({ ok: true, tenant: { tenantId: 'T-B' } });
    expect(match('it@contoso.com')).toMatchObject({ ok: true, tenant: { tenantId: 'T-A' } });
    expect(match('x', { domain: 'shared.example' })).toMatchObject({ ok: false, reason: expect.stringMatching(/matches 2 tenants/) });
    expect(match('initech.example')).toMatchObject({ ok: false, reason: expect.stringMatching(/^unknown tenant/) });
  });

  it('lists for doctor what it gives to more than one tenant (a shared domain, a name twice): such a report matches neither (blind34 M6)', () => {
    expect(ambiguities(tenants.tenants)).toEqual(['domain shared.example is listed for Fabrikam and Other']);
    const twice = parseTenants('[{ name: Fabrikam, tenantId: T-1, clientId: c, clientSecret: s }, { name: fabrikam, tenantId: t-1, clientId: c, clientSecret: s }]', {});
    expect(ambiguities(twice)).toEqual(['tenant id t-1 is listed for Fabrikam and fabrikam', 'name fabrikam is listed for Fabrikam and fabrikam']);
  });

  it('names an entry in its errors by its index and its name, and a YAML error by the file (blind34 M6)', () => {
    expect(() => parseTenants('tenants:\n  - { name: Tailspin Toys, tenantId: t, clientSecret: s }\n', {}, 'tenants.yaml')).toThrow('tenants.yaml: tenants.0 (Tailspin Toys): clientId is required');
    expect(() => parseTenants('tenants:\n  - { name: Tailspin, tenantId: t, clientId: c, clientSecret: s, queue: x }\n', {}, 'tenants.yaml')).toThrow(/^tenants\.yaml: tenants\.0 \(Tailspin\): Unrecognized key/);
    expect(() => parseTenants('tenants:\n  - name: a\n - name: b\n', {}, 'tenants.yaml')).toThrow(/^tenants\.yaml: .*line/);
  });

  it("an entry with no Graph sign-in at all (consent pending) is its tenant's all the same, looked up in its snapshot (blind34 M4)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'syncdesk-pending-'));
    const file = join(dir, 'tenants.yaml');
    writeFileSync(file, 'tenants:\n  - { name: Contoso, tenantId: 0e2e0000-0000-4000-8000-0000000000c1, domains: [contoso.com, contoso.onmicrosoft.com] }\n');
    const config = loadConfig({ GRAPH_TENANTS_FILE: file, SNAPSHOT_DIR: join(import.meta.dirname, '..', '..', 'examples', 'snapshots') });
    const resolver = createResolverFromConfig(config, { redis: new Redis({ lazyConnect: true }), logger: pino({ level: 'silent' }) });
    const base = { category: 'DuplicateAttribute' as const, errorCode: null, identity: 'x@contoso.com', objectType: 'User', onPremisesObjectId: null, attributes: [{ name: 'UserPrincipalName', value: 'john@contoso.com' }], message: 'm' };
    const dup = { ...base, fingerprint: fingerprintError(base) };
    const r = (await resolver.resolve(ref, [dup])).get(dup.fingerprint)!;
    await resolver.close();
    expect(r.verdict).not.toBe('unresolved');
    expect(r.note).toMatch(/directory snapshot of Contoso Ltd\./);
    // part of a sign-in is a mistake, said as such
    expect(() => parseTenants('[{ tenantId: t, clientSecret: s }]', {})).toThrow(/clientId is required/);
  });

  it('rejects entries without a way to sign in, or a missing secret variable', () => {
    expect(() => parseTenants('[{ tenantId: t, clientId: c }]', {})).toThrow(/clientSecret/);
    expect(() => parseTenants('[{ tenantId: t, clientId: c, clientSecretEnv: NOPE }]', {})).toThrow(/NOPE \(or NOPE_FILE\) is not set/);
    expect(() => parseTenants('[{ tenantId: t, clientId: c, clientSecret: s, typo: 1 }]', {})).toThrow();
  });

  it("reads a clientSecretEnv secret mounted as a file (<NAME>_FILE), as the settings' secrets are", () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tenant-secret-')), 'contoso');
    writeFileSync(file, 'from-a-file\n');
    expect(parseTenants('[{ tenantId: t, clientId: c, clientSecretEnv: CONTOSO_SECRET }]', { CONTOSO_SECRET_FILE: file })[0]!.clientSecret).toBe('from-a-file');
    expect(() => parseTenants('[{ tenantId: t, clientId: c, clientSecretEnv: CONTOSO_SECRET }]', { CONTOSO_SECRET_FILE: `${file}-gone` })).toThrow(/CONTOSO_SECRET_FILE: cannot read/);
  });
});

describe('national clouds', () => {
  it('picks Graph root, authority and scope; overrides keep the cloud scope', () => {
    expect(graphEndpoints('usgov')).toMatchObject({ baseUrl: 'https://graph.microsoft.us', authorityHost: 'https://login.microsoftonline.us', scope: 'https://graph.microsoft.us/.default' });
    expect(graphEndpoints('usgovdod').scope).toBe('https://dod-graph.microsoft.us/.default');
    expect(graphEndpoints('china')).toMatchObject({ baseUrl: 'https://microsoftgraph.chinacloudapi.cn', authorityHost: 'https://login.partner.microsoftonline.cn' });
    const local = graphEndpoints('global', { baseUrl: 'https://127.0.0.1:8443/v1.0/', authorityHost: 'https://127.0.0.1:8443' });
    expect(local).toMatchObject({ baseUrl: 'https://127.0.0.1:8443', scope: 'https://graph.microsoft.com/.default', customHost: '127.0.0.1', customAuthority: true });
  });

  it('refuses a tenant whose Graph overrides are not https, when the tenants file is read', () => {
    expect(() => parseTenants('[{ tenantId: t, clientId: c, clientSecret: s, baseUrl: "http://127.0.0.1:1" }]', {})).toThrow(/baseUrl: must start with https:\/\//);
    expect(() => parseTenants('[{ tenantId: t, clientId: c, clientSecret: s, authorityHost: "http://127.0.0.1:1" }]', {})).toThrow(/authorityHost: must start with https:\/\//);
  });
});
