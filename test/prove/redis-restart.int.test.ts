import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { openRuntime, type Runtime } from '../../src/app/runtime.ts';
import { bigReport } from '../pipeline/big-report.ts';
import { restartService } from '../helpers/services.ts';
import { expectedProblems, param, rtClient, rtEnv, rtFound, rtTicketsFor, sleep, spawnCli, tempDir, ticketProblems, uid, until, type CliChild, jobCounts } from './helpers.ts';

/**
 * Redis restarted mid-run: `syncdesk start --no-listen` (all workers in one process) is
 * applying a report to the REAL RT when Redis is SIGKILLed and started again (append-only
 * with appendfsync always, as the test services run it). The run completes, every problem
 * has exactly one ticket.
 *
 *   npm run prove:redis                                           (CI: 40 errors, 1 restart)
 *   PROVE_ERRORS=300 PROVE_REDIS_RESTARTS=3 npm run prove:redis    (long)
 *   PROVE_REDIS_GRACEFUL=1 …                                       (SIGTERM instead of SIGKILL)
 */

const N = param('PROVE_ERRORS', 40);
const RESTARTS = param('PROVE_REDIS_RESTARTS', 1);
const KILL = process.env.PROVE_REDIS_GRACEFUL !== '1';

let child: CliChild | undefined;
let runtime: Runtime | undefined;

afterAll(async () => {
  await child?.kill();
  if (runtime) {
    for (const q of [runtime.queues.poll, runtime.queues.resolve, runtime.queues.ticket]) await q.obliterate({ force: true }).catch(() => undefined);
    await runtime.close();
  }
});

describe(`Redis ${KILL ? 'killed' : 'stopped'} and restarted ${RESTARTS}× while ${N} errors flow to the real RT`, () => {
  it('the run completes with exactly one ticket per problem', async () => {
    const dir = tempDir('redis');
    const env = rtEnv(dir);
    runtime = await openRuntime(loadConfig(env), createLogger({ level: 'silent' }));
    child = spawnCli(['start', '--no-listen', '--concurrency', '2'], env);
    await child.waitFor('syncdesk started', 60_000);

    const tenant = `Prove Redis ${uid()}`;
    const tag = tenant.split(' ').at(-1)!;
    const raw = bigReport(N, { tenant });
    const expected = await expectedProblems(raw, runtime.reportRef);
    const tenantTickets = async (): Promise<number> =>
      (await rtClient().get('/tickets', { params: { query: `Subject LIKE '${tag}'`, per_page: 1 } })).data.total as number;

    const started = Date.now();
    expect((await runtime.ingestor().ingest(raw, { origin: 'replay-file', receivedAt: new Date() })).status).toBe('queued');

    const restarts: Array<{ atMs: number; ticketsBefore: number }> = [];
    for (let i = 0; i < RESTARTS; i++) {
      // restart once the ticket stage is well under way (and again later for the long run)
      const threshold = Math.floor(((i + 1) * N) / (RESTARTS + 2));
      const before = await until(`${threshold} tickets`, async () => {
        const n = await tenantTickets();
        return n >= threshold ? n : false;
      }, 300_000, 250);
      expect(before, 'Redis is restarted mid-run, not after it').toBeLessThan(N);
      restarts.push({ atMs: Date.now() - started, ticketsBefore: before });
      await restartService('redis', { kill: KILL, pauseSeconds: 1 });
    }

    await until(
      'the report to be applied',
      async () => {
        const c = await jobCounts(runtime!.queues.ticket, 'completed', 'failed');
        if (c.failed) throw new Error(`ticket job failed: ${(await runtime!.queues.ticket.getFailed())[0]?.failedReason}`);
        return c.completed >= 1;
      },
      N * 1_000 + 240_000,
      250,
    );
    const elapsed = Date.now() - started;
    expect(child.exited(), child.output().slice(-3000)).toBe(false); // the process rode the outage out

    const found = await rtTicketsFor([...expected.keys()]);
    expect(ticketProblems(expected, rtFound(found))).toEqual([]);
    expect(await tenantTickets()).toBe(N);
    for (const q of [runtime.queues.poll, runtime.queues.resolve, runtime.queues.ticket]) {
      expect(await jobCounts(q, 'failed', 'active', 'waiting', 'delayed')).toEqual({ failed: 0, active: 0, waiting: 0, delayed: 0 });
    }
    await sleep(100);
    const reconnects = (child.output().match(/redis.*(reconnect|connection lost|ECONNREFUSED)/gi) ?? []).length;
    console.log(
      `[prove:redis] ${N} errors; Redis ${KILL ? 'SIGKILLed' : 'stopped'} and restarted at ${restarts.map((r) => `${(r.atMs / 1000).toFixed(1)}s (${r.ticketsBefore} tickets)`).join(', ')}; ` +
        `${N} tickets, 0 duplicates, 0 failed jobs, done in ${(elapsed / 1000).toFixed(1)} s (${reconnects} reconnect log lines)`,
    );
  }, 900_000);
});
