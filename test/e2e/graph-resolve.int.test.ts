import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyDirectory, syncedUser } from '../fakes/graph/directory.ts';
import { startFakeGraph, type FakeGraph } from '../fakes/graph/server.ts';
import { makeTlsMaterial, type TlsMaterial } from '../fakes/graph/tls.ts';
import { baseEnv, daemon, drained, failedJobs, syncdesk, unique, until, type Daemon } from './helpers.ts';
import { graphHolders, holderRows } from './graph-holders.ts';
import { reportMail } from './report-mail.ts';
import { ticketFiles as ticketFilesIn, ticketOn as ticketOnIn } from './ticket-files.ts';

/**
 * Issue #4 end to end: `syncdesk worker` and `syncdesk replay <file>` as child processes,
 * with Microsoft Graph configured by GRAPH_* variables pointing at the HTTPS fake Graph
 * (its CA in NODE_EXTRA_CA_CERTS, which Node reads at start), through the real
 * @azure/identity and Graph client. One report whose errors cover every verdict; the
 * ticket files (TICKET_SINK=file) name the holder, the verdict and the PowerShell commands.
 * Then `syncdesk poll-graph` turns objects with onPremisesProvisioningErrors into tickets.
 */

const id = unique();
const TENANT_ID = '0e2e0e2e-0000-4000-8000-0000000000e2';
const APP = { clientId: 'e2e0e2e0-1111-4111-8111-111111111111', secret: `secret-${id}` };
const dom = `graph${id}.example`;
const tenantName = `Graph ${id}`;
const dir = mkdtempSync(join(tmpdir(), 'syncdesk-e2e-graph-'));
const ticketDir = join(dir, 'tickets');

const directory = emptyDirectory();
const { cloudOnly, synced, gone } = graphHolders(dom);
const rows = holderRows(dom);
const self = syncedUser({ userPrincipalName: `self@${dom}`, displayName: 'Self', onPremisesImmutableId: 'c2VsZi1pbW11dGFibGU=', mail: `self@${dom}`, proxyAddresses: [`SMTP:self@${dom}`] });
// what `poll-graph` finds: two synced users whose sync failed on a conflict
const conflictUpn = syncedUser({
  userPrincipalName: `quarantined1234@graph${id}.onmicrosoft.com`,
  onPremisesUserPrincipalName: `dana@${dom}`,
  displayName: 'Dana',
  onPremisesImmutableId: 'ZGFuYS1vbnByZW0=',
  onPremisesProvisioningErrors: [{ category: 'PropertyConflict', occurredDateTime: '2026-11-22T07:00:00Z', propertyCausingError: 'UserPrincipalName', value: `cloud.only@${dom}` }],
});
const conflictProxy = syncedUser({
  userPrincipalName: `erik@${dom}`,
  displayName: 'Erik',
  onPremisesImmutableId: 'ZXJpay1vbnByZW0=',
  onPremisesProvisioningErrors: [{ category: 'PropertyConflict', occurredDateTime: '2026-11-22T07:00:00Z', propertyCausingError: 'ProxyAddresses', value: `shared@${dom}` }],
});
directory.users.push(cloudOnly, synced, self, conflictUpn, conflictProxy);
directory.deletedUsers.push(gone);

const report = reportMail({
  tenant: tenantName,
  domain: `graph${id}.onmicrosoft.com`,
  coversAt: new Date(Date.UTC(2026, 10, 23, 6, 0, 0)),
  rows: [
    rows.alias,
    rows.shared,
    rows.gone,
    { object: `self@${dom}`, duplicates: [['ProxyAddresses', `SMTP:self@${dom}`]], onPremisesObjectId: 'c2VsZi1pbW11dGFibGU=' },
    { object: `nobody@${dom}`, duplicates: [['ProxyAddresses', `smtp:nobody@${dom}`]], onPremisesObjectId: 'bm9ib2R5LW9ucHJlbQ==' },
  ],
});
const reportFile = join(dir, 'report.eml');
writeFileSync(reportFile, report);

