import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { loadConfig } from '../../../src/config.ts';
import type { ReportRef } from '../../../schemas/jobs.schema.ts';
import type { SyncError } from '../../../schemas/report.schema.ts';
import { fingerprintError } from '../../../src/parse/fingerprint.ts';
import { contact, deletedUser, emptyDirectory, group, syncedUser, user, type FakeDirectory } from '../../fakes/graph/directory.ts';
import { startFakeGraph, type FakeGraph } from '../../fakes/graph/server.ts';
import { tlsMaterialFrom, type TlsMaterial } from '../../fakes/graph/tls.ts';

/**
 * Shared set-up for the Graph specs. They run in a vitest started by graph.int.test.ts
 * with NODE_EXTRA_CA_CERTS naming the fake's CA (Node reads it only at start), so the
 * real @azure/identity and Graph client talk HTTPS to the fake and trust it.
 */

export const TENANT_A = '0a0a0a0a-0000-4000-8000-00000000000a';
export const TENANT_B = '0b0b0b0b-0000-4000-8000-00000000000b';
export const TENANT_C = '0c0c0c0c-0000-4000-8000-00000000000c';
/** A tenant id the fake's Entra does not know. */
export const TENANT_UNKNOWN = '0d0d0d0d-0000-4000-8000-00000000000d';
export const APP_A = { clientId: 'aaaaaaaa-1111-4111-8111-111111111111', secret: 'secret-a' };
export const APP_B = { clientId: 'bbbbbbbb-2222-4222-8222-222222222222', secret: 'secret-b' };
export const APP_C = { clientId: 'cccccccc-3333-4333-8333-333333333333' };

export function tls(): TlsMaterial {
  const dir = process.env.FAKE_GRAPH_TLS_DIR;
  if (!dir || !process.env.NODE_EXTRA_CA_CERTS) throw new Error('run through test/resolve/graph.int.test.ts (needs FAKE_GRAPH_TLS_DIR and NODE_EXTRA_CA_CERTS)');
  return tlsMaterialFrom(dir);
}

/** Contoso: one holder of each kind. */
export function contosoDirectory(): FakeDirectory {
  const d = emptyDirectory();
  d.users.push(
    user({ userPrincipalName: 'cloud.only@contoso.com', mail: 'cloud.only@contoso.com', proxyAddresses: ['SMTP:cloud.only@contoso.com', 'smtp:alias@contoso.com'] }),
    syncedUser({ userPrincipalName: 'synced@contoso.com', onPremisesImmutableId: 'c3luY2VkLWltbXV0YWJsZQ==', mail: 'synced@contoso.com', proxyAddresses: ['SMTP:synced@contoso.com', 'smtp:shared@contoso.com'] }),
    syncedUser({ userPrincipalName: 'self@contoso.com', onPremisesImmutableId: 'c2VsZi1pbW11dGFibGU=', mail: 'self@contoso.com', proxyAddresses: ['SMTP:self@contoso.com'] }),
    user({ userPrincipalName: "o'brien@contoso.com", mail: "o'brien@contoso.com", proxyAddresses: ["SMTP:o'brien@contoso.com"] }),
    user({ userPrincipalName: 'a+b@contoso.com', mail: 'a+b@contoso.com', proxyAddresses: ['SMTP:a+b@contoso.com'] }),
    user({ userPrincipalName: 'a b@contoso.com', mail: null, proxyAddresses: [] }),
    user({ userPrincipalName: 'partner_fabrikam.com#EXT#@contoso.onmicrosoft.com', mail: 'partner@fabrikam.com', userType: 'Guest', proxyAddresses: ['SMTP:partner@fabrikam.com'] }),
    user({ userPrincipalName: 'müller@contoso.com', mail: 'müller@contoso.com', proxyAddresses: ['SMTP:müller@contoso.com'] }),
  );
  d.groups.push(
    group({ displayName: 'Team', mail: 'team@contoso.com', proxyAddresses: ['SMTP:team@contoso.com', 'smtp:team@contoso.onmicrosoft.com'] }),
    // a mail-enabled security group (Microsoft's ObjectTypeMismatch example): no "Unified" in groupTypes
    group({ displayName: 'Tax Team', mail: 'tax@contoso.com', mailEnabled: true, securityEnabled: true, groupTypes: [], proxyAddresses: ['SMTP:tax@contoso.com'] }),
    // a synced group: Graph gives a group its SID and domain, never a DN
    group({
      displayName: 'R&D', mail: 'rnd@contoso.com', mailEnabled: true, securityEnabled: true, groupTypes: [], proxyAddresses: ['SMTP:rnd@contoso.com', 'smtp:r&d@contoso.com'],
      onPremisesSyncEnabled: true, onPremisesLastSyncDateTime: '2026-11-20T08:00:00Z', onPremisesSamAccountName: 'R&D', onPremisesSecurityIdentifier: 'S-1-5-21-1-2-3-4455', onPremisesDomainName: 'contoso.local',
    }),
  );
  d.contacts.push(contact({ displayName: 'Ext Partner', mail: 'ext.partner@contoso.com', proxyAddresses: ['smtp:ext.partner@contoso.com'] }));
  d.deletedUsers.push(deletedUser({ userPrincipalName: 'gone@contoso.com', mail: 'gone@contoso.com', proxyAddresses: ['SMTP:gone@contoso.com'] }));
  return d;
}

