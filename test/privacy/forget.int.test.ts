import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSnapshot } from '../../src/resolve/snapshot/snapshot-format.ts';
import { fileDeskEnv } from '../cli/replay-env.ts';
import { readTickets } from '../pipeline/helpers.ts';
import { runCli, tempDir, uid } from '../prove/helpers.ts';
import { services } from '../helpers/services.ts';

/**
 * `syncdesk forget`, as an admin answering an erasure request runs it: after the sample
 * reports went through, one person is listed everywhere syncdesk keeps them, forgotten with
 * --yes, and nothing else is lost: the other problems, their tickets, a replay.
 */

let redis: Redis;
beforeAll(() => {
  redis = new Redis(services().REDIS_URL!, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  await redis.quit();
});

/** Every key under the prefix whose name or value holds `text` (a plain search, apart from the command's own). */
async function redisHolding(prefix: string, text: string): Promise<string[]> {
  const out: string[] = [];
  for (const key of await redis.keys(`${prefix}:*`)) {
    const type = await redis.type(key);
    const values =
      type === 'string' ? [await redis.get(key)]
      : type === 'hash' ? Object.values(await redis.hgetall(key))
      : type === 'list' ? await redis.lrange(key, 0, -1)
      : type === 'set' ? await redis.smembers(key)
      : type === 'zset' ? await redis.zrange(key, 0, -1)
      : type === 'stream' ? ((await redis.xrange(key, '-', '+')) as Array<[string, string[]]>).flatMap(([, f]) => f)
      : [];
    if ([key, ...values].some((v) => v?.toLowerCase().includes(text))) out.push(key);
  }
  return out;
}

describe('syncdesk forget', () => {
  it('lists where a person is kept, then forgets them there with --yes; the other problems, tickets and a replay are untouched', async () => {
    const dir = tempDir('forget');
    const prefix = `fg${uid()}`;
    const env = { ...fileDeskEnv(dir, prefix), SNAPSHOT_DIR: join(dir, 'snapshots') };
    expect((await runCli(['replay', 'examples/'], env)).output).toContain('tickets: create 17');
    await runCli(['snapshot', 'import', 'test/fixtures/snapshots/get-mguser-ps51.csv', '--tenant-name', 'Contoso'], env);
    const person = 'patti.fernandez@contoso.com';
    const mails = () => readdirSync(join(dir, 'mail')).filter((f) => f.endsWith('.eml')).length;
    expect(mails()).toBe(5);
    const before = await redisHolding(prefix, person);
    expect(before.length).toBeGreaterThan(2);

    // without --yes: a list, and nothing changed
    const listed = await runCli(['forget', person], env);
    expect(listed.code).toBe(0);
    // each problem in its own words, so the admin sees whose record it is before --yes
    expect(listed.output).toMatch(/^ticket state\taadsync-[0-9a-f]{40} \(ticket T[^,]+, file:\/\/.*\): \[[^\]]+\] .*patti\.fernandez@contoso\.com.*\twould be forgotten/m);
    expect(listed.output).toMatch(/^mail store\tmail [0-9a-f]{64} .*\twould be forgotten$/m);
    expect(listed.output).toMatch(/^queue job\tresolve resolve-[0-9a-f]+\twould be forgotten$/m);
    expect(listed.output).toMatch(/^desk ticket file\t.*\.json\tleft to you/m);
    expect(listed.output).toMatch(/nothing was changed: run again with --yes/);
    expect(await redisHolding(prefix, person)).toEqual(before);
    expect(mails()).toBe(5);

    const forgotten = await runCli(['forget', person, '--yes'], env);
    expect(forgotten.code).toBe(0);
    expect(forgotten.output).toMatch(/place\(s\) named patti\.fernandez@contoso\.com: \d+ forgotten, 2 left to you/);
    expect(await redisHolding(prefix, person)).toEqual([]);
    expect(mails()).toBe(4); // the forwarded report that named her
    // the desk's own tickets are the desk's: named, not touched
    expect(readTickets(join(dir, 'tickets'))).toHaveLength(17);
    const status = await runCli(['status'], env);
    expect(status.output).toContain('Open problems: 16');
    const again = await runCli(['replay', 'examples/'], env);
    expect(again.output).toContain('duplicate 5');
    expect(readTickets(join(dir, 'tickets'))).toHaveLength(17);

    // a snapshot keeps the rest of the directory
    const [file] = readdirSync(join(dir, 'snapshots', 'contoso.com')).filter((f) => f.endsWith('.jsonl.gz'));
    const path = join(dir, 'snapshots', 'contoso.com', file!);
    const objects = (await readSnapshot(path)).objects.length;
    expect((await runCli(['forget', 'Megan Bowen', '--yes'], env)).output).toMatch(/^snapshot\t.*\(1 object\)\tforgotten$/m);
    const after = await readSnapshot(path);
    expect(after.objects).toHaveLength(objects - 1);
    expect(JSON.stringify(after.objects)).not.toContain('Megan Bowen');
    expect(existsSync(path)).toBe(true);

    // a customer leaving: its snapshot goes whole, and its folder
    const leaving = await runCli(['forget', 'contoso.com', '--yes'], env);
    expect(leaving.output).toMatch(/^snapshot\t.*\(the tenant's, whole\)\tforgotten$/m);
    // every place named: its report bookkeeping too (the keys its name was applied under since the snapshot named it)
    expect(leaving.output).not.toMatch(/^other\t/m);
    expect(leaving.code).toBe(0);
    expect(existsSync(join(dir, 'snapshots', 'contoso.com'))).toBe(false);

    const refused = await runCli(['forget', 'pat'], env);
    expect(refused.code).toBe(2);
    expect(refused.output).toMatch(/shorter than 5 characters/);

    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
  }, 180_000);
});
