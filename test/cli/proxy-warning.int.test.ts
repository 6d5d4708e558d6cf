import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { services } from '../helpers/services.ts';

/**
 * A service started with HTTPS_PROXY but without NODE_USE_ENV_PROXY=1 sends its Graph lookups
 * around the proxy: every lookup fails where only the proxy reaches the internet. It says so
 * as it starts (doctor's proxy row, src/doctor/proxy-check.ts), with the proxy's password hidden.
 */
async function workerLog(env: Record<string, string>): Promise<string> {
  // the flag only as `env` gives it, never from the test's own environment
  const { NODE_USE_ENV_PROXY: _own, ...base } = process.env;
  const childEnv: NodeJS.ProcessEnv = { ...base, REDIS_URL: services().REDIS_URL!, REDIS_PREFIX: `p${randomUUID().slice(0, 8)}`, ADMIN_PORT: '0', LOG_LEVEL: 'info', ...env };
  const child = spawn('node', ['bin/syncdesk.js', 'worker'], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const end = Date.now() + 30_000;
  while (!log.includes('"workers ready"') && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  expect(log).toContain('"workers ready"');
  return log;
}

describe('syncdesk behind a proxy', () => {
  it('warns as it starts when Graph lookups would go around HTTPS_PROXY, and not when Node follows it', async () => {
    const proxy = { HTTPS_PROXY: 'http://svc:pr0xy-secret@127.0.0.1:9', NO_PROXY: 'localhost' };
    const around = await workerLog(proxy);
    expect(around).toContain('"action":"proxy"');
    expect(around).toContain("sign-in and the desks follow it, but Graph lookups (Node's fetch) go around it in this process");
    expect(around).toContain('NODE_USE_ENV_PROXY=1');
    expect(around).not.toContain('pr0xy-secret');
    expect(await workerLog({ ...proxy, NODE_USE_ENV_PROXY: '1' })).not.toContain('"action":"proxy"');
  }, 90_000);
});
