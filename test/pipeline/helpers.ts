import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'bullmq';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { openRuntime, type Runtime } from '../../src/app/runtime.ts';
import { QUEUE_NAMES, type QueueName } from '../../src/queues.ts';
import { services } from '../helpers/services.ts';

/** A runtime on the test Redis with its own key prefix and its own mail/ticket folders. */
export async function testRuntime(extraEnv: Record<string, string> = {}): Promise<{ runtime: Runtime; dir: string; env: Record<string, string> }> {
  const dir = mkdtempSync(join(tmpdir(), 'syncdesk-pipeline-'));
  const env = {
    REDIS_URL: services().REDIS_URL!,
    REDIS_PREFIX: `t${randomUUID().slice(0, 8)}`,
    TICKET_SINK: 'file',
    TICKET_DIR: join(dir, 'tickets'),
    MAIL_STORE_DIR: join(dir, 'mail'),
    TRUST_POLICY: 'off',
    LOG_LEVEL: 'silent',
    ...extraEnv,
  };
  const config = loadConfig(env);
  const runtime = await openRuntime(config, createLogger({ level: 'silent' }));
  return { runtime, dir, env };
}

/** A test's teardown: its workers closed, every queue of its prefix emptied, its runtime closed. */
export async function closeTestRuntime(runtime: Runtime | undefined, workers: Worker[] = []): Promise<void> {
  await Promise.all(workers.map((w) => w.close()));
  if (!runtime) return;
  for (const name of Object.keys(QUEUE_NAMES) as QueueName[]) await runtime.queues.byName(name).obliterate({ force: true }).catch(() => undefined);
  await runtime.close();
}

/** Tickets the file sink wrote: one `<id>.json` per ticket. */
export function readTickets(ticketDir: string): Array<{ id: string; key: string; status: string; summary: string; notes: unknown[] }> {
  let names: string[];
  try {
    names = readdirSync(ticketDir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.endsWith('.json'))
    .map((n) => JSON.parse(readFileSync(join(ticketDir, n), 'utf8')) as { id: string; key: string; status: string; summary: string; notes: unknown[] });
}

export function fixture(name: string): Buffer {
  return readFileSync(new URL(`../fixtures/reports/${name}`, import.meta.url));
}

/** Resolves when `count` jobs of `worker` have completed. */
export function completions(worker: Worker, count: number): Promise<void> {
  return new Promise((resolve) => {
    let n = 0;
    worker.on('completed', () => {
      if (++n >= count) resolve();
    });
  });
}

export { bigReport } from './big-report.ts';
