import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { queuePrefix } from '../../src/redis/connection.ts';
import { emptyDirectory, group, user } from '../fakes/graph/directory.ts';
import { startFakeGraph, type FakeGraph } from '../fakes/graph/server.ts';
import { makeTlsMaterial } from '../fakes/graph/tls.ts';
import { adminClient, AdSeed, runTag, startSambaAd, stopSambaAd, type SambaAd } from '../helpers/samba.ts';
import { services } from '../helpers/services.ts';
import { fakeGraphEnv } from './graph-env.ts';
import { baseEnv, daemon, drained, failedJobs, rtClient, rtEnv, rtTickets, syncdesk, unique, type Daemon } from './helpers.ts';
import { reportMail, type ReportRow } from './report-mail.ts';
import { ticketOn as ticketOnIn } from './ticket-files.ts';

/**
 * Issue #15 end to end: both sides of a conflict. A real Samba AD DC on loopback, the fake
 * Graph over HTTPS, the file sink (and Request Tracker at the end); `syncdesk worker --queues onprem` with the read-only
 * account (the host inside the network) and `syncdesk worker --queues resolve,ticket` with
 * ONPREM_URL only (the host that only knows reports wait for AD), both on one Redis.
 */

const id = unique();
const tag = runTag();
const TENANT_ID = '0e2e0e2e-0000-4000-8000-0000000000ad';
const APP = { clientId: 'e2e0e2e0-2222-4222-8222-2222222222ad', secret: `secret-${id}` };
const dom = `ad${tag}.example`;
const tenantName = `OnPrem ${id}`;
const dir = mkdtempSync(join(tmpdir(), 'syncdesk-e2e-onprem-'));
const ticketDir = join(dir, 'tickets');
const readerPassword = `Reader-${tag}-Pw1!`;
const NO_VALUE = 'A synchronized object with the same proxy address already exists in your Microsoft Online Services directory.';

// the cloud: Sales synced from AD, and cloud-only users holding Bob's and Cara's second addresses
const directory = emptyDirectory();
let salesDn: string;
const bobCloud = user({ userPrincipalName: `bob.cloud@${dom}`, displayName: 'Bob Cloud', mail: `bob.cloud@${dom}`, proxyAddresses: [`SMTP:bob.cloud@${dom}`, `smtp:bob.alias@${dom}`] });
const caraCloud = user({ userPrincipalName: `cara.cloud@${dom}`, displayName: 'Cara Cloud', mail: `cara.cloud@${dom}`, proxyAddresses: [`SMTP:cara.cloud@${dom}`, `smtp:cara@${dom}`] });
directory.users.push(bobCloud, caraCloud);

let ad: SambaAd;
let admin: Client;
let seed: AdSeed;
let fake: FakeGraph;
let env: Record<string, string>;
let onpremEnv: Record<string, string>;
let resolveWorker: Daemon | undefined;
let onpremWorker: Daemon | undefined;
const dns: Record<string, string> = {};
const guids: Record<string, string> = {};

const ticketOn = (text: string) => ticketOnIn(ticketDir, text);

/** Replays a report of these rows and waits until every queue, onprem included, is drained. */
async function replay(name: string, rows: ReportRow[], day: number): Promise<number> {
  const file = join(dir, `${name}.eml`);
  writeFileSync(file, reportMail({ tenant: tenantName, domain: `ad${tag}.onmicrosoft.com`, coversAt: new Date(Date.UTC(2026, 11, day, 6)), rows }));
  const t0 = Date.now();
  const run = await syncdesk(['replay', file], env);
  expect(run.code, run.stderr + run.stdout).toBe(0);
  await drained(env.REDIS_PREFIX!, 90_000);
  return Date.now() - t0;
}

