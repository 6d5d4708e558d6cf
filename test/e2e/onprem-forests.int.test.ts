import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyDirectory } from '../fakes/graph/directory.ts';
import { startFakeGraph, type FakeGraph } from '../fakes/graph/server.ts';
import { makeTlsMaterial } from '../fakes/graph/tls.ts';
import { adminClient, AdSeed, runTag, startSambaAd, stopSambaAd, type SambaAd } from '../helpers/samba.ts';
import { baseEnv, daemon, drained, failedJobs, syncdesk, unique, type Daemon } from './helpers.ts';
import { reportMail, type ReportRow } from './report-mail.ts';
import { ticketFiles, ticketOn as ticketOnIn } from './ticket-files.ts';

/**
 * An MSP with two customers on premises: each customer's AD is read by a worker inside its
 * own network, and only for its own reports. One Samba AD DC stands for both forests, each
 * an OU of its own that its worker searches from (ONPREM_BASE_DN), so a report read in the
 * wrong forest would show the wrong holder or none. The workers set ONPREM_FOREST and no
 * tenants file (it holds every customer's Graph secret); the MSP's host has the tenants
 * file, with `onpremForest` on the two customers and none on a third, and no ONPREM_URL.
 */

const id = unique();
const tag = runTag();
const dir = mkdtempSync(join(tmpdir(), 'syncdesk-e2e-forests-'));
const ticketDir = join(dir, 'tickets');
const readerPassword = `Reader-${tag}-Pw1!`;

interface Customer {
  name: string;
  tenantId: string;
  app: { clientId: string; secret: string };
  /** The domain its report names it by, and its mail domain. */
  domain: string;
  forest?: string;
}
const customer = (name: string, n: number, forest?: string): Customer => ({
  name: `${name} ${id}`,
  tenantId: `0e2e0e2e-0000-4000-8000-00000000f0${n}${n}`,
  app: { clientId: `e2e0e2e0-3333-4333-8333-3333333333${n}${n}`, secret: `secret-${n}-${id}` },
  domain: `${name.toLowerCase()}${tag}.onmicrosoft.com`,
  forest,
});
const contoso = customer('Contoso', 1, 'contoso');
const fabrikam = customer('Fabrikam', 2, 'fabrikam');
const tailspin = customer('Tailspin', 3);
/** The address both forests hold, each on a group of its own: which one a ticket names tells which AD was read. */
const shared = `info@shared${tag}.example`;

let ad: SambaAd;
let admin: Client;
const seeds: Record<string, AdSeed> = {};
const dns: Record<string, string> = {};
const guids: Record<string, string> = {};
let fake: FakeGraph;
let env: Record<string, string>;
let mainWorker: Daemon;
const forestWorkers: Record<string, Daemon> = {};

const ticketOn = (text: string) => ticketOnIn(ticketDir, text);

function tenantsFile(): string {
  const file = join(dir, 'tenants.yaml');
  const entry = (c: Customer) =>
    [
      `  - name: ${c.name}`,
      `    tenantId: ${c.tenantId}`,
      `    domains: [${c.domain}]`,
      `    clientId: ${c.app.clientId}`,
      `    clientSecret: ${c.app.secret}`,
      `    baseUrl: ${fake.url}`,
      `    authorityHost: ${fake.url}`,
      ...(c.forest ? [`    onpremForest: ${c.forest}`] : []),
    ].join('\n');
  writeFileSync(file, `tenants:\n${[contoso, fabrikam, tailspin].map(entry).join('\n')}\n`);
  return file;
}

async function replay(c: Customer, rows: ReportRow[], day: number): Promise<void> {
  const file = join(dir, `${c.forest ?? 'none'}-${day}.eml`);
  writeFileSync(file, reportMail({ tenant: c.name, domain: c.domain, coversAt: new Date(Date.UTC(2026, 11, day, 6)), rows }));
  const run = await syncdesk(['replay', file], env);
  expect(run.code, run.stderr + run.stdout).toBe(0);
}

