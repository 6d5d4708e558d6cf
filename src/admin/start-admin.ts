import type { Worker } from 'bullmq';
import { tenantNames } from '../resolve/tenants.ts';
import type { Runtime } from '../app/runtime.ts';
import { instrumentWorkers } from './instrument.ts';
import type { Metrics } from './metrics.ts';
import { startAdminServer, type AdminServer, type MailboxHealth } from './server.ts';

/**
 * The admin server of a long-running command (`start`, `worker`, `listen`), from
 * `config.admin`: counts what the workers do and serves /metrics, /healthz, /readyz and
 * the dashboard. Returns null when ADMIN_PORT is 0 or the port is taken (logged).
 */
export async function startAdmin(
  runtime: Runtime,
  metrics: Metrics,
  parts: { workers?: Worker[]; mailbox?: { health(): MailboxHealth } | null } = {},
): Promise<AdminServer | null> {
  const { config, logger } = runtime;
  if (parts.workers) instrumentWorkers(metrics, parts.workers, config.ticket.sink);
  metrics.watchQueues(runtime.queues);
  metrics.nameTenants(tenantNames(runtime.tenants));
  if (parts.mailbox) metrics.watchMailbox(() => parts.mailbox!.health().connected);
  if (config.admin.port === 0) {
    logger.info({ action: 'admin-off' }, 'admin server off (ADMIN_PORT=0): no /metrics, /readyz or dashboard');
    return null;
  }
  const mailbox = parts.mailbox;
  const server = startAdminServer({
    host: config.admin.host,
    port: config.admin.port,
    metrics,
    logger: logger.child({ component: 'admin' }),
    redis: runtime.redis.client,
    probeKey: `${runtime.redis.queuePrefix}:ready-probe`,
    queues: runtime.queues.names.map((name) => runtime.queues.byName(name)),
    dashboard: { user: config.admin.user, password: config.admin.password },
    ...(mailbox ? { mailbox: () => mailbox.health() } : {}),
  });
  return server.catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EADDRINUSE') throw err;
    // several processes on one host: the pipeline matters more than this process's metrics
    logger.error(
      { action: 'admin-port-in-use', host: config.admin.host, port: config.admin.port },
      `admin port ${config.admin.port} is in use: no admin server in this process (give each process its own ADMIN_PORT or --admin-port)`,
    );
    return null;
  });
}