/** The onprem jobs that failed for good, with their reason and attempts. */
async function failedOnPrem(): Promise<Array<{ reason: string; attempts: number }>> {
  const client = new Redis(services().REDIS_URL!, { maxRetriesPerRequest: null });
  const queue = new Queue('onprem', { connection: client, prefix: queuePrefix(loadConfig({ REDIS_URL: services().REDIS_URL!, REDIS_PREFIX: env.REDIS_PREFIX! }).redis) });
  try {
    return (await queue.getFailed()).map((j) => ({ reason: j.failedReason, attempts: j.attemptsMade }));
  } finally {
    await queue.close();
    client.disconnect();
  }
}

async function startOnPremWorker(extra: Record<string, string> = {}): Promise<void> {
  await onpremWorker?.stop();
  onpremWorker = await daemon(['worker', '--queues', 'onprem'], { ...onpremEnv, ...extra }, 'workers ready');
}

beforeAll(async () => {
  ad = await startSambaAd();
  admin = await adminClient(ad, readFileSync(ad.tlsCa, 'utf8'));
  seed = await new AdSeed(admin, ad.baseDn, tag).open();
  await seed.user('reader', {}, readerPassword);
  // Ann and the Sales group share an address inside AD; Sales is synced, so the cloud has it too
  dns.ann = await seed.user("Ann O'Neil", { userPrincipalName: `ann@${dom}`, mail: `ann@${dom}`, proxyAddresses: [`SMTP:ann@${dom}`, `smtp:sales@${dom}`] });
  salesDn = await seed.group('Sales', { mail: `sales@${dom}`, proxyAddresses: [`SMTP:sales@${dom}`] });
  // Bob's report names no value: only AD knows his second address, which a cloud-only user holds
  dns.bob = await seed.user('Bob', { userPrincipalName: `bob@${dom}`, mail: `bob@${dom}`, proxyAddresses: [`SMTP:bob@${dom}`, `smtp:bob.alias@${dom}`] });
  dns.cara = await seed.user('Cara', { userPrincipalName: `cara.ad@${dom}`, proxyAddresses: [`SMTP:cara.ad@${dom}`, `smtp:cara@${dom}`] });
  for (const k of Object.keys(dns)) guids[k] = await seed.guidOf(dns[k]!);
  directory.groups.push(
    group({ displayName: 'Sales', mail: `sales@${dom}`, proxyAddresses: [`SMTP:sales@${dom}`], groupTypes: [], onPremisesSyncEnabled: true, onPremisesLastSyncDateTime: '2026-11-30T08:00:00Z', onPremisesDistinguishedName: salesDn }),
  );

  const tls = makeTlsMaterial();
  fake = await startFakeGraph({ tls, tenants: { [TENANT_ID]: { apps: [APP], directory } } });
  env = baseEnv(dir, { TICKET_SINK: 'file', ...fakeGraphEnv(fake, TENANT_ID, APP), NODE_EXTRA_CA_CERTS: tls.caPath, ONPREM_URL: ad.url });
  onpremEnv = { ...env, ONPREM_BIND_DN: `CN=reader,${seed.ou}`, ONPREM_BIND_PASSWORD: readerPassword, ONPREM_BASE_DN: ad.baseDn, ONPREM_TLS_CA: ad.tlsCa, ONPREM_TIMEOUT_MS: '3000' };
  resolveWorker = await daemon(['worker', '--queues', 'resolve,ticket'], env, 'workers ready');
  await startOnPremWorker();
});

afterAll(async () => {
  if (resolveWorker) expect(await resolveWorker.stop()).toBe(0);
  if (onpremWorker) await onpremWorker.stop();
  await fake?.close();
  if (seed) await seed.clear();
  await admin?.unbind().catch(() => undefined);
  if (ad?.startedHere) await stopSambaAd(ad.dir);
});

