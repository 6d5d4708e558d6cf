import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis, type Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Holder } from '../../schemas/resolution.schema.ts';
import { loadConfig } from '../../src/config.ts';
import { queueCounts, waitForDrain } from '../../src/app/queue-drain.ts';
import { createQueues, type Queues } from '../../src/queues.ts';
import { queuePrefix } from '../../src/redis/connection.ts';
import { listQuarantine, listReleased, quarantineKey, recordRelease, releasedKey } from '../../src/ingest/quarantine.ts';
import { createRedisLookupCache } from '../../src/resolve/lookup-cache.ts';
import { createTicketStateStore, type KeyState } from '../../src/ticket/ticket-state.ts';
import { daemon, flagsIn, imapAdmin, syncdesk, unique, until, type Daemon } from '../e2e/helpers.ts';
import { services } from '../helpers/services.ts';
import { reportMail, type ReportRow } from '../e2e/report-mail.ts';
import { readTickets } from '../pipeline/helpers.ts';
import { runStateStoreContract, state } from '../ticket/state-store-contract.ts';
import { startRedisCluster, type RedisClusterHandle } from '../helpers/redis-cluster.ts';
import { freePorts } from '../helpers/ports.ts';

/**
 * Every Redis operation of syncdesk on a real Redis Cluster of three masters (started here on
 * loopback by scripts/redis-cluster.sh, stopped after this file): the stores that used to
 * write several keys at once, then the end-to-end scenario run as an operator runs it
 * (`syncdesk worker`, `syncdesk replay`, `status`, `failed list`) with REDIS_CLUSTER_NODES.
 * A command whose keys live in two slots fails on a cluster with CROSSSLOT, so any that is
 * left shows up here as a failed job or a failed command.
 */

let cluster: RedisClusterHandle;
let client: Cluster;

beforeAll(async () => {
  cluster = await startRedisCluster();
  client = cluster.client();
}, 90_000);

afterAll(async () => {
  await client?.quit().catch(() => undefined);
  await cluster?.stop();
});

/** The cluster slot of `key` (CLUSTER KEYSLOT), to show that keys really are spread. */
async function slotOf(key: string): Promise<number> {
  return Number(await client.cluster('KEYSLOT', key));
}

