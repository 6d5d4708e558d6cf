import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { TransientError } from '../../src/errors.ts';
import { backoffStrategy, chunkErrors, jobIds } from '../../src/queues.ts';
import { queuePrefix, redisTarget } from '../../src/redis/connection.ts';
import { failureCode } from '../../src/app/run-worker.ts';
import type { SyncError } from '../../schemas/report.schema.ts';

const err = (i: number): SyncError => ({
  category: 'DuplicateAttribute',
  errorCode: null,
  identity: `u${i}@x.com`,
  objectType: null,
  onPremisesObjectId: null,
  attributes: [],
  message: 'm',
  fingerprint: i.toString(16).padStart(32, '0'),
});

describe('job ids', () => {
  it('are the same for the same content, differ otherwise, and never contain a colon', () => {
    const fps = ['a'.repeat(32), 'b'.repeat(32)];
    expect(jobIds.report('<r1@x>', fps)).toBe(jobIds.report('<r1@x>', [...fps].reverse()));
    expect(jobIds.report('<r1@x>', fps)).not.toBe(jobIds.report('<r2@x>', fps));
    expect(jobIds.report('<r1@x>', fps)).not.toBe(jobIds.report('<r1@x>', fps.slice(0, 1)));
    expect(jobIds.resolve('<r1@x>', fps)).not.toBe(jobIds.resolve('<r1@x>', fps.slice(1)));
    for (const id of [jobIds.report('a:b:c', fps), jobIds.resolve('a:b', fps)]) expect(id).not.toContain(':');
  });
});

describe('chunkErrors', () => {
  it('splits a report into chunks of at most 50, in order, losing nothing', () => {
    const errors = Array.from({ length: 123 }, (_, i) => err(i));
    const chunks = chunkErrors(errors);
    expect(chunks.map((c) => c.length)).toEqual([50, 50, 23]);
    expect(chunks.flat()).toEqual(errors);
    expect(chunkErrors([])).toEqual([]);
  });
});

describe('backoffStrategy', () => {
  it('waits what the server asked for when a TransientError carries retryAfterMs', () => {
    expect(backoffStrategy(1, 'syncdesk', new TransientError('429', 'throttled', 7_000))).toBe(7_000);
  });
  it('grows exponentially with jitter otherwise, capped at 15 minutes', () => {
    for (let attempt = 1; attempt <= 6; attempt++) {
      const max = 2_000 * 2 ** (attempt - 1);
      const d = backoffStrategy(attempt, 'syncdesk', new Error('boom')) as number;
      expect(d).toBeGreaterThanOrEqual(max / 2);
      expect(d).toBeLessThanOrEqual(max);
    }
    expect(backoffStrategy(30, 'syncdesk', new Error('boom'))).toBeLessThanOrEqual(15 * 60_000);
  });
});

describe('redis target', () => {
  it('is embedded without REDIS_URL, Sentinel or Cluster settings', () => {
    expect(redisTarget(loadConfig({}).redis)).toEqual({ kind: 'embedded', dir: '.syncdesk/redis' });
    expect(redisTarget(loadConfig({ REDIS_URL: 'redis://10.0.0.1:6380/2' }).redis)).toEqual({ kind: 'url', url: 'redis://10.0.0.1:6380/2' });
  });
  it('reads Sentinel and Cluster nodes from the environment', () => {
    const s = redisTarget(loadConfig({ REDIS_SENTINELS: 's1:26379, s2', REDIS_SENTINEL_NAME: 'mymaster', REDIS_PASSWORD: 'pw' }).redis);
    expect(s).toEqual({ kind: 'sentinel', name: 'mymaster', password: 'pw', sentinels: [{ host: 's1', port: 26379 }, { host: 's2', port: 26379 }] });
    const c = loadConfig({ REDIS_CLUSTER_NODES: 'n1:7000,n2:7001' }).redis;
    expect(redisTarget(c)).toMatchObject({ kind: 'cluster', nodes: [{ host: 'n1', port: 7000 }, { host: 'n2', port: 7001 }] });
    // a cluster needs each queue's keys in one slot: the prefix becomes a hash tag
    expect(queuePrefix(c)).toBe('{syncdesk}:q');
    expect(queuePrefix(loadConfig({}).redis)).toBe('syncdesk:q');
  });
  it('rejects Sentinels without a master name', () => {
    expect(() => loadConfig({ REDIS_SENTINELS: 's1' })).toThrow(/REDIS_SENTINEL_NAME/);
  });
});

describe('failureCode', () => {
  it('reads the code a failed job carries in its reason', () => {
    expect(failureCode('[bad-payload] invalid parse job payload')).toBe('bad-payload');
    expect(failureCode('connection reset')).toBeNull();
  });
});

describe('worker roles (`--queues`)', () => {
  it('takes poll, resolve and ticket; `parse`, the old name of the poll queue, still starts the poll', async () => {
    const { parseRoles } = await import('../../src/app/workers.ts');
    expect(parseRoles('resolve, ticket')).toEqual(['resolve', 'ticket']);
    expect(parseRoles('parse,resolve,ticket')).toEqual(['poll', 'resolve', 'ticket']);
    expect(parseRoles('parse,poll')).toEqual(['poll']);
    expect(() => parseRoles('resolve,tickets')).toThrow(/unknown queue\(s\) tickets: choose from poll, resolve, ticket/);
  });
});