describe('both sides of a conflict, end to end (Samba AD DC, fake Graph, file sink)', () => {
  it('names the failing object by DN with its values, every AD and cloud holder, and finds the value a report does not name', async () => {
    const ms = await replay('both-sides', [
      { object: `ann@${dom}`, duplicates: [['ProxyAddresses', `smtp:sales@${dom}`]], onPremisesObjectId: guids.ann! },
      { object: `bob@${dom}`, duplicates: [], onPremisesObjectId: guids.bob!, message: NO_VALUE },
    ], 1);
    process.stdout.write(`onprem-ad: 2 errors read from AD, resolved in Graph and ticketed in ${ms} ms\n`);
    expect(await failedJobs(env.REDIS_PREFIX!)).toBe(0);
    expect(await failedOnPrem()).toEqual([]);

    const ann = ticketOn(`smtp:sales@${dom} on ann@${dom}`);
    expect(ann.summary).toContain('held by on-premises group Sales');
    expect(ann.markdown).toContain(dns.ann);
    expect(ann.markdown).toContain(`SMTP:ann@${dom}, smtp:sales@${dom}`);
    expect(ann.markdown).toContain(guids.ann);
    expect(ann.markdown).toContain(`group ${salesDn} — holds mail sales@${dom}, proxyAddresses SMTP:sales@${dom}`);
    // the cloud holder, synced from that group (Graph shows no DN for groups: AD names it)
    expect(ann.markdown).toMatch(new RegExp(`group Sales \\(sales@${dom.replace(/\./g, '\\.')}\\) — synced — .* object id [0-9a-f-]{36}`));
    expect(ann.markdown).toContain(`Set-ADGroup -Identity '${salesDn}' -Remove @{proxyAddresses='SMTP:sales@${dom}'}`);
    expect(ann.markdown).toContain(`Set-ADUser -Identity '${dns.ann!.replace(/'/g, "''")}' -Remove @{proxyAddresses='smtp:sales@${dom}'}`);

    const bob = ticketOn(`bob@${dom}`);
    expect(bob.summary).toContain('held by cloud-only user Bob Cloud');
    expect(bob.markdown).toContain(dns.bob);
    expect(bob.markdown).toContain(bobCloud.id);
    expect(bob.markdown).toContain(`Set-Mailbox -Identity 'bob.cloud@${dom}' -EmailAddresses @{remove='smtp:bob.alias@${dom}'}`);
    // the base searched is named: an object outside it could still hold the value
    expect(bob.markdown).toMatch(/No other object in AD under DC=\S+ holds .* \(objects outside it were not searched\)/);
  });

  it('a wrong password: the cloud-side ticket is intact and says why the on-premises side is missing', async () => {
    await startOnPremWorker({ ONPREM_BIND_PASSWORD: 'not-the-password' });
    await replay('wrong-password', [{ object: `cara.ad@${dom}`, duplicates: [['ProxyAddresses', `smtp:cara@${dom}`]], onPremisesObjectId: guids.cara! }], 2);
    expect(await failedJobs(env.REDIS_PREFIX!)).toBe(0);
    const failed = await failedOnPrem();
    expect(failed).toHaveLength(1);
    expect(failed[0]!.attempts).toBe(1); // a refused bind is not retried
    const cara = ticketOn(`smtp:cara@${dom} on cara.ad@${dom}`);
    expect(cara.summary).toContain('held by cloud-only user Cara Cloud');
    expect(cara.markdown).toContain(caraCloud.id);
    expect(cara.markdown).toMatch(/The on-premises side is missing: on-premises lookup at ldaps:\/\/127\.0\.0\.1:636: the DC refused the bind credentials/);
  });

  it('`failed list` says that ticket went out without AD; with the password fixed, `failed retry` reads AD again and updates the same ticket', async () => {
    const before = ticketOn(`smtp:cara@${dom} on cara.ad@${dom}`);
    const list = await syncdesk(['failed', 'list'], env);
    expect(list.code, list.stderr + list.stdout).toBe(0);
    expect(list.stdout).toMatch(/^onprem\tonprem-[0-9a-f]+\t.*the DC refused the bind credentials/m);
    expect(list.stdout).toContain('its tickets went out without the on-premises side; `failed retry` reads AD again and updates the tickets');

    await startOnPremWorker();
    const retry = await syncdesk(['failed', 'retry', '--all'], env);
    expect(retry.code, retry.stderr + retry.stdout).toBe(0);
    expect(retry.stdout).toContain('re-queued 1 job');
    await drained(env.REDIS_PREFIX!, 90_000);
    expect(await failedOnPrem()).toEqual([]);
    expect(await failedJobs(env.REDIS_PREFIX!)).toBe(0);

    const cara = ticketOn(`smtp:cara@${dom} on cara.ad@${dom}`);
    expect(cara.id).toBe(before.id);
    expect(cara.status).toBe('open');
    // one note with both sides now; the first lookup's text stays above it, as a desk keeps it
    const notes = cara.markdown.split(/^## Note — /m).slice(1);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain('Looked up again for report');
    expect(notes[0]).toContain(`| DN | ${dns.cara} |`);
    expect(notes[0]).not.toContain('The on-premises side is missing');
    expect(notes[0]).toContain('Times seen | 1 |');
    expect(cara.summary).toContain('held by cloud-only user Cara Cloud');
  });

  it('an unreachable DC: retried, then the cloud-side ticket goes out with the reason', async () => {
    await startOnPremWorker({ ONPREM_URL: 'ldaps://127.0.0.1:9' });
    const ms = await replay('unreachable', [{ object: `dan@${dom}`, duplicates: [['ProxyAddresses', `smtp:bob.alias@${dom}`]], onPremisesObjectId: guids.bob! }], 3);
    process.stdout.write(`onprem-ad: DC unreachable, 4 attempts, ticket out in ${ms} ms\n`);
    expect(await failedJobs(env.REDIS_PREFIX!)).toBe(0);
    const failed = (await failedOnPrem()).filter((f) => /unreachable/.test(f.reason));
    expect(failed).toEqual([expect.objectContaining({ attempts: 4 })]);
    const dan = ticketOn(`smtp:bob.alias@${dom} on dan@${dom}`);
    expect(dan.summary).toContain('held by cloud-only user Bob Cloud');
    expect(dan.markdown).toMatch(/The on-premises side is missing: on-premises lookup at ldaps:\/\/127\.0\.0\.1:9: DC unreachable \(connect ECONNREFUSED [^)]*\); gave up after 4 attempts\./);
  });

  it('one host with the account: a plain `syncdesk worker` works the onprem queue too', async () => {
    await onpremWorker?.stop();
    onpremWorker = undefined;
    expect(await resolveWorker!.stop()).toBe(0);
    resolveWorker = await daemon(['worker'], onpremEnv, 'workers ready');
    await replay('one-host', [{ object: `cara.ad@${dom}`, duplicates: [['ProxyAddresses', `smtp:sales@${dom}`]], onPremisesObjectId: guids.cara! }], 4);
    const cara = ticketOn(`smtp:sales@${dom} on cara.ad@${dom}`);
    expect(cara.markdown).toContain(dns.cara);
    expect(cara.markdown).toContain(`group ${salesDn} — holds mail sales@${dom}, proxyAddresses SMTP:sales@${dom}`);
  });

  it('into Request Tracker: the RT ticket carries both sides and the AD commands', async () => {
    expect(await resolveWorker!.stop()).toBe(0);
    resolveWorker = await daemon(['worker'], { ...onpremEnv, ...rtEnv() }, 'workers ready');
    const erin = `erin.${tag}@${dom}`;
    await replay('into-rt', [{ object: erin, duplicates: [['ProxyAddresses', `smtp:sales@${dom}`]], onPremisesObjectId: guids.ann! }], 5);
    const [t, ...more] = await rtTickets(rtClient(), `%on ${erin}%`);
    expect(more).toEqual([]);
    expect(t!.subject).toContain('held by on-premises group Sales');
    const body = t!.body.replace(/&#39;|&#x27;|&apos;/g, "'");
    expect(body).toContain(dns.ann);
    expect(body).toContain(salesDn);
    expect(body).toContain(`Set-ADGroup -Identity '${salesDn}' -Remove @{proxyAddresses='SMTP:sales@${dom}'}`);
    expect(body).toContain(`Set-ADUser -Identity '${dns.ann!.replace(/'/g, "''")}' -Remove @{proxyAddresses='smtp:sales@${dom}'}`);
  });
});
