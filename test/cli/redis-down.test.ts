import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * With Redis down, every command that needs Redis (the one-shot ones an admin reaches for
 * first, a replay, the long-running ones) answers with where it looked, instead of hanging
 * on retries or printing raw connection errors. Port 1 on loopback: nothing listens there.
 */

const BIN = resolve('bin/syncdesk.js');
const MAIL = resolve('examples/01-contoso-duplicate-upn-proxy-federated.eml');

describe('Redis unreachable', () => {
  it.each(['status', 'failed list', 'quarantine list', `replay ${MAIL}`, 'start --admin-port 0', 'worker --admin-port 0'])(
    '`syncdesk %s` says "Redis unreachable at …" and exits 1',
    (command) => {
      const r = spawnSync(process.execPath, [BIN, ...command.split(' ')], {
        encoding: 'utf8',
        // a command that wrongly got past Redis writes its folders here, not in the repository
        cwd: mkdtempSync(join(tmpdir(), 'syncdesk-redis-down-')),
        // far above the 5 s the command waits: a hang fails here (SIGKILL: a daemon would wait out its shutdown)
        timeout: 45_000,
        killSignal: 'SIGKILL',
        env: { ...process.env, REDIS_URL: 'redis://127.0.0.1:1', LOG_LEVEL: 'error', NO_COLOR: '1' },
      });
      expect(r.signal, 'the command hung').toBeNull();
      expect(r.status).toBe(1);
      expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^syncdesk: Redis unreachable at redis:\/\/127\.0\.0\.1:1 \(connect ECONNREFUSED 127\.0\.0\.1:1\) after 5 s: start it, or check REDIS_URL$/);
      expect(r.stderr).not.toMatch(/TCPConnectWrap|errno/);
    },
  );
});
