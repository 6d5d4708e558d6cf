import type { Worker } from 'bullmq';
import { metricsHooks } from '../admin/instrument.ts';
import { createMetrics } from '../admin/metrics.ts';
import type { AdminServer } from '../admin/server.ts';
import { startAdmin } from '../admin/start-admin.ts';
import { cliConfig, cliLogger } from '../app/cli-support.ts';
import { openRuntime, type Runtime } from '../app/runtime.ts';
import { runUntilSignal, stopIfStartFails } from '../app/shutdown.ts';
import { stopWorkers } from '../app/workers.ts';
import { warnIfEvicting } from '../redis/eviction.ts';
import type { Listener } from './listen.ts';
import { checkProxy } from '../doctor/proxy-check.ts';

/** What a service started: its workers and its listener (the admin server reports on them), and what else stops with it. */
export interface ServiceParts {
  workers?: Worker[];
  mailbox?: Listener | null;
  /** Stopped first, in this order (the listener before the workers: no new report while they finish). */
  stops?: Array<() => Promise<void> | void>;
}

/**
 * The life of a long-running command (`start`, `worker`, `listen`), the same for each: its
 * config and log as a service's (JSON, whatever the terminal), metrics, the runtime, a warning
 * when Redis may evict, then the command's parts and the admin server over them. A part that
 * fails to start stops what had started; on SIGTERM, SIGINT or SIGHUP everything stops within
 * SHUTDOWN_TIMEOUT_SECONDS (the admin server, the parts, the workers, then Redis).
 * `start` is called with `adding`, to register what must stop even if a later part fails.
 */
export async function runService(
  opts: { adminPort?: number },
  start: (runtime: Runtime, adding: (parts: ServiceParts) => void) => Promise<{ ready: () => void }>,
): Promise<never> {
  const config = cliConfig({ overrides: { 'admin.port': opts.adminPort }, interactive: false });
  const logger = cliLogger(config, { interactive: false });
  const metrics = createMetrics();
  const runtime = await openRuntime(config, logger, metricsHooks(metrics));
  await warnIfEvicting(runtime.redis.client, logger);
  // a proxy Graph lookups would go around fails every lookup: said at start, not only by doctor
  for (const row of checkProxy(process.env)) if (row.status === 'warn') logger.warn({ action: 'proxy', fix: row.fix }, row.detail);
  const parts: Required<ServiceParts> = { workers: [], mailbox: null, stops: [] };
  const adding = (more: ServiceParts): void => {
    parts.workers.push(...(more.workers ?? []));
    if (more.mailbox) parts.mailbox = more.mailbox;
    parts.stops.push(...(more.stops ?? []));
  };
  let admin: AdminServer | null = null;
  const stop = async (): Promise<void> => {
    await admin?.close();
    for (const part of parts.stops) await part();
    await stopWorkers(parts.workers, runtime);
  };
  let ready = (): void => undefined;
  await stopIfStartFails(stop, async () => {
    ({ ready } = await start(runtime, adding));
    admin = await startAdmin(runtime, metrics, { workers: parts.workers, mailbox: parts.mailbox });
  });
  ready();
  return runUntilSignal(stop, config.shutdownTimeoutSeconds, logger);
}