beforeAll(async () => {
  ad = await startSambaAd();
  admin = await adminClient(ad, readFileSync(ad.tlsCa, 'utf8'));
  for (const forest of ['contoso', 'fabrikam']) seeds[forest] = await new AdSeed(admin, ad.baseDn, `${tag}${forest[0]}`).open();
  await seeds.contoso!.user('reader', {}, readerPassword);
  // each forest: a user whose second address its own group holds too
  dns.ann = await seeds.contoso!.user('Ann', { userPrincipalName: `ann@${contoso.domain}`, proxyAddresses: [`SMTP:ann@${contoso.domain}`, `smtp:${shared}`] });
  dns.infoContoso = await seeds.contoso!.group('Info', { mail: shared, proxyAddresses: [`SMTP:${shared}`] });
  dns.ben = await seeds.fabrikam!.user('Ben', { userPrincipalName: `ben@${fabrikam.domain}`, proxyAddresses: [`SMTP:ben@${fabrikam.domain}`, `smtp:${shared}`] });
  dns.infoFabrikam = await seeds.fabrikam!.group('Info', { mail: shared, proxyAddresses: [`SMTP:${shared}`] });
  for (const k of ['ann', 'ben']) guids[k] = await seeds[k === 'ann' ? 'contoso' : 'fabrikam']!.guidOf(dns[k]!);

  const tls = makeTlsMaterial();
  fake = await startFakeGraph({ tls, tenants: Object.fromEntries([contoso, fabrikam, tailspin].map((c) => [c.tenantId, { apps: [c.app], directory: emptyDirectory() }])) });
  env = baseEnv(dir, { TICKET_SINK: 'file', GRAPH_TENANTS_FILE: tenantsFile(), GRAPH_POLL_MINUTES: '0', NODE_EXTRA_CA_CERTS: tls.caPath });
  mainWorker = await daemon(['worker', '--queues', 'resolve,ticket'], env, 'workers ready');
  for (const forest of ['contoso', 'fabrikam']) await startForestWorker(forest);
});

/** The host inside a customer's network: its forest, its base, no tenants file. */
async function startForestWorker(forest: string, password = readerPassword): Promise<void> {
  await forestWorkers[forest]?.stop();
  const { GRAPH_TENANTS_FILE: _none, ...plain } = env;
  const onpremEnv = { ...plain, ONPREM_FOREST: forest, ONPREM_URL: ad.url, ONPREM_BIND_DN: `CN=reader,${seeds.contoso!.ou}`, ONPREM_BIND_PASSWORD: password, ONPREM_BASE_DN: seeds[forest]!.ou, ONPREM_TLS_CA: ad.tlsCa, ONPREM_TIMEOUT_MS: '3000' };
  const worker = await daemon(['worker', '--queues', 'onprem'], onpremEnv, 'workers ready');
  expect(worker.log()).toContain(`on-premises reads of queue onprem-${forest}`);
  forestWorkers[forest] = worker;
}

afterAll(async () => {
  await mainWorker?.stop();
  for (const w of Object.values(forestWorkers)) await w.stop();
  await fake?.close();
  for (const seed of Object.values(seeds).reverse()) await seed.clear();
  await admin?.unbind().catch(() => undefined);
  if (ad?.startedHere) await stopSambaAd(ad.dir);
});

