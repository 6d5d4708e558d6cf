import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLedger } from '../../src/ingest/ledger.ts';
import { createReplicaAck } from '../../src/redis/replica-ack.ts';
import { freePorts } from '../helpers/ports.ts';
import { until } from '../prove/helpers.ts';

/**
 * A real master and replica on loopback (two redis-server processes of this file's own): a
 * ledger write is acknowledged by the replica before it counts, a replica that lags past the
 * timeout is reported, and a master without replicas is not waited on.
 */

const dir = mkdtempSync(join(tmpdir(), 'syncdesk-replica-'));
const servers: ChildProcess[] = [];
let master: Redis;
let replica: Redis;
let replicaProcess: ChildProcess;

function redisServer(port: number, extra: string[] = []): ChildProcess {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--dbfilename', `${port}.rdb`, '--enable-debug-command', 'yes', ...extra], { stdio: 'ignore' });
  servers.push(child);
  return child;
}

const waits = async () => Number(/cmdstat_wait:calls=(\d+)/.exec(await master.info('commandstats'))?.[1] ?? 0);

beforeAll(async () => {
  const [m, r] = await freePorts(2);
  redisServer(m!);
  replicaProcess = redisServer(r!, ['--replicaof', '127.0.0.1', String(m)]);
  master = new Redis({ port: m, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  replica = new Redis({ port: r, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  await until('the replica to be in sync', async () => /master_link_status:up/.test(await replica.info('replication').catch(() => '')), 20_000);
});

afterAll(async () => {
  master?.disconnect();
  replica?.disconnect();
  for (const s of servers) s.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('ledger writes acknowledged by a replica', () => {
  it('waits for a lagging replica to have the write before it returns', async () => {
    const ack = createReplicaAck(master, { timeoutMs: 5_000 });
    const sleeper = new Redis({ port: replica.options.port, host: '127.0.0.1' });
    const napping = sleeper.call('DEBUG', 'SLEEP', '0.8');
    await new Promise((r) => setTimeout(r, 100)); // the replica is asleep now
    const before = await waits();
    const started = Date.now();
    await master.set('ledger:a', 'queued');
    expect(await ack('ledger:a')).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    expect(await waits()).toBe(before + 1);
    expect(await replica.get('ledger:a')).toBe('queued');
    await napping;
    sleeper.disconnect();
  });

  it('the ledger: a mail claimed and queued is on the replica when the call returns, however the replica lags', async () => {
    const ledger = createLedger(master, 'replica-test', undefined, createReplicaAck(master, { timeoutMs: 5_000 }));
    const sleeper = new Redis({ port: replica.options.port, host: '127.0.0.1' });
    const napping = sleeper.call('DEBUG', 'SLEEP', '0.5');
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    expect(await ledger.claim({ mailId: 'm1', status: 'pending', origin: 'imap', rerun: null, duplicateOf: null, reason: null })).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300); // it waited for the sleeping replica
    expect(JSON.parse((await replica.get('replica-test:ingest:ledger:m1'))!)).toMatchObject({ status: 'pending' });
    await ledger.update('m1', { status: 'queued' });
    expect(JSON.parse((await replica.get('replica-test:ingest:ledger:m1'))!)).toMatchObject({ status: 'queued' });
    await napping;
    sleeper.disconnect();
  });

  it('reports a replica that does not answer in time, without waiting longer', async () => {
    const warnings: string[] = [];
    const logger = { warn: (_o: unknown, msg: string) => warnings.push(msg) } as never;
    const clock = { t: 0 };
    const ack = createReplicaAck(master, { timeoutMs: 300, lagWindowMs: 30_000, logger, now: () => clock.t });
    const sleeper = new Redis({ port: replica.options.port, host: '127.0.0.1' });
    const napping = sleeper.call('DEBUG', 'SLEEP', '1.5');
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await master.set('ledger:b', 'queued');
    expect(await ack('ledger:b')).toBe(false);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(warnings).toEqual([expect.stringContaining('no replica acknowledged a ledger write within 300 ms')]);
    // the next writes of the same report are not held by the frozen replica: blind26 F7 saw a
    // report's writes add up to the whole freeze
    const before = await waits();
    const next = Date.now();
    for (const key of ['ledger:b2', 'ledger:b3', 'ledger:b4']) expect(await ack(key)).toBe(false);
    expect(Date.now() - next).toBeLessThan(250);
    expect(await waits()).toBe(before);
    expect(warnings).toHaveLength(1);
    await napping;
    sleeper.disconnect();
    // past the window the replica is waited for again (it is awake now)
    clock.t = 31_000;
    await master.set('ledger:b5', 'queued');
    expect(await ack('ledger:b5')).toBe(true);
    expect(await waits()).toBe(before + 1);
  });

  it('does not wait where no replica is connected', async () => {
    replicaProcess.kill('SIGKILL');
    await until('the master to see its replica gone', async () => /connected_slaves:0/.test(await master.info('replication')), 20_000);
    const ack = createReplicaAck(master, { timeoutMs: 5_000 });
    const before = await waits();
    await master.set('ledger:c', 'queued');
    expect(await ack('ledger:c')).toBe(true);
    expect(await waits()).toBe(before);
  });
});
