import { createHash, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Logger } from '../logger.ts';
import type { RedisClient } from '../redis/connection.ts';
import type { Metrics } from './metrics.ts';

/**
 * The admin HTTP server of one process:
 *
 *   GET /metrics        Prometheus text (this process's counters, shared queue depths)
 *   GET /healthz        200 while the process runs
 *   GET /readyz         200 when Redis serves the queues' keys (and the mailbox listener, if any, is connected), else 503 with the reasons
 *   /admin/queues       the bull-board dashboard, behind HTTP Basic; off without a password
 */

const DASHBOARD_PATH = '/admin/queues';
const REDIS_READY_TIMEOUT_MS = 1_000;

/** A mailbox listener's state, named by where it reads: `imap`, or `graph-mailbox` (MAIL_SOURCE=graph). */
export interface MailboxHealth {
  source: 'imap' | 'graph-mailbox';
  connected: boolean;
  lastError: string | null;
}

export interface AdminAppOptions {
  metrics: Metrics;
  logger: Logger;
  redis: RedisClient;
  /**
   * A key in the queues' slot, read for readiness: in a Redis Cluster a node answers PING
   * while the slot of the queues is down (CLUSTERDOWN), and the service can do nothing.
   */
  probeKey: string;
  /** Queues shown on the dashboard. */
  queues: Queue[];
  /** Dashboard login; without a password the dashboard is not served. */
  dashboard: { user: string; password?: string };
  /** Set when this process runs a mailbox listener: readiness then needs it connected. */
  mailbox?: () => MailboxHealth;
}

/** Equal strings in time independent of where they differ (hashes first: lengths may differ). */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The user and password of an `Authorization: Basic …` header, or null. */
export function basicCredentials(header: string | undefined): { user: string; password: string } | null {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return null;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function crossSite(req: Request): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined) return site !== 'same-origin' && site !== 'none';
  const origin = req.headers.origin;
  if (!origin) return false;
  try {
    return new URL(origin).host !== req.headers.host;
  } catch {
    return true;
  }
}

function requireLogin(user: string, password: string) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const given = basicCredentials(req.headers.authorization);
    // both compared always, so the answer takes as long for a wrong user as for a wrong password
    const userOk = sameSecret(given?.user ?? '', user);
    const passwordOk = sameSecret(given?.password ?? '', password);
    if (!given || !userOk || !passwordOk) {
      res.set('WWW-Authenticate', 'Basic realm="syncdesk admin", charset="UTF-8"').status(401).type('text/plain').send('authentication required\n');
      return;
    }
    // Browsers resend Basic credentials on cross-site requests: refuse changes that come from another site.
    if (req.method !== 'GET' && req.method !== 'HEAD' && crossSite(req)) {
      res.status(403).type('text/plain').send('cross-site request refused\n');
      return;
    }
    next();
  };
}

/** Null when Redis answers a read of `key` in time (a connection still being made gets that long too), else why not. */
async function redisReady(redis: RedisClient, key: string): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`redis did not answer within ${REDIS_READY_TIMEOUT_MS} ms (connection ${redis.status})`), REDIS_READY_TIMEOUT_MS);
  });
  const ping = redis.exists(key).then(
    () => null,
    (err: Error) => `redis refused to read the queues: ${err.message}`,
  );
  try {
    return await Promise.race([ping, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function createAdminApp(options: AdminAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (_req, res) => {
    const checks: Record<string, string> = {};
    const reasons: string[] = [];
    const redis = await redisReady(options.redis, options.probeKey);
    checks.redis = redis ?? 'ok';
    if (redis) reasons.push(redis);
    if (options.mailbox) {
      const mailbox = options.mailbox();
      const check = mailbox.connected ? 'ok' : `not connected${mailbox.lastError ? ` (${mailbox.lastError})` : ''}`;
      checks[mailbox.source] = check;
      if (!mailbox.connected) reasons.push(`${mailbox.source} ${check}`);
    }
    res.status(reasons.length ? 503 : 200).json(reasons.length ? { status: 'not-ready', reasons, checks } : { status: 'ready', checks });
  });

  app.get('/metrics', async (_req, res) => {
    try {
      const text = await options.metrics.registry.metrics();
      res.type(options.metrics.registry.contentType).send(text);
    } catch (err) {
      res.status(500).type('text/plain').send(`metrics failed: ${(err as Error).message}\n`);
    }
  });

  const { user, password } = options.dashboard;
  if (password) {
    const serverAdapter = new ExpressAdapter();
    serverAdapter.setBasePath(DASHBOARD_PATH);
    createBullBoard({
      queues: options.queues.map((q) => new BullMQAdapter(q)),
      serverAdapter,
      options: { uiConfig: { boardTitle: 'syncdesk' } },
    });
    app.use(DASHBOARD_PATH, requireLogin(user, password), serverAdapter.getRouter());
  } else {
    options.logger.warn(
      { action: 'admin-dashboard-disabled' },
      'queue dashboard disabled: set ADMIN_PASSWORD (or ADMIN_PASSWORD_FILE) to serve it under /admin/queues',
    );
    app.use(DASHBOARD_PATH, (_req, res) => {
      res.status(404).type('text/plain').send('the queue dashboard is disabled: set ADMIN_PASSWORD\n');
    });
  }
  return app;
}

export interface AdminServer {
  /** `http://host:port` actually bound (port 0 asks for a free one). */
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startAdminServer(options: AdminAppOptions & { host: string; port: number }): Promise<AdminServer> {
  const app = createAdminApp(options);
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(options.port, options.host, (err?: Error) => (err ? reject(err) : resolve(s)));
    s.once('error', reject);
  });
  // keep-alive sockets (Prometheus, a browser) must not hold shutdown up
  server.keepAliveTimeout = 5_000;
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const url = `http://${host}:${port}`;
  options.logger.info({ action: 'admin-listening', url, dashboard: Boolean(options.dashboard.password) }, `admin server on ${url}`);
  return {
    url,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
