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

  it('forgets a settled problem after TICKET_STATE_RETENTION_DAYS, never an open one; back after that, it finds its ticket in the desk', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'syncdesk-retention-'));
    const redis = new Redis(services().REDIS_URL!);
    try {
      const prefix = `test-retention-${randomUUID()}`;
      const config = loadConfig({ TICKET_SINK: 'file', TICKET_DIR: dir, TICKET_RESOLVE_AFTER_MISSING: '1', TICKET_STATE_RETENTION_DAYS: '90', REDIS_PREFIX: prefix });
      // the desk's clock an hour after each report's run, as in a live service
      let day = 1;
      const stage = createTicketStageFromConfig(config, { redis, logger: createLogger({ level: 'silent' }), now: () => new Date(Date.UTC(2026, 10, day, 7)) });
      const tenant = uniqueTenant();
      const a = syncError();
      const b = syncError({ value: 'jane@contoso.com' });
      const [created] = await stage.applyReport(ticketJob(tenant, day, [a, b]), resolutionsFor(resolution(a), resolution(b)));
      const stateKey = `${prefix}:ticket:key:${created!.key}`;
      expect(await redis.pttl(stateKey)).toBe(-1); // open: kept
      day = 2;
      const gone = await stage.applyReport(ticketJob(tenant, day, [b]), resolutionsFor(resolution(b)));
      expect(gone.find((x) => x.key === created!.key)?.action).toBe('resolve');
      const ttl = await redis.pttl(stateKey);
      expect(ttl).toBeGreaterThan(89 * 86_400_000);
      expect(ttl).toBeLessThanOrEqual(90 * 86_400_000);
      // its family's pointer to it goes with it
      const { family } = JSON.parse((await redis.get(stateKey))!) as { family: string };
      const familyKey = `${prefix}:ticket:tenant:${tenant}:family:${family}`;
      expect(await redis.get(familyKey)).toBe(created!.key);
      expect(await redis.pttl(familyKey)).toBeGreaterThan(89 * 86_400_000);
      // 120 days on, the retention has run out (Redis's own expiry, brought forward)
      await redis.pexpire(stateKey, 1);
      await new Promise((r) => setTimeout(r, 20));
      expect(await redis.exists(stateKey)).toBe(0);
      day = 122;
      const back = await stage.applyReport(ticketJob(tenant, day, [a, b]), resolutionsFor(resolution(a), resolution(b)));
      // past the reopen window: a follow-up that names the resolved ticket the desk still has
      const followup = back.find((x) => x.key === created!.key);
      expect(followup).toMatchObject({ action: 'followup' });
      expect(followup!.ticketId).not.toBe(created!.ticketId);
      expect(readFileSync(join(dir, `${followup!.ticketId}.md`), 'utf8')).toContain(created!.ticketId!);
      expect(await redis.pttl(stateKey)).toBe(-1); // open again: kept
      expect(await redis.pttl(familyKey)).toBe(-1);
      await stage.close();
    } finally {
      await redis.quit();
    }
  });

  it('refuses a state retention shorter than the reopen window', () => {
    expect(() => loadConfig({ TICKET_REOPEN_WITHIN_DAYS: '30', TICKET_STATE_RETENTION_DAYS: '7' })).toThrow(/TICKET_STATE_RETENTION_DAYS \(7\) is shorter than TICKET_REOPEN_WITHIN_DAYS \(30\)/);
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
