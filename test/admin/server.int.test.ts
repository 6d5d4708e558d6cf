import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { ImapFlow } from 'imapflow';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { createMetrics } from '../../src/admin/metrics.ts';
import { startAdminServer, type AdminServer } from '../../src/admin/server.ts';
import { startAdmin } from '../../src/admin/start-admin.ts';
import { loadConfig } from '../../src/config.ts';
import { openRuntime } from '../../src/app/runtime.ts';
import { createQueues } from '../../src/queues.ts';
import { startEmbeddedRedis, type EmbeddedRedis } from '../../src/redis/embedded-redis.ts';
import { services } from '../helpers/services.ts';
import { basic, freePort, sample, spawnCli, until } from './helpers.ts';

const cleanups: Array<() => Promise<unknown> | unknown> = [];

afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const silent = pino({ level: 'silent' });

/** A log that keeps its lines, to check what an admin would read. */
function recordingLogger() {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => lines.push(s) });
  return { logger, text: () => lines.join('') };
}

describe('admin server: health and readiness', () => {
  it('answers /healthz, and /readyz 503 with the reason once its Redis is gone (the process stays healthy)', async () => {
    // a private Redis: this test stops it
    const redisServer: EmbeddedRedis = await startEmbeddedRedis({ dir: join(mkdtempSync(join(tmpdir(), 'syncdesk-admin-')), 'redis') });
    cleanups.push(() => redisServer.stop());
    const client = new Redis(redisServer.url, { maxRetriesPerRequest: null });
    client.on('error', () => undefined); // refused after the stop: that is the point
    cleanups.push(() => client.disconnect());
    const queues = createQueues(client, 'admintest:q');
    const metrics = createMetrics({ processMetrics: false });
    metrics.watchQueues(queues);
    await queues.resolve.add('resolve', { report: {}, errors: [] } as never, { jobId: 'chunk-1' });

    const admin = await startAdminServer({ host: '127.0.0.1', port: 0, metrics, logger: silent, redis: client, probeKey: 'admintest:q:ready-probe', queues: [], dashboard: { user: 'admin' } });
    cleanups.unshift(() => admin.close());

    expect((await fetch(`${admin.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${admin.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { redis: 'ok' } });
    const before = await (await fetch(`${admin.url}/metrics`)).text();
    expect(sample(before, 'syncdesk_queue_jobs', { queue: 'resolve', state: 'waiting' })).toBe(1);
    expect(sample(before, 'syncdesk_redis_up')).toBe(1);

    await redisServer.stop();
    const down = await until('readyz to fail', async () => {
      const res = await fetch(`${admin.url}/readyz`);
      return res.status === 503 ? ((await res.json()) as { status: string; reasons: string[]; checks: Record<string, string> }) : undefined;
    });
    expect(down.status).toBe('not-ready');
    expect(down.reasons).toHaveLength(1);
    expect(down.reasons[0]).toMatch(/^redis (did not answer within 1000 ms \(connection \w+\)|refused to read the queues)/);
    expect(down.checks.redis).not.toBe('ok');

    // alive all the same, and /metrics still answers, without the queue depths it cannot read
    expect((await fetch(`${admin.url}/healthz`)).status).toBe(200);
    const started = Date.now();
    const during = await fetch(`${admin.url}/metrics`);
    expect(during.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(5_000);
    const text = await during.text();
    expect(sample(text, 'syncdesk_queue_jobs', { queue: 'resolve', state: 'waiting' })).toBeUndefined();
    // what an alert fires on: the depths are gone, this says why
    expect(sample(text, 'syncdesk_redis_up')).toBe(0);
  });

  it('is not ready while the IMAP listener of its process is disconnected', async () => {
    const client = new Redis(services().REDIS_URL!, { maxRetriesPerRequest: null });
    cleanups.push(() => client.quit());
    let imap = { source: 'imap' as const, connected: false, lastError: 'connect ECONNREFUSED 127.0.0.1:1' as string | null };
    const admin = await startAdminServer({
      host: '127.0.0.1',
      port: 0,
      metrics: createMetrics({ processMetrics: false }),
      logger: silent,
      redis: client,
      probeKey: 'admintest:q:ready-probe',
      queues: [],
      dashboard: { user: 'admin' },
      mailbox: () => imap,
    });
    cleanups.push(() => admin.close());
    const res = await fetch(`${admin.url}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      status: 'not-ready',
      reasons: ['imap not connected (connect ECONNREFUSED 127.0.0.1:1)'],
      checks: { redis: 'ok', imap: 'not connected (connect ECONNREFUSED 127.0.0.1:1)' },
    });
    imap = { source: 'imap', connected: true, lastError: null };
    expect((await fetch(`${admin.url}/readyz`)).status).toBe(200);
  });

  it('without a password serves no dashboard and says so in the log', async () => {
    const client = new Redis(services().REDIS_URL!, { maxRetriesPerRequest: null });
    cleanups.push(() => client.quit());
    const queue = new Queue('resolve', { connection: client, prefix: `t${randomUUID().slice(0, 8)}:q` });
    cleanups.push(() => queue.close());
    const log = recordingLogger();
    const admin: AdminServer = await startAdminServer({
      host: '127.0.0.1',
      port: 0,
      metrics: createMetrics({ processMetrics: false }),
      logger: log.logger,
      redis: client,
      probeKey: 'admintest:q:ready-probe',
      queues: [queue],
      dashboard: { user: 'admin' },
    });
    cleanups.push(() => admin.close());
    for (const path of ['/admin/queues', '/admin/queues/api/queues']) {
      const res = await fetch(`${admin.url}${path}`, { headers: { authorization: basic('admin', '') } });
      expect(res.status).toBe(404);
      expect(await res.text()).not.toContain('resolve');
    }
    expect(log.text()).toContain('queue dashboard disabled: set ADMIN_PASSWORD');
  });
});

describe('admin server in the syncdesk commands', () => {
  it('a second process on the same admin port runs on without an admin server, and says why', async () => {
    const taken = createServer();
    const port = await new Promise<number>((resolve) => taken.listen(0, '127.0.0.1', () => resolve((taken.address() as { port: number }).port)));
    cleanups.push(() => new Promise((resolve) => taken.close(resolve)));
    const config = loadConfig({ REDIS_URL: services().REDIS_URL!, REDIS_PREFIX: `t${randomUUID().slice(0, 8)}`, ADMIN_PORT: String(port) });
    const log = recordingLogger();
    const runtime = await openRuntime(config, log.logger);
    cleanups.push(() => runtime.close());
    expect(await startAdmin(runtime, createMetrics({ processMetrics: false }))).toBeNull();
    expect(log.text()).toContain(`admin port ${port} is in use: no admin server in this process`);
    // ADMIN_PORT=0: off, on purpose
    const off = await openRuntime(loadConfig({ REDIS_URL: services().REDIS_URL!, ADMIN_PORT: '0' }), log.logger);
    cleanups.push(() => off.close());
    expect(await startAdmin(off, createMetrics({ processMetrics: false }))).toBeNull();
    expect(log.text()).toContain('admin server off (ADMIN_PORT=0)');
  });

  it('`syncdesk worker --admin-port` serves health, metrics and the dashboard (ADMIN_PASSWORD_FILE) and closes on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'syncdesk-admin-cli-'));
    writeFileSync(join(dir, 'admin-password'), 'correct horse\n');
    const port = await freePort();
    const cli = spawnCli(['worker', '--admin-port', String(port)], {
      REDIS_URL: services().REDIS_URL,
      REDIS_PREFIX: `t${randomUUID().slice(0, 8)}`,
      MAIL_STORE_DIR: join(dir, 'mail'),
      TICKET_DIR: join(dir, 'tickets'),
      ADMIN_PASSWORD_FILE: join(dir, 'admin-password'),
      LOG_LEVEL: 'info',
    });
    cleanups.push(() => cli.child.exitCode === null && cli.child.kill('SIGKILL'));
    const base = `http://127.0.0.1:${port}`;
    await until('the admin server', async () => (await fetch(`${base}/healthz`)).ok, 30_000);

    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { redis: 'ok' } });
    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await metrics.text();
    for (const queue of ['poll', 'resolve', 'ticket']) expect(sample(text, 'syncdesk_queue_jobs', { queue, state: 'failed' })).toBe(0);
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);

    expect((await fetch(`${base}/admin/queues`)).status).toBe(401);
    expect((await fetch(`${base}/admin/queues`, { headers: { authorization: basic('admin', 'wrong') } })).status).toBe(401);
    const api = await fetch(`${base}/admin/queues/api/queues`, { headers: { authorization: basic('admin', 'correct horse') } });
    expect(api.status).toBe(200);
    const names = ((await api.json()) as { queues: Array<{ name: string }> }).queues.map((q) => q.name).sort();
    expect(names).toEqual(['onprem', 'poll', 'resolve', 'ticket']);
    expect(cli.log()).not.toContain('correct horse');
    // the container's health check asks this server
    const healthcheck = () => spawnSync('node', ['bin/healthcheck.js'], { encoding: 'utf8', env: { ...process.env, ADMIN_PORT: String(port) } });
    expect(healthcheck().status).toBe(0);

    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
    const gone = healthcheck();
    expect(gone.status).toBe(1);
    expect(gone.stderr).toContain(`healthcheck: http://127.0.0.1:${port}/healthz: ECONNREFUSED`);
    // the admin server off on purpose: nothing to ask, so not unhealthy
    expect(spawnSync('node', ['bin/healthcheck.js'], { encoding: 'utf8', env: { ...process.env, ADMIN_PORT: '0' } }).status).toBe(0);
  });

  it('`syncdesk listen` is ready only while its IMAP session is up', async () => {
    const s = services();
    const dir = mkdtempSync(join(tmpdir(), 'syncdesk-admin-listen-'));
    // a mailbox of its own: the listener must not touch other tests' mail
    const mailbox = `admin-${randomUUID().slice(0, 8)}`;
    const imapAdmin = new ImapFlow({ host: s.IMAP_HOST!, port: Number(s.IMAP_PORT), secure: false, doSTARTTLS: false, auth: { user: s.IMAP_USER!, pass: s.IMAP_PASSWORD! }, logger: false });
    imapAdmin.on('error', () => undefined);
    await imapAdmin.connect();
    await imapAdmin.mailboxCreate(mailbox);
    await imapAdmin.logout();
    const common = {
      REDIS_URL: s.REDIS_URL,
      REDIS_PREFIX: `t${randomUUID().slice(0, 8)}`,
      IMAP_HOST: s.IMAP_HOST,
      IMAP_SECURE: 'true',
      IMAP_TLS_CA: s.IMAP_TLS_CA,
      IMAP_USER: s.IMAP_USER,
      IMAP_PASSWORD: s.IMAP_PASSWORD,
      IMAP_MAILBOX: mailbox,
      IMAP_PROCESSED_FOLDER: `${mailbox}-done`,
      MAIL_STORE_DIR: join(dir, 'mail'),
      LOG_LEVEL: 'info',
    };
    const good = await freePort();
    const up = spawnCli(['listen', '--admin-port', String(good)], { ...common, IMAP_PORT: s.IMAP_TLS_PORT });
    cleanups.push(() => up.child.exitCode === null && up.child.kill('SIGKILL'));
    const ok = await until('readyz 200', async () => {
      const res = await fetch(`http://127.0.0.1:${good}/readyz`);
      return res.status === 200 ? await res.json() : undefined;
    });
    expect(ok).toEqual({ status: 'ready', checks: { redis: 'ok', imap: 'ok' } });

    // nothing listens on this port: the listener keeps retrying, the process is alive but not ready
    const bad = await freePort();
    const nowhere = await freePort();
    const down = spawnCli(['listen', '--admin-port', String(bad)], { ...common, IMAP_PORT: String(nowhere) });
    cleanups.push(() => down.child.exitCode === null && down.child.kill('SIGKILL'));
    await until('the admin server', async () => (await fetch(`http://127.0.0.1:${bad}/healthz`)).ok);
    const res = await fetch(`http://127.0.0.1:${bad}/readyz`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { reasons: string[]; checks: Record<string, string> };
    expect(body.checks.redis).toBe('ok');
    expect(body.reasons).toHaveLength(1);
    expect(body.reasons[0]).toMatch(/^imap not connected/);

    up.child.kill('SIGTERM');
    down.child.kill('SIGTERM');
    expect(await up.exited).toBe(0);
    expect(await down.exited).toBe(0);
  });
});
