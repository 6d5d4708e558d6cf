import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AxiosInstance } from 'axios';
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyDirectory } from '../fakes/graph/directory.ts';
import { startFakeGraph, type FakeGraph } from '../fakes/graph/server.ts';
import { makeTlsMaterial } from '../fakes/graph/tls.ts';
import { baseEnv, daemon, drained, failedJobs, imapAdmin, rtClient, rtEnv, rtTickets, unique, until, type Daemon } from './helpers.ts';
import { graphHolders, holderRows } from './graph-holders.ts';
import { reportMail } from './report-mail.ts';

/**
 * Issue #11 end to end: Microsoft Graph refuses every filter on /directory/deletedItems (the
 * fake's `deletedItemsFilters = 'none'`), and a report mail in a real Dovecot mailbox still
 * becomes tickets in a real RT through `syncdesk start` with every live holder named. The
 * values nobody live holds say that the recycle bin could not be searched; nothing is
 * "unresolved", and no job fails.
 */

const id = unique();
const TENANT_ID = '0e2e0e2e-0000-4000-8000-00000000011e';
const APP = { clientId: 'e2e0e2e0-1111-4111-8111-11111111111e', secret: `secret-${id}` };
const dom = `refused${id}.example`;
const tenantName = `Refused ${id}`;
const mailbox = `e2e-refused-${id}`;
const dir = mkdtempSync(join(tmpdir(), 'syncdesk-e2e-refused-'));

const directory = emptyDirectory();
const { cloudOnly, synced, gone } = graphHolders(dom);
directory.users.push(cloudOnly, synced);
// In the recycle bin, but Graph refuses to search it: the ticket must say so, not "nobody".
directory.deletedUsers.push(gone);
const rows = holderRows(dom);

const report = reportMail({
  tenant: tenantName,
  domain: `refused${id}.onmicrosoft.com`,
  coversAt: new Date(Date.UTC(2026, 10, 24, 6, 0, 0)),
  rows: [
    rows.alias,
    rows.shared,
    { object: `cloud.only@${dom}`, duplicates: [['UserPrincipalName', `cloud.only@${dom}`]], onPremisesObjectId: 'Y2xvdWQtb25seQ==' },
    rows.gone,
  ],
});

let fake: FakeGraph;
let imap: ImapFlow;
let rt: AxiosInstance;
let start: Daemon | undefined;
let env: Record<string, string>;

beforeAll(async () => {
  const tls = makeTlsMaterial();
  fake = await startFakeGraph({ tls, tenants: { [TENANT_ID]: { apps: [APP], directory } } });
  fake.deletedItemsFilters = 'none';
  env = {
    ...baseEnv(dir, {
      IMAP_MAILBOX: mailbox,
      GRAPH_TENANT_ID: TENANT_ID,
      GRAPH_CLIENT_ID: APP.clientId,
      GRAPH_CLIENT_SECRET: APP.secret,
      GRAPH_BASE_URL: fake.url,
      GRAPH_AUTHORITY_HOST: fake.url,
      NODE_EXTRA_CA_CERTS: tls.caPath,
      GRAPH_POLL_MINUTES: '0',
    }),
    ...rtEnv(),
  };
  imap = await imapAdmin();
  await imap.mailboxCreate(mailbox);
  rt = rtClient();
});

afterAll(async () => {
  await start?.stop();
  await imap?.logout().catch(() => undefined);
  await fake?.close();
});

describe('Graph refuses every deleted-items filter: syncdesk start still names every live holder in RT', () => {
  it('one ticket per problem; live holders named; the recycle bin gap said; no job failed', async () => {
    start = await daemon(['start'], env, 'syncdesk started');
    const t0 = Date.now();
    await imap.append(mailbox, report);
    await until('4 tickets in RT', async () => (await rtTickets(rt, tenantName)).length >= 4, 90_000, 500).catch((err: Error) => {
      throw new Error(`${err.message}\n${start!.log().slice(-6000)}`);
    });
    await drained(env.REDIS_PREFIX!);
    const ms = Date.now() - t0;
    expect(await failedJobs(env.REDIS_PREFIX!)).toBe(0);
    const tickets = await rtTickets(rt, tenantName);
    expect(tickets).toHaveLength(4);
    const on = (value: string) => tickets.find((t) => t.subject.includes(value))!;

    const alias = on(`SMTP:alias@${dom}`);
    expect(alias.subject).toContain('held by cloud-only user Cloud Only');
    expect(alias.body).toContain(cloudOnly.id);
    const shared = on(`smtp:shared@${dom}`);
    expect(shared.subject).toContain('held by synced user Synced Holder');
    const upn = on(`[Duplicate UserPrincipalName] cloud.only@${dom}`);
    expect(upn.subject).toContain('held by cloud-only user Cloud Only');

    const gone = on(`[Duplicate UserPrincipalName] gone@${dom}`);
    expect(gone.subject).not.toContain('unresolved');
    expect(gone.body.replace(/\s+/g, ' ')).toContain('The recycle bin (soft-deleted users and Microsoft 365 groups) could not be searched for this value');
    for (const t of tickets) expect(t.body).not.toMatch(/Graph refused the lookup/);

    // Graph was asked, refused, and asked again more narrowly, without a failed job.
    const deletedFilters = fake.stats.filters.filter((f) => f.startsWith('endswith(') || f === `mail eq 'gone@${dom}'`);
    expect(deletedFilters.length).toBeGreaterThanOrEqual(2);
    process.stdout.write(`graph-refused-rt: 4 problems ticketed in RT in ${ms} ms with every deleted-items filter refused; Graph: ${fake.stats.subRequests} sub-requests in ${fake.stats.batchPosts} batches\n`);
  });
});
