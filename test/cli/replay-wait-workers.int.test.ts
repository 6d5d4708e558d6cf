import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openRuntime } from '../../src/app/runtime.ts';
import { startWorkers, stopWorkers } from '../../src/app/workers.ts';
import type { ReplayReport } from '../../src/cli/replay.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { services } from '../helpers/services.ts';
import { runCli, tempDir, uid } from '../prove/helpers.ts';

/**
 * `replay --wait` beside a running worker: whichever process applied a report, the replay
 * says what was done to its tickets (blind37 L6: the worker took the jobs, and the replay
 * printed "tickets: {}" for reports it had created, resolved and reopened tickets for).
 */
describe('replay --wait with another worker running', () => {
  it("counts each report's ticket actions, whoever applied them", async () => {
    const dir = tempDir('replay-wait');
    const env = { REDIS_URL: services().REDIS_URL!, REDIS_PREFIX: `rw${uid()}`, MAIL_STORE_DIR: join(dir, 'mail'), TICKET_SINK: 'file', TICKET_DIR: join(dir, 'tickets'), LOG_LEVEL: 'error' };
    // the worker already waiting on the queues takes the jobs as they come
    const runtime = await openRuntime(loadConfig(env), createLogger({ level: 'silent' }));
    const workers = startWorkers(runtime, ['resolve', 'ticket'], { concurrency: 16 });
    try {
      await Promise.all(workers.map((w) => w.waitUntilReady()));
      const { code, output } = await runCli(['replay', '--wait', '--json', 'examples/01-contoso-duplicate-upn-proxy-federated.eml'], env);
      expect(code, output).toBe(0);
      const report = JSON.parse(output.trim().split('\n').at(-1)!) as ReplayReport;
      expect(report.worked).toBe('here');
      const [only] = report.mails[0]!.reports;
      expect(only!.errors).toBeGreaterThan(0);
      expect(only!.tickets).toEqual({ create: only!.errors });
      expect(report.totals.tickets).toEqual({ create: only!.errors });
    } finally {
      await stopWorkers(workers, runtime);
    }
  }, 120_000);
});