describe('the stores on a 3-master Redis Cluster', () => {
  it('ticket state: put keeps the state and the open sets right when a key moves stream and closes', async () => {
    const prefix = `cs${unique()}`;
    const store = createTicketStateStore(client as unknown as Redis, { prefix });
    const keys = Array.from({ length: 12 }, (_, i) => `k${i}`);
    // the state keys and the open set are spread over the masters' slots
    const slots = new Set(await Promise.all([...keys.map((k) => slotOf(`${prefix}:ticket:key:${k}`)), slotOf(`${prefix}:ticket:tenant:a:open`)]));
    expect(slots.size).toBeGreaterThan(3);

    for (const k of keys) await store.withLock(k, () => store.put(state(k, 'a')));
    expect(await store.openKeys('a')).toEqual([...keys].sort());
    expect((await store.get('k3'))?.status).toBe('open');

    // k1 is seen by another stream; k2 is resolved; k4 has no ticket
    await store.put(state('k1', 'b'));
    await store.put(state('k2', 'a', 'resolved'));
    await store.put(state('k4', 'a', 'open', { ticketId: null }));
    expect(await store.openKeys('a')).toEqual(keys.filter((k) => !['k1', 'k2', 'k4'].includes(k)).sort());
    expect(await store.openKeys('b')).toEqual(['k1']);
    expect((await store.get('k1'))?.stream).toBe('b');

    expect(await store.advanceStream('a', 1000)).toBeNull();
    expect(await store.advanceStream('a', 500)).toBe(1000);
    expect(await store.streamMark('a')).toBe(1000);
    await store.markApplied('a', 'r1');
    expect(await store.isApplied('a', 'r1')).toBe(true);
  });

  describe('ticket state: the store contract', () => {
    runStateStoreContract(async () => createTicketStateStore(client as unknown as Redis, { prefix: `cs${unique()}` }));
  });

  it('ticket state: a crash between the steps of put leaves every open set a superset of the truth, and the next put heals it', async () => {
    const writes = new Set(['set', 'sadd', 'srem']);
    /** The cluster client, but the `crashAt`-th write throws, as if the worker died there. */
    const crashing = (crashAt: number): Redis => {
      let n = 0;
      return new Proxy(client, {
        get(target, prop, receiver) {
          const value = Reflect.get(target, prop, receiver) as unknown;
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            if (writes.has(String(prop)) && ++n === crashAt) return Promise.reject(new Error('crash'));
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      }) as unknown as Redis;
    };
    const transitions: Array<[string, KeyState, KeyState]> = [
      ['moves stream', state('k', 'a'), state('k', 'b')],
      ['is resolved', state('k', 'a'), state('k', 'a', 'resolved')],
      ['moves stream and is resolved', state('k', 'a'), state('k', 'b', 'resolved')],
      ['gets its ticket', state('k', 'a', 'open', { ticketId: null }), state('k', 'b')],
    ];
    for (const [what, from, to] of transitions) {
      for (let crashAt = 1; crashAt <= 3; crashAt++) {
        const prefix = `cs${unique()}`;
        const real = createTicketStateStore(client as unknown as Redis, { prefix });
        await real.put(from);
        const crashed = await createTicketStateStore(crashing(crashAt), { prefix }).put(to).then(() => false, () => true);
        if (!crashed) continue; // this put has fewer writes
        const stored = (await real.get('k'))!;
        const label = `${what}, crash at write ${crashAt}`;
        expect([from, to], label).toContainEqual(stored);
        if (stored.status === 'open' && stored.ticketId) expect(await real.openKeys(stored.stream), label).toContain('k');
        // the job is retried: the same put again makes the sets exact
        await real.put(to);
        for (const stream of ['a', 'b']) {
          const member = to.status === 'open' && to.ticketId !== null && to.stream === stream;
          expect(await real.openKeys(stream), `${label}, stream ${stream} after the retry`).toEqual(member ? ['k'] : []);
        }
      }
    }
  });

  it('queues: a job scheduler (the Graph poll) is set, queues its first run and is removed', async () => {
    const queues = createQueues(client, queuePrefix(loadConfig({ REDIS_CLUSTER_NODES: cluster.nodes, REDIS_PREFIX: `cs${unique()}` }).redis));
    try {
      await queues.poll.upsertJobScheduler('graph-poll', { every: 3_600_000 }, { name: 'graph-poll', data: {} as never });
      expect(await queues.poll.getJobSchedulersCount()).toBe(1);
      const poll = (await queueCounts(queues)).poll;
      expect((poll.waiting ?? 0) + (poll.delayed ?? 0)).toBe(1); // its first run
      await queues.poll.removeJobScheduler('graph-poll');
      expect(await queues.poll.getJobSchedulersCount()).toBe(0);
      await queues.poll.obliterate({ force: true });
    } finally {
      await queues.close();
    }
  });

  it('quarantine: a release takes the mail off the held list and keeps it in the history', async () => {
    const prefix = `cs${unique()}`;
    const held = (mailId: string) => ({ mailId, reason: 'not a known Microsoft sender', sender: 'x@example.com', origin: 'imap', at: new Date().toISOString() });
    for (const row of [held('m1'), held('m2'), held('m1')]) await client.lpush(quarantineKey(prefix), JSON.stringify(row));
    expect(await slotOf(quarantineKey(prefix))).not.toBe(await slotOf(releasedKey(prefix)));
    await recordRelease(client as unknown as Redis, prefix, { ...held('m1'), released: { by: 'admin', at: new Date().toISOString() } });
    expect((await listQuarantine(client as unknown as Redis, prefix)).map((e) => e.mailId)).toEqual(['m2']);
    expect((await listReleased(client as unknown as Redis, prefix)).map((e) => e.mailId)).toEqual(['m1']);
  });

  it('lookup cache: many values of a tenant, in many slots, written and read back in order', async () => {
    const prefix = `cs${unique()}`;
    const cache = createRedisLookupCache(client as unknown as Redis, prefix);
    const values = Array.from({ length: 40 }, (_, i) => `mail|user${i}@example.com`);
    const holder = (i: number): Holder[] => [{
      id: `id-${i}`, type: 'user', displayName: `User ${i}`, userPrincipalName: `user${i}@example.com`, mail: null,
      onPremisesSyncEnabled: null, onPremisesLastSyncDateTime: null, onPremisesImmutableId: null, onPremisesDistinguishedName: null,
      deleted: false, matched: [{ attribute: 'mail', value: `user${i}@example.com` }],
    }];
    const slots = new Set(await Promise.all(values.map((v) => slotOf(`${prefix}:graph-cache:contoso:${v}`))));
    expect(slots.size).toBeGreaterThan(3);

    await cache.setMany('Contoso', values.map((v, i) => [v, i % 3 === 0 ? [] : holder(i)]), 60);
    const back = await cache.getMany('contoso', [...values, 'mail|nobody@example.com']);
    expect(back).toHaveLength(41);
    expect(back[40]).toBeNull();
    for (let i = 0; i < 40; i++) {
      if (i % 3 === 0) expect(back[i]).toEqual([]);
      else expect(back[i]?.[0]).toMatchObject({ id: `id-${i}` });
    }
    expect(await client.ttl(`${prefix}:graph-cache:contoso:${values[1]}`)).toBeGreaterThan(50);
  });
});

describe('end to end on a 3-master Redis Cluster: report → tickets, replay, forced replay, resolve', () => {
  // A fixed id (the cluster is new for every run): the problems' keys, and so their slots, are
  // the same every run, and spread over the masters (checked below), so a `status` that read
  // one master only would miss some.
  const id = 'c7a1';
  const tenant = `Cluster ${id}`;
  const domain = `cl${id}.onmicrosoft.com`; // the tenant's key: its stream in `status`
  const dir = mkdtempSync(join(tmpdir(), 'syncdesk-cluster-'));
  const ticketDir = join(dir, 'tickets');
  const prefix = `cl${id}`;
  let env: Record<string, string>;
  let worker: Daemon | undefined;

  const row = (who: string, n: number): ReportRow => ({
    object: `${who}@${id}.example`,
    duplicates: [['UserPrincipalName', `${who}@${id}.example`]],
    onPremisesObjectId: `b2JqZWN0LT${n}`,
  });
  const spec = (day: number, rows: ReportRow[]) => ({ tenant, domain, coversAt: new Date(Date.UTC(2026, 10, 2 + day, 6)), rows });
  const fileA = join(dir, 'report-a.eml');
  const fileB = join(dir, 'report-b.eml');
  const sales: ReportRow = { object: `Sales ${id}`, duplicates: [['ProxyAddresses', `SMTP:sales@${id}.example`]], onPremisesObjectId: 'c2FsZXMtNA' };
  // day 2, by mail: bob's conflict is back
  const reportC = reportMail(spec(2, [row('anna', 1), row('bob', 2), row('carl', 3), sales]));
  // day 0: four problems; day 1: bob's is gone
  writeFileSync(fileA, reportMail(spec(0, [row('anna', 1), row('bob', 2), row('carl', 3), sales])));
  writeFileSync(fileB, reportMail(spec(1, [row('anna', 1), row('carl', 3), sales])));

  let queues: Queues;
  const ticketsNow = () => readTickets(ticketDir).sort((a, b) => a.id.localeCompare(b.id));
  const snapshot = () => ticketsNow().map((t) => ({ id: t.id, key: t.key, status: t.status, notes: t.notes.length }));

  /** Waits for the queues to drain; names what is stuck (a CROSSSLOT reply shows here) when they do not. */
  async function drained(timeoutMs = 60_000): Promise<void> {
    if (await waitForDrain(queues, { timeoutMs })) return;
    const stuck: string[] = [];
    for (const q of [queues.resolve, queues.ticket]) {
      for (const job of await q.getJobs(['delayed', 'failed', 'waiting-children', 'active'], 0, 20)) {
        stuck.push(`${q.name} ${job.id}: ${job.failedReason ?? '(no reason)'}`);
      }
    }
    throw new Error(`queues of ${prefix} not drained in ${timeoutMs} ms:\n${stuck.join('\n')}`);
  }

  async function failedJobs(): Promise<string[]> {
    const out: string[] = [];
    for (const q of [queues.poll, queues.resolve, queues.ticket]) for (const job of await q.getFailed()) out.push(`${q.name} ${job.id}: ${job.failedReason}`);
    return out;
  }

  beforeAll(async () => {
    env = {
      REDIS_CLUSTER_NODES: cluster.nodes,
      REDIS_PREFIX: prefix,
      TICKET_SINK: 'file',
      TICKET_DIR: ticketDir,
      MAIL_STORE_DIR: join(dir, 'mail'),
      TICKET_RESOLVE_AFTER_MISSING: '1',
      TRUST_POLICY: 'off',
      GRAPH_POLL_MINUTES: '0',
      NO_COLOR: '1',
      // a command that fails shows its log in the assertion message
      LOG_LEVEL: 'info',
    };
    queues = createQueues(client, queuePrefix(loadConfig(env).redis));
    worker = await daemon(['worker', '--queues', 'resolve,ticket'], env, 'workers ready');
  });

  afterAll(async () => {
    if (worker) expect(await worker.stop()).toBe(0);
    await queues?.close();
  });

  it('a report mail becomes one ticket per problem, created once; no job fails', async () => {
    const r = await syncdesk(['replay', fileA], env);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain('replay: 1 mail(s): queued 1');
    expect(r.stdout).toContain('queued for the running workers (1)');
    await drained();
    expect(await failedJobs()).toEqual([]);
    const tickets = ticketsNow();
    expect(tickets).toHaveLength(4);
    expect(new Set(tickets.map((t) => t.key)).size).toBe(4);
    expect(tickets.every((t) => t.status === 'open')).toBe(true);
    // the report's one chunk and its close
    expect((await queueCounts(queues)).ticket).toMatchObject({ completed: 2, failed: 0 });
    // the stage's own keys are spread over the masters, not crammed into one slot
    const perMaster = await Promise.all(client.nodes('master').map((node) => node.keys(`${prefix}:ticket:key:*`)));
    expect(perMaster.flat()).toHaveLength(4);
    expect(perMaster.filter((keys) => keys.length > 0).length).toBeGreaterThan(1);
  });

  it('the same mail replayed: recognised, nothing new', async () => {
    const before = snapshot();
    const r = await syncdesk(['replay', fileA], env);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain('replay: 1 mail(s): duplicate 1');
    expect(snapshot()).toEqual(before);
  });

  it('replay --force runs it again: no duplicate ticket, nothing written', async () => {
    const before = snapshot();
    const r = await syncdesk(['replay', '--force', '--wait', fileA], env);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain('replay: 1 mail(s): queued 1');
    await drained();
    expect(snapshot()).toEqual(before);
    expect(await failedJobs()).toEqual([]);
  });

  it('a newer report without a problem resolves its ticket, the others untouched', async () => {
    const before = new Map(snapshot().map((t) => [t.id, t]));
    const r = await syncdesk(['replay', fileB], env);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain('replay: 1 mail(s): queued 1');
    await drained();
    const after = ticketsNow();
    expect(after).toHaveLength(4);
    const bob = after.find((t) => t.summary.includes(`bob@${id}.example`))!;
    expect(bob.status).toBe('resolved');
    for (const t of after.filter((x) => x !== bob)) expect({ status: t.status, notes: t.notes.length }).toEqual({ status: 'open', notes: before.get(t.id)!.notes });
    expect(await failedJobs()).toEqual([]);
  });

  it('`syncdesk status`, `failed list` and `doctor` answer from the cluster', async () => {
    const status = await syncdesk(['status'], env);
    expect(status.code, status.stderr + status.stdout).toBe(0);
    expect(status.stdout).toContain(`cluster (seed nodes ${cluster.nodes.split(',').join(', ')})`);
    expect(status.stdout).toMatch(/Mails: 2 \(queued 2\)/);
    expect(status.stdout).toContain('Open problems: 3');
    expect(status.stdout).toContain(`${domain}: DuplicateAttribute 3`);
    // three reports, each a chunk and its close
    expect(status.stdout).toMatch(/Queue ticket\s+waiting 0, active 0, delayed 0, waiting-children 0, completed 6, failed 0/);

    const failed = await syncdesk(['failed', 'list'], env);
    expect(failed.code, failed.stderr + failed.stdout).toBe(0);
    expect(failed.stdout.trim()).toBe('no failed jobs');

    const doctor = await syncdesk(['doctor'], env);
    expect(doctor.stdout).toMatch(/redis\s+ok\s+cluster \(seed nodes [\d.:, ]+\): Redis \d/);
  });

  it('a poison job fails for good with its reason; `failed list` shows it and `failed retry --all` queues it again', async () => {
    await queues.ticket.add('ticket', { report: { reportId: 42 } } as never, { jobId: 'poison-1' });
    await drained();
    const poison = (await queues.ticket.getJob('poison-1'))!;
    expect(await poison.getState()).toBe('failed');
    expect(poison.failedReason).toMatch(/^\[bad-payload\]/);
    const list = await syncdesk(['failed', 'list'], env);
    expect(list.stdout).toContain('poison-1');
    const retry = await syncdesk(['failed', 'retry', '--all'], env);
    expect(retry.code, retry.stderr + retry.stdout).toBe(0);
    expect(retry.stdout).toContain('poison-1');
    await drained();
    const again = (await queues.ticket.getJob('poison-1'))!;
    expect(await again.getState()).toBe('failed');
    expect(again.finishedOn).toBeGreaterThan(poison.finishedOn!);
  });

  it('`syncdesk start` reads a newer report from IMAP (mailbox cursor on the cluster): the problem back reopens its ticket, the mail is marked handled', async () => {
    const mailbox = `cluster-${id}-${unique()}`;
    const imap = await imapAdmin();
    const s = services();
    const imapEnv = { IMAP_HOST: s.IMAP_HOST!, IMAP_PORT: s.IMAP_PORT!, IMAP_SECURE: 'false', IMAP_USER: s.IMAP_USER!, IMAP_PASSWORD: s.IMAP_PASSWORD!, IMAP_TLS_CA: s.IMAP_TLS_CA!, IMAP_MAILBOX: mailbox };
    let start: Daemon | undefined;
    try {
      await imap.mailboxCreate(mailbox);
      start = await daemon(['start', '--admin-port', '0'], { ...env, ...imapEnv }, 'syncdesk started');
      await imap.append(mailbox, reportC);
      await until('the mail to be marked handled', async () => (await flagsIn(imap, mailbox))[0]?.flags.includes('$SyncdeskHandled') ?? false, 30_000);
      await drained();
      const after = ticketsNow();
      expect(after).toHaveLength(4);
      expect(after.find((t) => t.summary.includes(`bob@${id}.example`))!.status).toBe('open');
      expect((await failedJobs()).map((f) => f.split(':')[0])).toEqual(['ticket poison-1']); // the poison job above, nothing else
      expect(await start.stop()).toBe(0);
      start = undefined;
    } finally {
      await start?.stop();
      await imap.logout().catch(() => undefined);
    }
  });
});

describe("an operator's cluster mistakes, and a master down (blind26)", () => {
  const dir = mkdtempSync(join(tmpdir(), 'syncdesk-cluster-ops-'));
  const base = { REDIS_PREFIX: 'clops', TICKET_SINK: 'file', TICKET_DIR: join(dir, 'tickets'), MAIL_STORE_DIR: join(dir, 'mail'), NO_COLOR: '1', LOG_LEVEL: 'info' };
  const doctorRedis = async (env: Record<string, string>) => {
    const out = await syncdesk(['doctor', '--json'], env);
    return (JSON.parse(out.stdout) as { results: Array<{ check: string; status: string; detail: string; fix?: string }> }).results.find((r) => r.check === 'redis')!;
  };

  it('REDIS_URL naming one node of the cluster: doctor and the commands say to use REDIS_CLUSTER_NODES (it used to pass, then fail with MOVED and CROSSSLOT)', async () => {
    const env = { ...base, REDIS_URL: `redis://127.0.0.1:${cluster.ports[1]}` };
    expect(await doctorRedis(env)).toMatchObject({ status: 'fail', detail: expect.stringContaining('a node of a Redis Cluster'), fix: expect.stringContaining('REDIS_CLUSTER_NODES') });
    const status = await syncdesk(['status'], env);
    expect(status.code).toBe(78);
    expect(status.stderr).toContain('is a node of a Redis Cluster: set REDIS_CLUSTER_NODES');
  });

  it('a seed that does not answer and one that is no cluster node are named, though the cluster works through the others', async () => {
    const plain = new URL(services().REDIS_URL!).port;
    const dead = (await freePorts(1))[0]!;
    const env = { ...base, REDIS_CLUSTER_NODES: `${cluster.nodes.split(',')[0]},127.0.0.1:${dead},127.0.0.1:${plain}` };
    const redis = await doctorRedis(env);
    expect(redis.status).toBe('warn');
    expect(redis.detail).toContain(`127.0.0.1:${dead} does not answer`);
    expect(redis.detail).toContain(`127.0.0.1:${plain} answers, but is not a cluster node`);
  });

  it('with the master of the queues down, /readyz is 503 (a node still answers PING), doctor says the cluster failed', async () => {
    const env = { ...base, REDIS_CLUSTER_NODES: cluster.nodes };
    const port = (await freePorts(1))[0]!;
    const worker = await daemon(['worker', '--admin-port', String(port)], env, 'workers ready');
    try {
      const readyz = async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status;
      expect(await readyz()).toBe(200);
      // the master serving the slot of the queues' hash tag
      const slot = Number(await client.cluster('KEYSLOT', '{clops}'));
      const ranges = await client.cluster('SLOTS');
      const master = ranges.find(([from, to]) => from <= slot && slot <= to)![2]![1];
      process.kill(Number(readFileSync(join(cluster.dir, String(master), 'redis.pid'), 'utf8')), 'SIGKILL');
      await until('readyz 503', async () => (await readyz()) === 503, 30_000);
      // the others mark the cluster failed once the node timeout (5 s) has passed
      const survivor = new Redis({ host: '127.0.0.1', port: cluster.ports.find((p) => p !== master)! });
      try {
        await until('cluster_state:fail', async () => /cluster_state:fail/.test(String(await survivor.cluster('INFO'))), 30_000);
      } finally {
        survivor.disconnect();
      }
      const redis = await doctorRedis(env);
      expect(redis.status).toBe('fail');
      expect(redis.detail).toContain(`127.0.0.1:${master} does not answer`);
      expect(redis.detail).toMatch(/cluster_state:fail/);
      expect(redis.fix).toContain('REDIS_CLUSTER_NODES');
    } finally {
      worker.child.kill('SIGKILL');
    }
  }, 90_000);
});
