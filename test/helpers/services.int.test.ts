import { describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { services } from './services.ts';

describe('test services', () => {
  it('gives every integration test a real Redis, Dovecot and RT on loopback', async () => {
    const env = services();
    const redis = new Redis(env.REDIS_URL!);
    try {
      expect(await redis.ping()).toBe('PONG');
    } finally {
      redis.disconnect();
    }
    const rt = await fetch(`${env.RT_REST2_URL}/rt`, { headers: { Authorization: `token ${env.RT_TOKEN}` } });
    expect(rt.status).toBe(200);
    expect(env.IMAP_HOST).toBe('127.0.0.1');
  });
});
