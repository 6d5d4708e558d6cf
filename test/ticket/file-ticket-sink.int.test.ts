import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { TransientError } from '../../src/errors.ts';
import { createLogger } from '../../src/logger.ts';
import { createTicketStageFromConfig } from '../../src/ticket/ticket-stage.ts';
import { createTicketStateStore } from '../../src/ticket/ticket-state.ts';
import { services } from '../helpers/services.ts';
import { resolution, resolutionsFor, syncError, ticketJob, uniqueTenant } from './builders.ts';
import { fileScenarioDesk } from './file-desk.ts';
import { runTicketScenarios } from './scenarios.ts';
import { runStateStoreContract } from './state-store-contract.ts';

/** The scenario table against the file sink (the embedded default desk), with real Redis. */
runTicketScenarios('file sink', fileScenarioDesk);

describe('ticket stage from config (file sink, real Redis)', () => {
  it('digest mode: one ticket per report listing every problem, once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'syncdesk-digest-'));
    const redis = new Redis(services().REDIS_URL!);
    try {
      const config = loadConfig({ TICKET_SINK: 'file', TICKET_DIR: dir, TICKET_DIGEST: 'true', REDIS_PREFIX: `test-digest-${randomUUID()}` });
      const stage = createTicketStageFromConfig(config, { redis, logger: createLogger({ level: 'silent' }) });
      const tenant = uniqueTenant();
      const a = syncError();
      const b = syncError({ value: 'jane@contoso.com' });
      const job = ticketJob(tenant, 1, [a, b]);
      const first = await stage.applyReport(job, resolutionsFor(resolution(a), resolution(b)));
      expect(first.map((x) => x.action)).toEqual(['create']);
      expect(first[0]!.summary).toMatch(/^\[Directory sync report\] 2 problem\(s\) — tenant contoso-/);
      const again = await stage.applyReport(job, resolutionsFor(resolution(a), resolution(b)));
      expect(again).toEqual([expect.objectContaining({ action: 'unchanged', ticketId: first[0]!.ticketId })]);
      const next = await stage.applyReport(ticketJob(tenant, 2, [a]), resolutionsFor(resolution(a)));
      expect(next.map((x) => x.action)).toEqual(['create']);
      const md = readFileSync(join(dir, `${first[0]!.ticketId}.md`), 'utf8');
      expect(md).toContain('john@contoso.com');
      expect(md).toContain('jane@contoso.com');
      await stage.close();
    } finally {
      await redis.quit();
    }
  });

  it('a key held by a stuck worker is handed back to the queue as transient, not worked twice', async () => {
    const redis = new Redis(services().REDIS_URL!);
    try {
      const prefix = `test-lock-${randomUUID()}`;
      const store = createTicketStateStore(redis, { prefix, lockWaitMs: 300, lockTtlMs: 5000 });
      let release!: () => void;
      const held = store.withLock('k', () => new Promise<void>((r) => (release = r)));
      await new Promise((r) => setTimeout(r, 50));
      const err = await store.withLock('k', async () => 'ran').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransientError);
      expect((err as TransientError).code).toBe('ticket_key_busy');
      release();
      await held;
      expect(await store.withLock('k', async () => 'ran')).toBe('ran');
    } finally {
      await redis.quit();
    }
  });

  it('renews the lock while its holder works past the TTL', async () => {
    const redis = new Redis(services().REDIS_URL!);
    try {
      const store = createTicketStateStore(redis, { prefix: `test-renew-${randomUUID()}`, lockWaitMs: 200, lockTtlMs: 600 });
      let release!: () => void;
      const held = store.withLock('k', () => new Promise<void>((r) => (release = r)));
      await new Promise((r) => setTimeout(r, 1500)); // 2.5 TTLs
      const err = await store.withLock('k', async () => 'ran').catch((e: unknown) => e);
      expect((err as TransientError).code).toBe('ticket_key_busy');
      release();
      await held;
      expect(await store.withLock('k', async () => 'ran')).toBe('ran');
    } finally {
      await redis.quit();
    }
  });
});

describe('ticket state in Redis', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(services().REDIS_URL!);
  });
  afterAll(async () => {
    await redis.quit();
  });
  runStateStoreContract(async () => createTicketStateStore(redis, { prefix: `test-state-${randomUUID()}` }));

  it('reads a state written before `stream` was named (its stream under `tenantKey`)', async () => {
    const prefix = `test-state-${randomUUID()}`;
    await redis.set(`${prefix}:ticket:key:k-old`, JSON.stringify({ key: 'k-old', tenantKey: 'contoso.com|graph', status: 'open', ticketId: 'T1', reports: [] }));
    const store = createTicketStateStore(redis, { prefix });
    expect(await store.get('k-old')).toMatchObject({ key: 'k-old', stream: 'contoso.com|graph' });
    expect(await store.get('k-old')).not.toHaveProperty('tenantKey');
  });
});
