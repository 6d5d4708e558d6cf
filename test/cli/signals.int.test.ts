import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startEmbeddedRedis } from '../../src/redis/embedded-redis.ts';
import { services } from '../helpers/services.ts';

/**
 * A long-running command stops the same way on SIGHUP (a closed terminal, `kill -HUP`) as on
 * SIGTERM: it says so, lets running jobs finish, says it stopped, exits 0 (blind test 18: SIGHUP
 * ended it at once, exit 129, without a line).
 */
describe('syncdesk worker and signals', () => {
  for (const signal of ['SIGHUP', 'SIGTERM'] as const) {
    it(`stops gracefully on ${signal}, with a line when it starts stopping and one when it has stopped`, async () => {
      const child = spawn('node', ['bin/syncdesk.js', 'worker'], {
        env: { ...process.env, REDIS_URL: services().REDIS_URL!, REDIS_PREFIX: `s${randomUUID().slice(0, 8)}`, ADMIN_PORT: '0', LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let log = '';
      child.stdout.on('data', (d: Buffer) => (log += d.toString()));
      child.stderr.on('data', (d: Buffer) => (log += d.toString()));
      const end = Date.now() + 30_000;
      while (!log.includes('"workers ready"') && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
      expect(log).toContain('"workers ready"');
      child.kill(signal);
      const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
      expect(code).toBe(0);
      expect(log).toContain(`"signal":"${signal}","msg":"stopping: letting running jobs finish"`);
      expect(log).toContain(`"signal":"${signal}","msg":"stopped"`);
    }, 60_000);
  }

  it('stops at once on SIGTERM while its Redis is gone, instead of waiting out the shutdown deadline (verify25 N6: it sat 30 s)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'syncdesk-signals-'));
    const redis = await startEmbeddedRedis({ dir: join(dir, 'redis') });
    const child = spawn('node', ['bin/syncdesk.js', 'worker'], {
      env: { ...process.env, REDIS_URL: redis.url, ADMIN_PORT: '0', LOG_LEVEL: 'info', TICKET_DIR: join(dir, 'tickets'), MAIL_STORE_DIR: join(dir, 'mail') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    const end = Date.now() + 30_000;
    while (!log.includes('"workers ready"') && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    expect(log).toContain('"workers ready"');
    await redis.stop();
    while (!log.includes('redis connection error') && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    const stopping = Date.now();
    child.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 20_000))]);
    if (code === 'hung') child.kill('SIGKILL');
    expect(code).toBe(0);
    expect(Date.now() - stopping).toBeLessThan(10_000);
    expect(log).toContain('Redis unreachable: stopping without waiting for running jobs');
  }, 60_000);

  it('a long-running command that cannot start for its configuration (a desk not configured, no mailbox for listen) exits 78 (EX_CONFIG: systemd does not restart it) at once, leaving nothing running (blind test 25: it hung with its Redis connections open)', async () => {
    for (const [command, said] of [
      ['start', 'syncdesk: rt: RT_URL and RT_TOKEN are required'],
      ['worker', 'syncdesk: rt: RT_URL and RT_TOKEN are required'],
      ['listen', 'IMAP is not configured'],
    ] as const) {
      const child = spawn('node', ['bin/syncdesk.js', command], {
        env: { ...process.env, REDIS_URL: services().REDIS_URL!, REDIS_PREFIX: `s${randomUUID().slice(0, 8)}`, ADMIN_PORT: '0', TICKET_SINK: 'rt', IMAP_HOST: '', MAIL_SOURCE: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let log = '';
      child.stderr.on('data', (d: Buffer) => (log += d.toString()));
      const started = Date.now();
      const code = await Promise.race([new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c))), new Promise<'hung'>((r) => setTimeout(() => r('hung'), 20_000))]);
      if (code === 'hung') child.kill('SIGKILL');
      expect({ command, code }).toEqual({ command, code: 78 });
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(log).toContain(said);
    }
  }, 90_000);
});
