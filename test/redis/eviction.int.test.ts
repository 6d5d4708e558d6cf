import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { warnIfEvicting } from '../../src/redis/eviction.ts';
import { freePorts } from '../helpers/ports.ts';
import { until } from '../prove/helpers.ts';

/**
 * A Redis that evicts keys (maxmemory-policy allkeys-lru, as a cache is set up) loses queued
 * jobs and ticket state: a long-running command says so once in its own log (blind test 25
 * found only BullMQ's plain-text line). A redis-server of this file's own, on loopback.
 */

let server: ChildProcess;
let client: Redis;

beforeAll(async () => {
  const [port] = await freePorts(1);
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
