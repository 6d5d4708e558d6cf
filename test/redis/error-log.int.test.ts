import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { throttle } from '../../src/log-throttle.ts';
import { createLogger } from '../../src/logger.ts';
import { openRedis } from '../../src/redis/connection.ts';
import { services } from '../helpers/services.ts';

/**
 * While Redis is down, every client reports each failed reconnect (blind test 18: ~7 lines a
 * second, ~25,000 an hour): the log keeps the first and then one line per interval saying how
 * many it held back.
 */
describe('repeating Redis errors', () => {
  it('are logged once per interval, with how many were held back', async () => {
    const out = new PassThrough();
    const lines: Array<{ msg: string; heldBack?: number }> = [];
    out.on('data', (chunk: Buffer) => {
      for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l) as { msg: string; heldBack?: number });
    });
    const handle = await openRedis(loadConfig({ REDIS_URL: services().REDIS_URL! }), createLogger({ level: 'warn', destination: out }));
    try {
      for (let i = 0; i < 200; i++) handle.client.emit('error', new Error('connect ECONNREFUSED 127.0.0.1:6379'));
      await new Promise((r) => setImmediate(r));
      const errors = lines.filter((l) => l.msg === 'redis connection error');
      expect(errors).toEqual([expect.objectContaining({ heldBack: 0 })]);
    } finally {
      await handle.close();
    }
  });

  it('throttle: the first call emits, later ones within the interval are counted and reported with the next emit', () => {
    let now = 0;
    const emitted: number[] = [];
    const warn = throttle(1000, () => now);
    for (const t of [0, 10, 500, 999, 1000, 1500, 2500]) {
      now = t;
      warn((held) => emitted.push(held));
    }
    expect(emitted).toEqual([0, 3, 1]);
  });
});
