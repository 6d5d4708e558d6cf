import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { isProcessAlive, startEmbeddedRedis, type EmbeddedRedis } from '../../src/redis/embedded-redis.ts';

const started: EmbeddedRedis[] = [];
const clients: Redis[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  for (const r of started.splice(0)) await r.stop();
});

async function start(dir: string, env?: NodeJS.ProcessEnv): Promise<EmbeddedRedis> {
  const r = await startEmbeddedRedis({ dir, env });
  started.push(r);
  return r;
}

function client(url: string): Redis {
  const c = new Redis(url, { maxRetriesPerRequest: 1 });
  c.on('error', () => undefined); // the crash test kills the server under this client
  clients.push(c);
  return c;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('embedded Redis', () => {
  it('starts a private redis-server on loopback with append-only data in its folder, and reuses it', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'syncdesk-redis-')), 'redis');
    const first = await start(dir);
    expect(first.startedHere).toBe(true);
    expect(first.url).toMatch(/^redis:\/\/:[0-9a-f]{48}@127\.0\.0\.1:\d+$/);
    const c = client(first.url);
    // loopback is every local user's: without the password (in runtime.json, 0600) nothing is read
    const stranger = client(`redis://127.0.0.1:${first.port}`);
    await expect(stranger.get('anything')).rejects.toThrow(/NOAUTH/);
    expect(statSync(join(dir, 'runtime.json')).mode & 0o077).toBe(0);
    expect(statSync(join(dir, 'redis.conf')).mode & 0o077).toBe(0);
    expect(statSync(dir).mode & 0o077).toBe(0);
    expect(await c.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    expect(await c.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
    expect(await c.config('GET', 'bind')).toEqual(['bind', '127.0.0.1']);
    expect(await c.config('GET', 'dir')).toEqual(['dir', join(dir, 'data')]);
    // its data and log: the owner's alone, whatever the umask (blind67 P6)
    await c.set('k', 'v');
    const dataFiles = readdirSync(join(dir, 'data'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    expect(dataFiles.length).toBeGreaterThan(0);
    for (const f of dataFiles) expect(statSync(join(f.parentPath, f.name)).mode & 0o077).toBe(0);
    expect(statSync(join(dir, 'redis.log')).mode & 0o077).toBe(0);

    // a second syncdesk process for the same folder finds the running server
    const second = await start(dir);
    expect(second.startedHere).toBe(false);
    expect(second.pid).toBe(first.pid);
    expect(second.port).toBe(first.port);
    await second.stop(); // the first handle still uses it: must not stop it
    expect(await c.ping()).toBe('PONG');

    await first.stop(); // the last one to leave
    expect(isProcessAlive(first.pid)).toBe(false);
  });

  it('never starts a second server on the same data: a deleted or changed runtime.json is written again from the running one; one that answers neither way is named, with how to stop it (blind43 D2)', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'syncdesk-redis-')), 'redis');
    const first = await start(dir);
    await client(first.url).set('kept', 'yes');
    rmSync(join(dir, 'runtime.json'));
    const again = await start(dir);
    expect(again).toMatchObject({ startedHere: false, pid: first.pid, port: first.port });
    expect(JSON.parse(readFileSync(join(dir, 'runtime.json'), 'utf8'))).toMatchObject({ port: first.port, pid: first.pid });
    // a password changed by hand in runtime.json: the server's own redis.conf still opens it
    const file = JSON.parse(readFileSync(join(dir, 'runtime.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(dir, 'runtime.json'), JSON.stringify({ ...file, password: 'changed-by-hand' }));
    const third = await start(dir);
    expect(third.pid).toBe(first.pid);
    expect(await client(third.url).get('kept')).toBe('yes');
    // neither answers (redis.conf lost too): no second server, an error that names the running one
    rmSync(join(dir, 'runtime.json'));
    rmSync(join(dir, 'redis.conf'));
    await expect(startEmbeddedRedis({ dir })).rejects.toThrow(`an embedded Redis runs on ${dir} (redis-server, pid ${first.pid})`);
    expect(readdirSync(dir).filter((f) => f === 'runtime.json')).toEqual([]);
  });

  it('keeps its data across a clean stop and across a crash', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'syncdesk-redis-')), 'redis');
    const a = await start(dir);
    await client(a.url).set('syncdesk:test:clean', 'kept');
    await a.stop();

    const b = await start(dir);
    expect(b.startedHere).toBe(true);
    const cb = client(b.url);
    expect(await cb.get('syncdesk:test:clean')).toBe('kept');
    await cb.set('syncdesk:test:crash', 'kept too');
    await sleep(1500); // appendfsync everysec: a write older than a second is on disk
    process.kill(b.pid, 'SIGKILL');
    for (let i = 0; i < 100 && isProcessAlive(b.pid); i++) await sleep(50);
    expect(isProcessAlive(b.pid)).toBe(false);

    const c = await start(dir);
    expect(c.startedHere).toBe(true);
    expect(c.pid).not.toBe(b.pid);
    expect(await client(c.url).get('syncdesk:test:crash')).toBe('kept too');
    expect(existsSync(join(dir, 'data'))).toBe(true);
  });

  it("starts from a backup put back as the README says (dump.rdb in data/, the append-only files removed), then keeps append-only (blind43 D6)", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'syncdesk-redis-')), 'redis');
    const a = await start(dir);
    const ca = client(a.url);
    await ca.set('syncdesk:test:backed-up', 'yes');
    // the backup: BGSAVE, then a copy of the dump.rdb it wrote
    const before = await ca.lastsave();
    await ca.bgsave();
    for (let i = 0; i < 100 && (await ca.lastsave()) === before; i++) await sleep(50);
    const backup = join(dir, '..', 'backup.rdb');
    copyFileSync(join(dir, 'data', 'dump.rdb'), backup);
    await ca.set('syncdesk:test:after-backup', 'yes');
    await a.stop();

    // the restore: every syncdesk process stopped, the append-only files removed, the backup put back
    rmSync(join(dir, 'data', 'appendonlydir'), { recursive: true, force: true });
    copyFileSync(backup, join(dir, 'data', 'dump.rdb'));
    const b = await start(dir);
    const cb = client(b.url);
    expect(await cb.get('syncdesk:test:backed-up')).toBe('yes');
    expect(await cb.get('syncdesk:test:after-backup')).toBeNull();
    expect(await cb.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    await cb.set('syncdesk:test:after-restore', 'yes');
    await sleep(1500); // appendfsync everysec
    await b.stop();

    // an ordinary start after it: the append-only files hold the restored data and what came after
    const c = await start(dir);
    const cc = client(c.url);
    expect(await cc.mget('syncdesk:test:backed-up', 'syncdesk:test:after-backup', 'syncdesk:test:after-restore')).toEqual(['yes', null, 'yes']);
  }, 60_000);

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`stops its server when a process with no handler of its own ends on ${signal} (an interrupted replay: blind35 S6)`, async () => {
      const dir = join(mkdtempSync(join(tmpdir(), 'syncdesk-redis-')), 'redis');
      const script = `import { startEmbeddedRedis } from ${JSON.stringify(new URL('../../src/redis/embedded-redis.ts', import.meta.url).href)};
const r = await startEmbeddedRedis({ dir: ${JSON.stringify(dir)} });
console.log(JSON.stringify({ pid: r.pid }));
setInterval(() => undefined, 1000);`;
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      const pid = await new Promise<number>((resolve, reject) => {
        child.stdout.once('data', (d: Buffer) => resolve((JSON.parse(String(d)) as { pid: number }).pid));
        child.once('exit', (code) => reject(new Error(`exited ${code} before starting its server`)));
      });
      expect(isProcessAlive(pid)).toBe(true);
      child.kill(signal);
      const ended = await new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, s) => resolve(s)));
      expect(ended).toBe(signal);
      for (let i = 0; i < 100 && isProcessAlive(pid); i++) await sleep(100);
      expect(isProcessAlive(pid)).toBe(false);
    }, 60_000);
  }

  it('names the package to install when redis-server is missing', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'syncdesk-redis-')), 'redis');
    await expect(start(dir, { PATH: '/nonexistent' })).rejects.toThrow(/apt-get install redis-server/);
  });
});
