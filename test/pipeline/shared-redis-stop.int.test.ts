import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isProcessAlive } from '../../src/redis/embedded-redis.ts';
import { runCli, spawnCli, tempDir, until, type CliChild } from '../prove/helpers.ts';
import { readTickets } from './helpers.ts';

/**
 * The embedded Redis is shared by every syncdesk process of its folder: the one that
 * started it may stop while another works on, and the last one to stop takes it down (no
 * orphan redis-server). SIGTERM ends `syncdesk start` within SHUTDOWN_TIMEOUT_SECONDS even
 * when a job hangs. Real child processes, as a supervisor runs them.
 */

const children: CliChild[] = [];
let silent: Server | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const c of children.splice(0)) await c.kill('SIGKILL');
  for (const s of sockets.splice(0)) s.destroy();
  await new Promise<void>((r) => (silent ? silent.close(() => r()) : r()));
  silent = undefined;
});

const SAMPLE = 'examples/03-fabrikam-quota-exceeded.eml';

/** A syncdesk process on the embedded Redis of `dir` (no REDIS_URL), file desk, trusting the samples. */
function embeddedEnv(dir: string, extra: Record<string, string> = {}): Record<string, string | undefined> {
  return {
    REDIS_URL: undefined,
    SYNCDESK_REDIS_DIR: join(dir, 'redis'),
    MAIL_STORE_DIR: join(dir, 'mail'),
    TICKET_SINK: 'file',
    TICKET_DIR: join(dir, 'tickets'),
    TRUST_POLICY: 'off',
    LOG_LEVEL: 'info',
    ...extra,
  };
}

function start(env: Record<string, string | undefined>): CliChild {
  const child = spawnCli(['start', '--no-listen'], env);
  children.push(child);
  return child;
}

async function exitOf(child: CliChild): Promise<{ code: number | null; ms: number }> {
  const t0 = Date.now();
  child.proc.kill('SIGTERM');
  await until('the process to exit', async () => child.exited(), 60_000, 20);
  return { code: child.proc.exitCode, ms: Date.now() - t0 };
}

const redisPid = (dir: string) => (JSON.parse(readFileSync(join(dir, 'redis', 'runtime.json'), 'utf8')) as { pid: number }).pid;

describe('the embedded Redis between processes', () => {
  it('outlives the process that started it while another works, and stops with the last one', async () => {
    const dir = tempDir('shared');
    const env = embeddedEnv(dir);
    const first = start(env);
    await first.waitFor('syncdesk started', 60_000);
    expect(first.output()).toContain('embedded Redis started');
    const second = start(env);
    await second.waitFor('syncdesk started', 60_000);
    const pid = redisPid(dir);

    // the starter goes away: the server stays for the second process
    expect((await exitOf(first)).code).toBe(0);
    expect(isProcessAlive(pid)).toBe(true);

    // ... which still does its work: a replayed report becomes tickets through its workers
    const replay = await runCli(['replay', SAMPLE], env);
    expect(replay.code).toBe(0);
    await until('the tickets written by the second process', async () => readTickets(join(dir, 'tickets')).length > 0, 60_000);
    expect(second.output()).not.toMatch(/redis connection error/);

    // the last process using it stops it: no orphan redis-server
    expect((await exitOf(second)).code).toBe(0);
    await until('redis-server to stop', async () => !isProcessAlive(pid), 15_000);
    expect(readdirSync(join(dir, 'redis', 'clients'))).toEqual([]);
  }, 180_000);

  it('SIGTERM ends `syncdesk start` within the deadline while a job hangs, exit 1, and the Redis it started goes too', async () => {
    // a service desk that accepts the connection and never answers
    let connections = 0;
    silent = createServer((socket) => {
      connections++;
      sockets.push(socket);
    });
    await new Promise<void>((r) => silent!.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as { port: number }).port;
    const dir = tempDir('deadline');
    const env = embeddedEnv(dir, {
      TICKET_SINK: 'rt',
      RT_URL: `http://127.0.0.1:${port}`,
      RT_TOKEN: 'token',
      SHUTDOWN_TIMEOUT_SECONDS: '3',
    });
    const child = start(env);
    await child.waitFor('syncdesk started', 60_000);
    const pid = redisPid(dir);
    expect((await runCli(['replay', SAMPLE], env)).code).toBe(0);
    await until('the ticket job to call the desk', async () => connections > 0, 60_000);

    const { code, ms } = await exitOf(child);
    expect(code).toBe(1);
    expect(ms).toBeGreaterThanOrEqual(2_500);
    expect(ms).toBeLessThan(10_000);
    expect(child.output()).toContain('shutdown did not finish within 3 s');
    await until('redis-server to stop', async () => !isProcessAlive(pid), 15_000);
  }, 180_000);
});
