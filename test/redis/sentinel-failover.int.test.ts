import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForDrain } from '../../src/app/queue-drain.ts';
import { loadConfig } from '../../src/config.ts';
import { createQueues, type Queues } from '../../src/queues.ts';
import { createRedisClient, queuePrefix } from '../../src/redis/connection.ts';
import { daemon, syncdesk, until, type Daemon } from '../e2e/helpers.ts';
import { reportMail, type ReportRow } from '../e2e/report-mail.ts';
import { freePorts } from '../helpers/ports.ts';
import { readTickets } from '../pipeline/helpers.ts';

/**
 * syncdesk on a Sentinel-managed Redis (REDIS_SENTINELS), through a real failover: a master,
 * its replica and one Sentinel on loopback (redis-server processes of this file's own). The
 * master is killed (SIGKILL, no shutdown save) after a report was ingested and ticketed;
 * Sentinel promotes the replica; the same running worker and new CLI runs find the new
 * master through Sentinel and go on. Nothing written before the kill is lost, nothing is
 * ticketed twice, and no operator step is needed. (That a ledger write waits for the
 * replica is test/redis/replica-ack.int.test.ts.)
 */

const MASTER_NAME = 'syncdesk-test';
const dir = mkdtempSync(join(tmpdir(), 'syncdesk-sentinel-'));
const servers: ChildProcess[] = [];
let masterPort: number;
let replicaPort: number;
let sentinelPort: number;
let master: ChildProcess;
let sentinel: Redis;

function redisServer(args: string[]): ChildProcess {
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  servers.push(child);
  return child;
}
const dataServer = (port: number, extra: string[] = []): ChildProcess =>
  redisServer(['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--dbfilename', `${port}.rdb`, ...extra]);

/** Where Sentinel says the master is, as `host:port`. */
async function masterAddress(): Promise<string> {
  const addr = (await sentinel.call('SENTINEL', 'get-master-addr-by-name', MASTER_NAME).catch(() => null)) as string[] | null;
  return addr ? `${addr[0]}:${addr[1]}` : '';
}

