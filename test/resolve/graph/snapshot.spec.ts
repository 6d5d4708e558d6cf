import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { createResolverFromConfig } from '../../../src/app/resolver-from-config.ts';
import type { Resolver } from '../../../src/resolve/resolver.ts';
import { exportDirectory } from '../../../src/resolve/snapshot/export-graph.ts';
import { SNAPSHOT_FORMAT } from '../../../src/resolve/snapshot/snapshot-format.ts';
import { saveSnapshot } from '../../../src/resolve/snapshot/snapshot-store.ts';
import { singleTenant, tenantGraphClient } from '../../../src/resolve/tenant-client.ts';
import type { Resolution } from '../../../schemas/resolution.schema.ts';
import type { FakeGraph } from '../../fakes/graph/server.ts';
import { configFor, redis, reportRef, silentLogger, startFake, syncError } from './harness.ts';

/**
 * A snapshot exported from the fake tenant through the real Graph client must answer as
 * live Graph does: the same holders, verdicts and steps for every kind of error. The
 * snapshot resolver runs from a config with no Graph credentials at all, so the answer
 * can only come from the snapshot file.
 */

let fake: FakeGraph;
let client: Redis;
let live: Resolver;
let fromSnapshot: Resolver;
let dir: string;

const ERRORS = [
  syncError({ attributes: [{ name: 'ProxyAddresses', value: 'SMTP:alias@contoso.com' }] }), // cloud-only holder
  syncError({ identity: 'cloud.only@contoso.com', attributes: [{ name: 'UserPrincipalName', value: 'cloud.only@contoso.com' }] }), // cloud-only UPN
  syncError({ attributes: [{ name: 'ProxyAddresses', value: 'smtp:shared@contoso.com' }] }), // synced holder
  syncError({ attributes: [{ name: 'UserPrincipalName', value: 'gone@contoso.com' }] }), // soft-deleted holder
  syncError({ identity: 'self@contoso.com', onPremisesObjectId: 'c2VsZi1pbW11dGFibGU=', attributes: [{ name: 'UserPrincipalName', value: 'self@contoso.com' }] }), // same object
  syncError({ attributes: [{ name: 'ProxyAddresses', value: 'SMTP:team@contoso.com' }] }), // a group
  syncError({ attributes: [{ name: 'ProxyAddresses', value: 'SMTP:tax@contoso.com' }] }), // a mail-enabled security group (its own Exchange cmdlet)
  syncError({ attributes: [{ name: 'ProxyAddresses', value: 'smtp:r&d@contoso.com' }] }), // a synced group (its SID and domain name it to AD)
  syncError({ attributes: [{ name: 'Mail', value: 'ext.partner@contoso.com' }] }), // a contact
  syncError({ attributes: [{ name: 'UserPrincipalName', value: 'nobody@contoso.com' }] }), // no holder
  syncError({ category: 'LargeObject', errorCode: 'LargeObject', attributes: [] }), // not applicable
];

beforeAll(async () => {
  fake = await startFake();
  client = redis();
  const config = configFor(fake);
  live = createResolverFromConfig(config, { redis: client, logger: silentLogger() });

  dir = mkdtempSync(join(tmpdir(), 'syncdesk-snapshot-'));
  const tenant = singleTenant(config.graph)!;
  await saveSnapshot(
    dir,
    { format: SNAPSHOT_FORMAT, version: 1, tenant: { id: null, name: 'Contoso', domains: ['contoso.com'] }, takenAt: new Date().toISOString(), source: 'graph', warnings: [] },
    exportDirectory(tenantGraphClient(tenant, config.graph)),
  );
  const offline = configFor(fake, { GRAPH_TENANT_ID: '', GRAPH_CLIENT_ID: '', GRAPH_CLIENT_SECRET: '', SNAPSHOT_DIR: dir });
  fromSnapshot = createResolverFromConfig(offline, { redis: client, logger: silentLogger() });
});

