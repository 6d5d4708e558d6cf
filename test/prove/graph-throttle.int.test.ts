import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { openRuntime, type Runtime } from '../../src/app/runtime.ts';
import { deletedUser, emptyDirectory, syncedUser, user } from '../fakes/graph/directory.ts';
import { startFakeGraph, type FakeGraph } from '../fakes/graph/server.ts';
import { makeTlsMaterial, type TlsMaterial } from '../fakes/graph/tls.ts';
import { services } from '../helpers/services.ts';
import { bigReport } from '../pipeline/big-report.ts';
import { readTickets } from '../pipeline/helpers.ts';
import { reportJobs } from '../helpers/report-jobs.ts';
import { param, spawnCli, tempDir, uid, until, type CliChild, jobCounts } from './helpers.ts';

/**
 * Graph throttling: a `syncdesk worker` process (all queues, file desk) resolves a report
 * against the fake Graph (HTTPS, real @azure/identity and Graph client in the child, which
 * trusts the fake's CA through NODE_EXTRA_CA_CERTS) while every third Graph request is
 * answered 429 with Retry-After. The directory holds a known holder for each value
 * (cloud-only, soft-deleted, or the synced object itself) or none; every ticket must name
 * exactly that holder, as the same report does without throttling.
 *
 *   npm run prove:graph                        (CI: 60 errors)
 *   PROVE_ERRORS=1000 npm run prove:graph       (long)
 */

const N = param('PROVE_ERRORS', 60);
const TENANT_ID = '0d0d0d0d-0000-4000-8000-00000000000d';
const APP = { clientId: 'dddddddd-4444-4444-8444-444444444444', secret: 'prove-graph-secret' };
const TENANT_NAME = `Prove Graph ${uid()}`;
const KINDS = ['cloud-only', 'synced', 'deleted', 'none'] as const;

const upn = (i: number) => `user${String(i).padStart(5, '0')}@bigcorp.com`;
const kindOf = (i: number) => KINDS[i % KINDS.length]!;

let fake: FakeGraph | undefined;
let tls: TlsMaterial;
const children: CliChild[] = [];
const runtimes: Runtime[] = [];

afterAll(async () => {
  await Promise.all(children.map((c) => c.kill()));
  for (const r of runtimes) {
    for (const q of [r.queues.poll, r.queues.resolve, r.queues.ticket]) await q.obliterate({ force: true }).catch(() => undefined);
    await r.close();
  }
  await fake?.close();
});

/** Runs the report through a fresh worker process; returns its tickets' summaries by UPN and the Graph counters. */
async function run(label: string): Promise<{ summaries: Map<string, string>; stats: FakeGraph['stats']; seconds: number }> {
  const dir = tempDir(`graph-${label}`);
  const env = {
    REDIS_URL: services().REDIS_URL!,
    REDIS_PREFIX: `p${uid()}`,
    MAIL_STORE_DIR: join(dir, 'mail'),
    TICKET_SINK: 'file',
    TICKET_DIR: join(dir, 'tickets'),
    TRUST_POLICY: 'off',
    LOG_LEVEL: 'info',
    GRAPH_TENANT_ID: TENANT_ID,
    GRAPH_CLIENT_ID: APP.clientId,
    GRAPH_CLIENT_SECRET: APP.secret,
    GRAPH_BASE_URL: fake!.url,
    GRAPH_AUTHORITY_HOST: fake!.url,
    GRAPH_POLL_MINUTES: '0',
  };
  const runtime = await openRuntime(loadConfig(env), createLogger({ level: 'silent' }));
  runtimes.push(runtime);
  const child = spawnCli(['worker', '--queues', 'poll,resolve,ticket', '--concurrency', '2'], env, { extraNodeEnv: { NODE_EXTRA_CA_CERTS: tls.caPath } });
  children.push(child);
  await child.waitFor('workers ready', 60_000);
  fake!.resetStats();
  const started = Date.now();
  const raw = bigReport(N, { tenant: TENANT_NAME });
  expect((await runtime.ingestor().ingest(raw, { origin: 'replay-file', receivedAt: new Date() })).status).toBe('queued');
  await until(
    `the ${label} run`,
    async () => {
      for (const q of [runtime.queues.resolve, runtime.queues.ticket]) {
        if ((await jobCounts(q, 'failed')).failed) throw new Error(`${q.name} job failed: ${(await q.getFailed())[0]?.failedReason}\n${child.output().slice(-2000)}`);
      }
      return (await reportJobs(runtime.queues, ['completed'])).length >= 1;
    },
    N * 500 + 180_000,
    200,
  );
  const seconds = (Date.now() - started) / 1000;
  const stats = structuredClone(fake!.stats);
  await child.kill('SIGTERM');
  const summaries = new Map<string, string>();
  for (const t of readTickets(env.TICKET_DIR)) {
    const m = /user\d{5}@bigcorp\.com/.exec(t.summary);
    if (m) summaries.set(m[0], t.summary);
  }
  return { summaries, stats, seconds };
}

describe(`Graph throttling: every third request 429, ${N} errors`, () => {
  it('resolves every error to its true holder, as without throttling', async () => {
    tls = makeTlsMaterial();
    const directory = emptyDirectory();
    for (let i = 0; i < N; i++) {
      const name = `Holder ${i}`;
      if (kindOf(i) === 'cloud-only') directory.users.push(user({ userPrincipalName: upn(i), displayName: name }));
      if (kindOf(i) === 'synced') directory.users.push(syncedUser({ userPrincipalName: upn(i), displayName: name, onPremisesImmutableId: Buffer.from(`imm-${i}`).toString('base64') }));
      if (kindOf(i) === 'deleted') directory.deletedUsers.push(deletedUser({ userPrincipalName: upn(i), displayName: name }));
    }
    fake = await startFakeGraph({ tls, tenants: { [TENANT_ID]: { apps: [APP], directory } } });

    const baseline = await run('baseline');
    fake.throttle({ everyNth: 3, status: 429, retryAfterSeconds: 1 });
    const throttled = await run('throttled');
    fake.throttle(null);

    const wrong: string[] = [];
    for (let i = 0; i < N; i++) {
      const summary = throttled.summaries.get(upn(i));
      const kind = kindOf(i);
      // a synced user with the reported UPN is the reported object itself
      const want = kind === 'none' ? 'no current holder' : kind === 'synced' ? 'held by the object itself' : `held by ${kind} user Holder ${i}`;
      if (!summary?.includes(want)) wrong.push(`${upn(i)} (${kind}): ${summary ?? 'no ticket'}`);
    }
    expect(wrong).toEqual([]);
    expect(throttled.summaries.size).toBe(N);
    expect(throttled.summaries).toEqual(baseline.summaries);
    expect(throttled.stats.throttled).toBeGreaterThan(0);
    const calls = (s: FakeGraph['stats']) => s.subRequests + s.graphHttpRequests - s.batchPosts;
    console.log(
      `[prove:graph] ${N} errors (${KINDS.join('/')} holders): baseline ${calls(baseline.stats)} Graph calls in ${baseline.stats.batchPosts} $batch posts, ${baseline.seconds.toFixed(1)} s; ` +
        `every 3rd throttled: ${calls(throttled.stats)} calls (${throttled.stats.throttled} answered 429) in ${throttled.stats.batchPosts} posts, ${throttled.seconds.toFixed(1)} s; ` +
        `${N}/${N} resolutions correct and equal to the baseline`,
    );
  }, 900_000);
});
