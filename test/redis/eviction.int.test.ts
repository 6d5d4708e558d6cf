import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { checkRedis } from '../../src/doctor/redis-check.ts';
import { outOfMemoryFix, warnIfEvicting } from '../../src/redis/eviction.ts';
import { syncdesk } from '../e2e/helpers.ts';
import { freePorts } from '../helpers/ports.ts';
import { tempDir, until } from '../prove/helpers.ts';

/**
 * A Redis that evicts keys (maxmemory-policy allkeys-lru, as a cache is set up) loses queued
 * jobs and ticket state: a long-running command says so once in its own log (blind test 25
 * found only BullMQ's plain-text line). A redis-server of this file's own, on loopback.
 */

let server: ChildProcess;
let client: Redis;
let port: number;

beforeAll(async () => {
  [port] = await freePorts(1) as [number];
  server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'allkeys-lru'], { stdio: 'ignore' });
  client = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  client.on('error', () => undefined); // refused until the server is up
  await until('redis-server to answer', async () => (await client.ping().catch(() => '')) === 'PONG', 10_000, 50);
});

afterAll(() => {
  client.disconnect();
  server.kill();
});

function captured(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { logger, lines };
}

describe('a Redis that evicts keys', () => {
  it('is said in one structured warning with the policy and the fix; noeviction says nothing', async () => {
    const evicting = captured();
    await warnIfEvicting(client, evicting.logger);
    expect(evicting.lines).toEqual([expect.objectContaining({ level: 40, action: 'redis-eviction', policy: 'allkeys-lru', msg: expect.stringContaining('set maxmemory-policy noeviction') })]);
    await client.config('SET', 'maxmemory-policy', 'noeviction');
    const safe = captured();
    await warnIfEvicting(client, safe.logger);
    expect(safe.lines).toEqual([]);
  });
});

describe('a Redis out of memory (blind54 E4)', () => {
  it('doctor fails where used memory is near maxmemory, naming both and the fix; with room it passes', async () => {
    await client.config('SET', 'maxmemory-policy', 'noeviction');
    const used = Number(/^used_memory:(\d+)/m.exec(await client.info('memory'))![1]);
    await client.config('SET', 'maxmemory', String(used + 50_000));
    const config = loadConfig({ REDIS_URL: `redis://127.0.0.1:${port}` });
    const full = await checkRedis(config);
    expect(full).toMatchObject({ ok: false, detail: expect.stringMatching(/uses [\d.]+ MB of its maxmemory [\d.]+ MB: writes are refused \(OOM\) when it is reached/), fix: expect.stringContaining('raise maxmemory') });
    await client.config('SET', 'maxmemory', '0');
    expect(await checkRedis(config)).toMatchObject({ ok: true });
  });

  it("a command Redis refused for memory says what to do under Redis's own words", async () => {
    await client.config('SET', 'maxmemory', '1');
    try {
      const dir = tempDir('oom');
      const r = await syncdesk(['replay', 'examples/01-contoso-duplicate-upn-proxy-federated.eml'], { REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_PREFIX: 'oom', TICKET_SINK: 'file', TICKET_DIR: join(dir, 'tickets'), MAIL_STORE_DIR: join(dir, 'mail') });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/syncdesk: (OOM command not allowed|EXECABORT)[^\n]*\n  Redis is out of memory \(its maxmemory is reached\) and refuses writes: raise maxmemory/);
    } finally {
      await client.config('SET', 'maxmemory', '0');
    }
    expect(outOfMemoryFix(new Error('ERR unknown command'))).toBeNull();
  }, 60_000);
});