let tls: TlsMaterial;
let fake: FakeGraph;
let env: Record<string, string>;
let worker: Daemon | undefined;

const ticketFiles = () => ticketFilesIn(ticketDir);
const ticketOn = (value: string) => ticketOnIn(ticketDir, value);

beforeAll(async () => {
  tls = makeTlsMaterial();
  fake = await startFakeGraph({ tls, tenants: { [TENANT_ID]: { apps: [APP], directory } } });
  env = baseEnv(dir, {
    TICKET_SINK: 'file',
    GRAPH_TENANT_ID: TENANT_ID,
    GRAPH_CLIENT_ID: APP.clientId,
    GRAPH_CLIENT_SECRET: APP.secret,
    GRAPH_BASE_URL: fake.url,
    GRAPH_AUTHORITY_HOST: fake.url,
    // the fake's CA, trusted by every syncdesk process from its start
    NODE_EXTRA_CA_CERTS: tls.caPath,
    // no scheduled poll by the worker: the mail alone first, then `poll-graph` by hand
    GRAPH_POLL_MINUTES: '0',
  });
  worker = await daemon(['worker'], env, 'workers ready');
});

afterAll(async () => {
  if (worker) expect(await worker.stop()).toBe(0);
  await fake?.close();
});

describe('resolve against Microsoft Graph, end to end (fake Graph over HTTPS, real client libraries)', () => {
  it('syncdesk replay <file> with a worker: every verdict, the holder named, the PowerShell to run', async () => {
    const t0 = Date.now();
    const replay = await syncdesk(['replay', reportFile], env);
    expect(replay.code, replay.stderr + replay.stdout).toBe(0);
    expect(replay.stdout).toContain('replay: 1 mail(s): queued 1');
    expect(replay.stdout).toContain('queued for the running workers (1)');
    await drained(env.REDIS_PREFIX!);
    const ms = Date.now() - t0;
    expect(await failedJobs(env.REDIS_PREFIX!)).toBe(0);

    const tickets = ticketFiles();
    expect(tickets).toHaveLength(5);
    process.stdout.write(`graph-resolve: 5 errors resolved and ticketed in ${ms} ms; Graph: ${fake.stats.tokenRequests} token, ${fake.stats.graphHttpRequests} HTTP requests, ${fake.stats.subRequests} sub-requests\n`);
    expect(fake.stats.tokenRequests).toBeGreaterThanOrEqual(1);
    // 5 values, looked up in at most a handful of $batch posts, not one request each
    expect(fake.stats.batchPosts).toBeGreaterThanOrEqual(1);
    expect(fake.stats.graphHttpRequests).toBeLessThan(fake.stats.subRequests);

    const alias = ticketOn(`SMTP:alias@${dom}`);
    expect(alias.summary).toBe(`[Duplicate ProxyAddresses] SMTP:alias@${dom} on onprem.alias@${dom} — held by cloud-only user Cloud Only — tenant ${tenantName}`);
    expect(alias.markdown).toContain('A cloud-only object holds the value');
    expect(alias.markdown).toContain(cloudOnly.id);
    expect(alias.markdown).toContain(`Set-Mailbox -Identity 'cloud.only@${dom}' -EmailAddresses @{remove='smtp:alias@${dom}'}`);
    expect(alias.markdown).toContain(`Get-MgUser -UserId '${cloudOnly.id}'`);

    const shared = ticketOn(`smtp:shared@${dom}`);
    expect(shared.summary).toContain('held by synced user Synced Holder');
    expect(shared.markdown).toContain('the duplicate lives in on-premises AD');
    expect(shared.markdown).toContain(`Set-ADObject -Identity 'CN=synced,OU=Users,DC=contoso,DC=local' -Remove @{proxyAddresses='smtp:shared@${dom}'}`);
    expect(shared.markdown).toContain('IdFix');

    const deleted = ticketOn(`[Duplicate UserPrincipalName] gone@${dom}`);
    expect(deleted.summary).toContain('held by deleted user');
    expect(deleted.markdown).toContain('A soft-deleted object holds the value');
    expect(deleted.markdown).toContain(`Remove-MgDirectoryDeletedItem -DirectoryObjectId '${gone.id}'`);

    const same = ticketOn(`SMTP:self@${dom}`);
    expect(same.summary).toContain('held by the object itself');
    expect(same.markdown).toContain('The value is held by the reported object itself');
    expect(same.markdown).toContain(self.id);

    const nobody = ticketOn(`smtp:nobody@${dom}`);
    expect(nobody.summary).toContain('no current holder');
    expect(nobody.markdown).toContain('Nobody holds the value any more, as far as Graph can see');
    expect(nobody.markdown).toContain('Get-Recipient -IncludeSoftDeletedRecipients');

    for (const t of tickets) expect(t.status).toBe('open');
  });

  it('syncdesk poll-graph feeds the objects with onPremisesProvisioningErrors into tickets, resolved like mailed ones', async () => {
    const before = new Set(ticketFiles().map((t) => t.id));
    const poll = await syncdesk(['poll-graph'], env);
    expect(poll.code, poll.stderr + poll.stdout).toBe(0);
    expect(poll.stdout).toContain('Graph: 1 report(s), 2 error(s): queued 1');
    await drained(env.REDIS_PREFIX!);
    expect(await failedJobs(env.REDIS_PREFIX!)).toBe(0);

    const added = ticketFiles().filter((t) => !before.has(t.id));
    expect(added).toHaveLength(2);
    // Dana's on-premises UPN collides with the cloud-only user's
    const dana = added.find((t) => t.summary.startsWith(`[Duplicate UserPrincipalName] cloud.only@${dom} on dana@`))!;
    expect(dana, added.map((t) => t.summary).join('\n')).toBeDefined();
    expect(dana.markdown).toContain(`dana@${dom}`);
    expect(dana.summary).toContain('held by cloud-only user Cloud Only');
    expect(dana.markdown).toContain('ZGFuYS1vbnByZW0='); // the object's on-premises id
    expect(dana.markdown).toContain(`Update-MgUser -UserId '${cloudOnly.id}'`);
    // Erik's address is held by the synced user
    const erik = added.find((t) => t.summary.startsWith(`[Duplicate ProxyAddresses] smtp:shared@${dom} on erik@`))!;
    expect(erik, added.map((t) => t.summary).join('\n')).toBeDefined();
    expect(erik.summary).toContain('held by synced user Synced Holder');
    expect(erik.markdown).toContain('the duplicate lives in on-premises AD');

    // polling again while nothing changed adds nothing
    const again = await syncdesk(['poll-graph'], env);
    expect(again.code, again.stderr + again.stdout).toBe(0);
    await drained(env.REDIS_PREFIX!);
    expect(ticketFiles()).toHaveLength(before.size + 2);
    for (const t of ticketFiles().filter((x) => !before.has(x.id))) expect(added.find((a) => a.id === t.id)!.markdown).toBe(t.markdown);
  });

  it('a worker with Graph configured polls on its own schedule (GRAPH_POLL_MINUTES): the conflicts become tickets with no command run', async () => {
    const ownDir = mkdtempSync(join(tmpdir(), 'syncdesk-e2e-graph-poll-'));
    const ownEnv: Record<string, string> = { ...env, ...baseEnv(ownDir), GRAPH_POLL_MINUTES: '60' };
    const t0 = Date.now();
    const scheduled = await daemon(['worker', '--queues', 'poll,resolve,ticket'], ownEnv, 'workers ready');
    try {
      const files = () => readdirSync(join(ownDir, 'tickets'), { withFileTypes: true }).filter((f) => f.name.endsWith('.json')).length;
      await until('the scheduled poll to write 2 tickets', () => {
        try {
          return files() >= 2;
        } catch {
          return false;
        }
      }, 30_000);
      await drained(ownEnv.REDIS_PREFIX!);
      expect(files()).toBe(2);
      process.stdout.write(`graph-resolve: scheduled poll → 2 tickets ${Date.now() - t0} ms after the worker started\n`);
    } finally {
      expect(await scheduled.stop()).toBe(0);
    }
  });
});