beforeAll(async () => {
  [masterPort, replicaPort, sentinelPort] = (await freePorts(3)) as [number, number, number];
  master = dataServer(masterPort);
  dataServer(replicaPort, ['--replicaof', '127.0.0.1', String(masterPort)]);
  // Sentinel rewrites its configuration file: it gets one of its own. A second without an
  // answer is down; one Sentinel is a quorum (production runs three, on three hosts).
  const conf = join(dir, 'sentinel.conf');
  writeFileSync(
    conf,
    [
      `port ${sentinelPort}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${masterPort} 1`,
      `sentinel down-after-milliseconds ${MASTER_NAME} 1000`,
      `sentinel failover-timeout ${MASTER_NAME} 10000`,
      '',
    ].join('\n'),
  );
  redisServer([conf, '--sentinel']);
  sentinel = new Redis({ port: sentinelPort, host: '127.0.0.1', maxRetriesPerRequest: 1, lazyConnect: true });
  sentinel.on('error', () => undefined);
  const replica = new Redis({ port: replicaPort, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  replica.on('error', () => undefined);
  try {
    await until('the replica to be in sync', async () => /master_link_status:up/.test(await replica.info('replication').catch(() => '')), 20_000);
    // Sentinel learns the replica from the master's INFO: until then it has nobody to promote
    await until('Sentinel to know the master and its replica', async () => {
      const replicas = (await sentinel.call('SENTINEL', 'replicas', MASTER_NAME).catch(() => [])) as unknown[];
      return (await masterAddress()) === `127.0.0.1:${masterPort}` && replicas.length === 1;
    }, 30_000);
  } finally {
    replica.disconnect();
  }
}, 60_000);

afterAll(() => {
  sentinel?.disconnect();
  for (const s of servers) s.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('a Sentinel failover in the middle of work', () => {
  const id = 's3n7';
  const tenant = `Sentinel ${id}`;
  const domain = `sn${id}.onmicrosoft.com`;
  const ticketDir = join(dir, 'tickets');
  const row = (who: string, n: number): ReportRow => ({ object: `${who}@${id}.example`, duplicates: [['UserPrincipalName', `${who}@${id}.example`]], onPremisesObjectId: `c2VudGluZWwt${n}` });
  const spec = (day: number, rows: ReportRow[]) => ({ tenant, domain, coversAt: new Date(Date.UTC(2026, 10, 10 + day, 6)), rows });
  const fileA = join(dir, 'report-a.eml');
  const fileB = join(dir, 'report-b.eml');
  // day 0: three problems; day 1: bob's is gone, dora's is new
  writeFileSync(fileA, reportMail(spec(0, [row('anna', 1), row('bob', 2), row('carl', 3)])));
  writeFileSync(fileB, reportMail(spec(1, [row('anna', 1), row('carl', 3), row('dora', 4)])));

  let env: Record<string, string>;
  let worker: Daemon | undefined;
  let queueClient: Redis;
  let queues: Queues;
  const tickets = () => readTickets(ticketDir).sort((a, b) => a.id.localeCompare(b.id));

  async function drained(): Promise<void> {
    expect(await waitForDrain(queues, { timeoutMs: 60_000 }), 'the queues drain').toBe(true);
    const failed = (await Promise.all([queues.resolve.getFailed(), queues.ticket.getFailed()])).flat();
    expect(failed.map((j) => `${j.queueName} ${j.id}: ${j.failedReason}`)).toEqual([]);
  }

  beforeAll(async () => {
    env = {
      REDIS_SENTINELS: `127.0.0.1:${sentinelPort}`,
      REDIS_SENTINEL_NAME: MASTER_NAME,
      REDIS_PREFIX: `sn${id}`,
      TICKET_SINK: 'file',
      TICKET_DIR: ticketDir,
      MAIL_STORE_DIR: join(dir, 'mail'),
      TICKET_RESOLVE_AFTER_MISSING: '1',
      TRUST_POLICY: 'off',
      GRAPH_POLL_MINUTES: '0',
      NO_COLOR: '1',
    };
    const config = loadConfig(env);
    queueClient = createRedisClient({ kind: 'sentinel', sentinels: [{ host: '127.0.0.1', port: sentinelPort }], name: MASTER_NAME }) as Redis;
    queueClient.on('error', () => undefined);
    queues = createQueues(queueClient, queuePrefix(config.redis));
    worker = await daemon(['worker', '--queues', 'resolve,ticket'], env, 'workers ready');
  }, 60_000);

  afterAll(async () => {
    if (worker) expect(await worker.stop()).toBe(0);
    await queues?.close();
    queueClient?.disconnect();
  });

  it('before the failover: a report through Sentinel becomes its tickets', async () => {
    const r = await syncdesk(['replay', fileA], env);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain('replay: 1 mail(s): queued 1');
    await drained();
    expect(tickets().map((t) => t.status)).toEqual(['open', 'open', 'open']);
  });

  it('the master dies; Sentinel promotes the replica, and the mail ingested before is still known', async () => {
    const before = tickets();
    master.kill('SIGKILL');
    await until('Sentinel to promote the replica', async () => (await masterAddress()) === `127.0.0.1:${replicaPort}`, 30_000);
    // the ledger on the promoted replica still knows the mail
    const r = await syncdesk(['replay', fileA], env);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain('replay: 1 mail(s): duplicate 1');
    expect(tickets()).toEqual(before);
  }, 60_000);

  it('after the failover: the running worker works the next report on the new master, nothing twice', async () => {
    const r = await syncdesk(['replay', fileB], env);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain('replay: 1 mail(s): queued 1');
    await drained();
    const after = tickets();
    expect(after).toHaveLength(4);
    expect(new Set(after.map((t) => t.key)).size).toBe(4);
    const status = (who: string) => after.find((t) => t.summary.includes(`${who}@${id}.example`))?.status;
    expect([status('anna'), status('bob'), status('carl'), status('dora')]).toEqual(['open', 'resolved', 'open', 'open']);
    const s = await syncdesk(['status'], env);
    expect(s.code, s.stderr + s.stdout).toBe(0);
    expect(s.stdout).toContain(`sentinel ${MASTER_NAME}`);
    expect(s.stdout).toContain('Open problems: 3');
  }, 90_000);
});
