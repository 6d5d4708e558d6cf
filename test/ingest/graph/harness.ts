import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { recordingQueue } from '../../helpers/recording-queue.ts';
import type { ReportContext } from '../../../src/parse/report-ref.ts';
import { loadConfig } from '../../../src/config.ts';
import { createIngestor, type Ingestor } from '../../../src/ingest/ingest-mail.ts';
import { createMailStore } from '../../../src/ingest/mail-store.ts';
import type { SenderTrust } from '../../../src/ingest/sender-trust.ts';
import { emptyDirectory } from '../../fakes/graph/directory.ts';
import { fakeMailbox, type FakeMailbox } from '../../fakes/graph/mailbox.ts';
import { startFakeGraph, type FakeGraph } from '../../fakes/graph/server.ts';
import { tlsMaterialFrom } from '../../fakes/graph/tls.ts';

/**
 * Shared set-up of the Graph mail specs: the HTTPS fake Graph with one tenant, a report
 * mailbox, and one app per permission case; config through the real loadConfig; the real
 * ingestor (ledger in the integration Redis) whose parse queue is a map keyed by job id,
 * so a second add of the same id is a no-op as in BullMQ.
 */

export const TENANT = '0d0d0d0d-0000-4000-8000-00000000000d';
export const MAILBOX = 'dirsync-reports@contoso.com';
export const APPS = {
  readWrite: { clientId: 'd1d1d1d1-1111-4111-8111-111111111111', secret: 'rw-secret', roles: ['Mail.ReadWrite', 'User.Read.All'] },
  readOnly: { clientId: 'd2d2d2d2-2222-4222-8222-222222222222', secret: 'r-secret', roles: ['Mail.Read'] },
  none: { clientId: 'd3d3d3d3-3333-4333-8333-333333333333', secret: 'n-secret', roles: ['User.Read.All'] },
  outOfScope: { clientId: 'd4d4d4d4-4444-4444-8444-444444444444', secret: 'o-secret', roles: ['Mail.ReadWrite'] },
  /** No mail permission in Entra: Exchange grants it Mail.ReadWrite on the report mailbox alone (RBAC for Applications). */
  exchangeScoped: { clientId: 'd5d5d5d5-5555-4555-8555-555555555555', secret: 'x-secret', roles: ['User.Read.All'] },
};
export type AppName = keyof typeof APPS;

export async function startMailFake(): Promise<{ fake: FakeGraph; mailbox: FakeMailbox }> {
  const dir = process.env.FAKE_GRAPH_TLS_DIR;
  if (!dir || !process.env.NODE_EXTRA_CA_CERTS) throw new Error('run through test/ingest/graph-mail.int.test.ts (needs FAKE_GRAPH_TLS_DIR and NODE_EXTRA_CA_CERTS)');
  const mailbox = fakeMailbox(MAILBOX, { scopedApps: [APPS.readWrite.clientId, APPS.readOnly.clientId, APPS.none.clientId], exchangeGrants: { [APPS.exchangeScoped.clientId]: ['Mail.ReadWrite'] } });
  const fake = await startFakeGraph({ tls: tlsMaterialFrom(dir), tenants: { [TENANT]: { apps: Object.values(APPS), directory: emptyDirectory(), mailboxes: [mailbox] } } });
  return { fake, mailbox };
}

export function redis(): Redis {
  const url = process.env.REDIS_URL;
  if (!url) throw new Error('REDIS_URL is required');
  return new Redis(url, { maxRetriesPerRequest: 1 });
}

export const silent = () => pino({ level: 'silent' });

export function mailConfig(fake: FakeGraph, app: AppName = 'readWrite', extra: Record<string, string> = {}) {
  return loadConfig({
    REDIS_URL: process.env.REDIS_URL,
    REDIS_PREFIX: `gm-${randomUUID().slice(0, 8)}`,
    GRAPH_TENANT_ID: TENANT,
    GRAPH_CLIENT_ID: APPS[app].clientId,
    GRAPH_CLIENT_SECRET: APPS[app].secret,
    GRAPH_BASE_URL: fake.url,
    GRAPH_AUTHORITY_HOST: fake.url,
    MAIL_SOURCE: 'graph',
    GRAPH_MAILBOX: MAILBOX,
    MAIL_STORE_DIR: mkdtempSync(join(tmpdir(), 'syncdesk-graph-mail-')),
    TRUST_POLICY: 'off',
    ...extra,
  });
}

export interface Queued {
  ingestor: Ingestor;
  /** Report flows queued, by mail (a second add is dropped, as BullMQ does). */
  jobs: Map<string, ReportContext>;
  adds: number;
}

export function queuedIngestor(config: ReturnType<typeof mailConfig>, client: Redis, trust?: SenderTrust): Queued {
  const rec = recordingQueue();
  const store = createMailStore({ dir: config.ingest.storeDir, maxMailBytes: config.ingest.maxMailBytes, retentionDays: config.ingest.retentionDays });
  const ingestor = createIngestor({
    redis: client,
    store,
    config,
    logger: silent(),
    ...(trust ? { trust } : {}),
    queueReports: rec.queueReports,
  });
  return {
    ingestor,
    jobs: rec.flows,
    get adds() {
      return rec.adds;
    },
  };
}

export interface MailFakeContext {
  fake: FakeGraph;
  box: FakeMailbox;
  client: Redis;
}

/** The fake and a Redis client for a spec file; each test starts with an empty mailbox and fresh mail stats. */
export function useMailFake(): MailFakeContext {
  const ctx = {} as MailFakeContext;
  beforeAll(async () => {
    const { fake, mailbox } = await startMailFake();
    Object.assign(ctx, { fake, box: mailbox, client: redis() });
  });
  afterAll(async () => {
    ctx.client?.disconnect();
    await ctx.fake?.close();
  });
  beforeEach(() => {
    ctx.box.messages.length = 0;
    ctx.fake.mail.resetStats();
    ctx.fake.mail.latencyMs = 0;
  });
  return ctx;
}