export function fabrikamDirectory(): FakeDirectory {
  const d = emptyDirectory();
  d.users.push(user({ userPrincipalName: 'dup@fabrikam.com', mail: 'dup@fabrikam.com', proxyAddresses: ['SMTP:dup@fabrikam.com'] }));
  return d;
}

export async function startFake(directories: { a?: FakeDirectory; b?: FakeDirectory; c?: FakeDirectory } = {}): Promise<FakeGraph> {
  const material = tls();
  return startFakeGraph({
    tls: material,
    tenants: {
      [TENANT_A]: { apps: [APP_A], directory: directories.a ?? contosoDirectory() },
      [TENANT_B]: { apps: [APP_B], directory: directories.b ?? fabrikamDirectory() },
      [TENANT_C]: { apps: [{ ...APP_C, certificatePem: readFileSync(material.appCertPath, 'utf8') }], directory: directories.c ?? emptyDirectory() },
    },
  });
}

export const silentLogger = () => pino({ level: 'silent' });

export function redis(): Redis {
  const url = process.env.REDIS_URL;
  if (!url) throw new Error('REDIS_URL is required');
  return new Redis(url, { maxRetriesPerRequest: 1 });
}

/** Config for tenant A through GRAPH_* variables, pointing at the fake. */
export function configFor(fake: FakeGraph, extra: Record<string, string> = {}) {
  return loadConfig({
    REDIS_URL: process.env.REDIS_URL,
    REDIS_PREFIX: `t-${randomUUID()}`,
    GRAPH_TENANT_ID: TENANT_A,
    GRAPH_CLIENT_ID: APP_A.clientId,
    GRAPH_CLIENT_SECRET: APP_A.secret,
    GRAPH_BASE_URL: fake.url,
    GRAPH_AUTHORITY_HOST: fake.url,
    ...extra,
  });
}

/**
 * Contoso, Fabrikam and Certified sign in; Wrong Secret has a bad secret, Unknown Tenant an id
 * Entra does not know, and Nowhere (when given) a sign-in host nothing answers at.
 */
export function writeTenantsFile(dir: string, fake: FakeGraph, nowhere?: string): string {
  const path = join(dir, `tenants-${randomUUID()}.yaml`);
  writeFileSync(
    path,
    [
      'tenants:',
      '  - name: Contoso Ltd',
      `    tenantId: ${TENANT_A}`,
      '    domains: [contoso.com, contoso.onmicrosoft.com]',
      '    forwarders: [it@contoso.com]',
      `    clientId: ${APP_A.clientId}`,
      '    clientSecretEnv: CONTOSO_SECRET',
      '  - name: Fabrikam',
      `    tenantId: ${TENANT_B}`,
      '    domains: [fabrikam.com]',
      '    forwarders: [helpdesk@msp.example]',
      `    clientId: ${APP_B.clientId}`,
      `    clientSecret: ${APP_B.secret}`,
      '  - name: Certified',
      `    tenantId: ${TENANT_C}`,
      '    domains: [certified.example]',
      `    clientId: ${APP_C.clientId}`,
      `    certificatePath: ${tls().appPemPath}`,
      '  - name: Wrong Secret',
      `    tenantId: ${TENANT_A}`,
      '    domains: [wrongsecret.example]',
      `    clientId: ${APP_A.clientId}`,
      '    clientSecret: not-the-secret',
      `    baseUrl: ${fake.url}`,
      '  - name: Unknown Tenant',
      `    tenantId: ${TENANT_UNKNOWN}`,
      '    domains: [unknowntenant.example]',
      `    clientId: ${APP_A.clientId}`,
      `    clientSecret: ${APP_A.secret}`,
      ...(nowhere ? ['  - name: Nowhere', `    tenantId: ${TENANT_A}`, '    domains: [nowhere.example]', `    clientId: ${APP_A.clientId}`, `    clientSecret: ${APP_A.secret}`, `    authorityHost: ${nowhere}`] : []),
      '',
    ].join('\n'),
  );
  return path;
}

export function syncError(partial: Partial<Omit<SyncError, 'fingerprint'>> & { attributes: SyncError['attributes'] }): SyncError {
  const base: Omit<SyncError, 'fingerprint'> = {
    category: 'DuplicateAttribute',
    errorCode: 'AttributeValueMustBeUnique',
    identity: 'onprem.user@contoso.com',
    objectType: 'User',
    onPremisesObjectId: 'b25wcmVtLXVzZXI=',
    message: 'Unable to update this object because the following attributes associated with this object have values that may already be associated with another object in your local directory services',
    ...partial,
  };
  return { ...base, fingerprint: fingerprintError(base) };
}

export function reportRef(errors: SyncError[], tenant: Partial<ReportRef['tenant']> = {}, tenantKey = 'contoso.com'): ReportRef {
  return {
    reportId: `<${randomUUID()}@example>`,
    mailId: null,
    subject: 'Directory Synchronization Error Report',
    coversAt: '2026-11-23T10:00:00Z',
    tenantKey,
    tenant: { name: null, domain: null, id: null, ...tenant },
    source: 'mail',
  };
}
