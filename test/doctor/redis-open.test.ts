import { describe, expect, it } from 'vitest';
import { openTo } from '../../src/doctor/redis-check.ts';

describe('doctor: a Redis that lets anyone in', () => {
  it('names a server off this machine reached without a password (the ticket state names people)', () => {
    expect(openTo({ kind: 'url', url: 'redis://redis:6379' })).toBe('redis');
    expect(openTo({ kind: 'url', url: 'rediss://cache.internal.example:6380/2' })).toBe('cache.internal.example');
    expect(openTo({ kind: 'cluster', nodes: [{ host: '10.0.0.5', port: 7000 }], password: undefined })).toBe('10.0.0.5');
  });

  it('says nothing of one with a password, or one only this machine reaches', () => {
    expect(openTo({ kind: 'url', url: 'redis://:s3cret@redis:6379' })).toBeNull();
    expect(openTo({ kind: 'url', url: 'redis://syncdesk:s3cret@redis:6379' })).toBeNull();
    for (const host of ['127.0.0.1', 'localhost', '[::1]']) expect(openTo({ kind: 'url', url: `redis://${host}:6379` }), host).toBeNull();
    expect(openTo({ kind: 'cluster', nodes: [{ host: '10.0.0.5', port: 7000 }], password: 'x' })).toBeNull();
  });
});
