import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * With Redis down, the one-shot commands an admin reaches for first (`status`, `failed
 * list`) answer with where they looked, instead of hanging on retries or printing raw
 * connection errors. Port 1 on loopback: nothing listens there.
 */

const BIN = resolve('bin/syncdesk.js');

describe('Redis unreachable', () => {
  it.each(['status', 'failed list'])('`syncdesk %s` says "Redis unreachable at …" and exits 1', (command) => {
    const r = spawnSync(process.execPath, [BIN, ...command.split(' ')], {
      encoding: 'utf8',
      // far above the 5 s the command waits: a hang fails here
      timeout: 45_000,
      env: { ...process.env, REDIS_URL: 'redis://127.0.0.1:1', LOG_LEVEL: 'error', NO_COLOR: '1' },
    });
    expect(r.signal, 'the command hung').toBeNull();
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^syncdesk: Redis unreachable at redis:\/\/127\.0\.0\.1:1 \(connect ECONNREFUSED 127\.0\.0\.1:1\) after 5 s: start it, or check REDIS_URL$/);
    expect(r.stderr).not.toMatch(/TCPConnectWrap|errno/);
  });
});