afterAll(async () => {
  await live.close();
  await fromSnapshot.close();
  client.disconnect();
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

const comparable = (r: Resolution | undefined) => r && { verdict: r.verdict, holders: r.holders, actions: r.actions };
/** Live Graph searches the recycle bin only for a value nobody live holds, and says so on a live holder's ticket: a snapshot has searched it. */
const BIN_NOT_SEARCHED = /^The recycle bin was not searched/;
const apartFromTheBin = (r: Resolution | undefined) => r && { ...comparable(r), actions: r.actions.filter((a) => !BIN_NOT_SEARCHED.test(a.step)) };

describe('a directory snapshot exported from Graph', () => {
  it('resolves every kind of error to the same holders, verdicts and steps as live Graph', async () => {
    const report = reportRef(ERRORS);
    const expected = await live.resolve(report, ERRORS);
    fake.resetStats();
    const actual = await fromSnapshot.resolve(report, ERRORS);
    expect(fake.stats.graphHttpRequests).toBe(0);
    expect(new Set([...expected.values()].map((r) => r.verdict))).toEqual(
      new Set(['cloud-only-holder', 'synced-holder', 'soft-deleted-holder', 'same-object', 'no-holder', 'not-applicable']),
    );
    for (const e of ERRORS) expect(apartFromTheBin(actual.get(e.fingerprint)), e.attributes[0]?.value ?? e.category).toEqual(apartFromTheBin(expected.get(e.fingerprint)));
    const binStep = (r: Resolution | undefined) => r?.actions.some((a) => BIN_NOT_SEARCHED.test(a.step));
    expect(binStep(expected.get(ERRORS[0]!.fingerprint))).toBe(true);
    expect(binStep(actual.get(ERRORS[0]!.fingerprint))).toBe(false);
    // what decides the Exchange cmdlet and the shared-mailbox check is kept in the snapshot
    expect(actual.get(ERRORS[6]!.fingerprint)!.holders[0]).toMatchObject({ displayName: 'Tax Team', groupKind: 'mail-enabled security' });
    expect(actual.get(ERRORS[0]!.fingerprint)!.holders[0]).toMatchObject({ accountEnabled: true });
  });

  it('says in each looked-up resolution that it comes from a snapshot, and when it was taken', async () => {
    const actual = await fromSnapshot.resolve(reportRef(ERRORS), ERRORS);
    const note = actual.get(ERRORS[0]!.fingerprint)!.note ?? '';
    expect(note).toMatch(/directory snapshot of \S+ taken \d{4}-\d{2}-\d{2}T.* \(less than a day old, graph\), not from live Microsoft Graph/);
  });

  it('is not used for a report of another tenant: its values stay unresolved with the reason', async () => {
    const other = reportRef(ERRORS.slice(0, 1), { domain: 'fabrikam.com' }, 'fabrikam.com');
    const r = (await fromSnapshot.resolve(other, ERRORS.slice(0, 1))).get(ERRORS[0]!.fingerprint)!;
    expect(r.verdict).toBe('unresolved');
    expect(r.holders).toEqual([]);
  });

  it('is what `syncdesk snapshot export` writes (8 users, three groups, a contact, a deleted user), and `snapshot list` shows it', async () => {
    const out = mkdtempSync(join(tmpdir(), 'syncdesk-snapshot-cli-'));
    const env = { ...process.env, REDIS_URL: '', GRAPH_TENANT_ID: '0a0a0a0a-0000-4000-8000-00000000000a', GRAPH_CLIENT_ID: 'aaaaaaaa-1111-4111-8111-111111111111', GRAPH_CLIENT_SECRET: 'secret-a', GRAPH_BASE_URL: fake.url, GRAPH_AUTHORITY_HOST: fake.url, SNAPSHOT_DIR: out };
    const run = promisify(execFile);
    const { stdout } = await run('node', [resolve('bin/syncdesk.js'), 'snapshot', 'export'], { env });
    expect(stdout).toMatch(/^snapshot of 0a0a0a0a-0000-4000-8000-00000000000a: 13 objects → .*\.jsonl\.gz$/m);
    const list = await run('node', [resolve('bin/syncdesk.js'), 'snapshot', 'list'], { env });
    expect(list.stdout).toMatch(/less than a day old\) graph {2}/);
    rmSync(out, { recursive: true, force: true });
  }, 60_000);
});