describe('one AD forest per customer (MSP): each report is read in its own tenant’s forest', () => {
  it("names each customer's own holder of the same address, and a customer without a forest waits for none", async () => {
    await replay(contoso, [{ object: `ann@${contoso.domain}`, duplicates: [['ProxyAddresses', `smtp:${shared}`]], onPremisesObjectId: guids.ann! }], 1);
    await replay(fabrikam, [{ object: `ben@${fabrikam.domain}`, duplicates: [['ProxyAddresses', `smtp:${shared}`]], onPremisesObjectId: guids.ben! }], 1);
    await replay(tailspin, [{ object: `cy@${tailspin.domain}`, duplicates: [['ProxyAddresses', `smtp:${shared}`]], onPremisesObjectId: guids.ann! }], 1);
    await drained(env.REDIS_PREFIX!, 90_000);
    expect(await failedJobs(env.REDIS_PREFIX!)).toBe(0);

    const ann = ticketOn(`on ann@`);
    expect(ann.summary).toContain('held by on-premises group Info');
    expect(ann.markdown).toContain(dns.ann);
    expect(ann.markdown).toContain(dns.infoContoso);
    expect(ann.markdown).not.toContain(seeds.fabrikam!.ou);

    const ben = ticketOn(`on ben@`);
    expect(ben.summary).toContain('held by on-premises group Info');
    expect(ben.markdown).toContain(dns.ben);
    expect(ben.markdown).toContain(dns.infoFabrikam);
    expect(ben.markdown).not.toContain(seeds.contoso!.ou);

    // Tailspin names Ann's anchor: read in Contoso's AD it would show her; it is read in none
    const cy = ticketOn(`on cy@`);
    expect(cy.markdown).not.toContain(seeds.contoso!.ou);
    expect(cy.markdown).not.toContain('on-premises side is missing');

    // the MSP's `status` shows each forest's queue, each with its own report's read
    const status = await syncdesk(['status', '--json'], env);
    expect(status.code, status.stderr).toBe(0);
    const queues = (JSON.parse(status.stdout) as { queues: Record<string, Record<string, number>> }).queues;
    expect(queues['onprem-contoso']).toMatchObject({ completed: 1, failed: 0 });
    expect(queues['onprem-fabrikam']).toMatchObject({ completed: 1, failed: 0 });
    expect(queues.onprem).toMatchObject({ completed: 0 });
  });

  it("a forest's worker refused by its DC: `failed list` names that forest's queue, and `failed retry` reads it again once fixed", async () => {
    await startForestWorker('fabrikam', 'not-the-password');
    const deb = `deb@${fabrikam.domain}`;
    await replay(fabrikam, [{ object: deb, duplicates: [['ProxyAddresses', `smtp:${shared}`]], onPremisesObjectId: guids.ben! }], 2);
    await drained(env.REDIS_PREFIX!, 90_000);
    expect(ticketOn(`on deb@`).markdown).toContain('The on-premises side is missing');

    const list = await syncdesk(['failed', 'list'], env);
    expect(list.code, list.stderr + list.stdout).toBe(0);
    expect(list.stdout).toMatch(/^onprem-fabrikam\tonprem-[0-9a-f]+\t.*the DC refused the bind credentials/m);
    expect(list.stdout).toContain('its tickets went out without the on-premises side; `failed retry` reads AD again and updates the tickets');

    await startForestWorker('fabrikam');
    const retry = await syncdesk(['failed', 'retry', '--all'], env);
    expect(retry.code, retry.stderr + retry.stdout).toBe(0);
    await drained(env.REDIS_PREFIX!, 90_000);
    const notes = ticketOn(`on deb@`).markdown.split(/^## Note — /m).slice(1);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain(dns.infoFabrikam);
    expect(notes[0]).not.toContain(seeds.contoso!.ou);
  });

  it("a forest's worker host down: that customer's report waits, `status` names the queue nobody works, and it goes on once the host is back", async () => {
    await forestWorkers.contoso!.stop();
    delete forestWorkers.contoso;
    await replay(contoso, [{ object: `eve@${contoso.domain}`, duplicates: [['ProxyAddresses', `smtp:${shared}`]], onPremisesObjectId: guids.ann! }], 3);
    const text = await syncdesk(['status'], env);
    expect(text.stdout).toContain('Queue onprem-contoso: jobs waiting and no worker connected; their reports wait for `syncdesk worker --queues onprem` with ONPREM_FOREST=contoso');
    const json = JSON.parse((await syncdesk(['status', '--json'], env)).stdout) as { unworked: string[] };
    expect(json.unworked).toEqual(['onprem-contoso']);
    expect(ticketFiles(ticketDir).some((t) => t.summary.includes('on eve@'))).toBe(false);

    await startForestWorker('contoso');
    await drained(env.REDIS_PREFIX!, 90_000);
    expect(ticketOn('on eve@').markdown).toContain(dns.infoContoso);
    expect((JSON.parse((await syncdesk(['status', '--json'], env)).stdout) as { unworked: string[] }).unworked).toEqual([]);
  });

  it('a forest whose worker does not come: past ONPREM_WAIT_SECONDS the ticket goes out with the cloud side and says why; `failed retry` reads AD once it is back', async () => {
    await forestWorkers.contoso!.stop();
    delete forestWorkers.contoso;
    expect(await mainWorker.stop()).toBe(0);
    mainWorker = await daemon(['worker', '--queues', 'resolve,ticket'], { ...env, ONPREM_WAIT_SECONDS: '3' }, 'workers ready');
    const t0 = Date.now();
    await replay(contoso, [{ object: `fay@${contoso.domain}`, duplicates: [['ProxyAddresses', `smtp:${shared}`]], onPremisesObjectId: guids.ann! }], 4);
    await drained(env.REDIS_PREFIX!, 60_000);
    const waited = Date.now() - t0;
    process.stdout.write(`onprem-forests: no worker for onprem-contoso, ticket out after ${waited} ms\n`);
    expect(waited).toBeGreaterThanOrEqual(3_000);
    const fay = ticketOn('on fay@');
    // the ticket's Markdown escapes backticks and underscores
    expect(fay.markdown.replace(/\\([`_])/g, '$1')).toContain('The on-premises side is missing: no on-premises worker took this lookup within 3 s (queue onprem-contoso): start `syncdesk worker --queues onprem` where the DC is reachable with ONPREM_FOREST=contoso, then `syncdesk failed retry`.');
    expect(fay.markdown).not.toContain(seeds.contoso!.ou);

    const list = await syncdesk(['failed', 'list'], env);
    expect(list.stdout).toMatch(/^onprem-contoso\tonprem-[0-9a-f]+\t.*no on-premises worker took this lookup/m);
    expect(list.stdout).toContain('its tickets went out without the on-premises side; `failed retry` reads AD again and updates the tickets');

    await startForestWorker('contoso');
    const retry = await syncdesk(['failed', 'retry', '--all'], env);
    expect(retry.code, retry.stderr + retry.stdout).toBe(0);
    await drained(env.REDIS_PREFIX!, 90_000);
    const notes = ticketOn('on fay@').markdown.split(/^## Note — /m).slice(1);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain(dns.infoContoso);
  });
});
