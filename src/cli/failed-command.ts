import type { Job } from 'bullmq';
import type { Command } from 'commander';
import { cliConfig, cliLogger, writeRows } from '../app/cli-support.ts';
import { createQueues, QUEUE_NAMES, type QueueName, type Queues } from '../queues.ts';
import { openRedis } from '../redis/connection.ts';
import { failureCode } from '../app/run-worker.ts';

/**
 * `syncdesk failed list` and `syncdesk failed retry <id> | --all`: jobs that failed for
 * good stay in Redis with their reason until retried here.
 */

export interface FailedJobInfo {
  queue: QueueName;
  id: string;
  name: string;
  attempts: number;
  code: string | null;
  reason: string;
  failedAt: string | null;
}

export async function listFailed(queues: Queues, limit = 1000): Promise<FailedJobInfo[]> {
  const out: FailedJobInfo[] = [];
  for (const queue of Object.keys(QUEUE_NAMES) as QueueName[]) {
    const jobs = (await queues.byName(queue).getFailed(0, limit - 1)) as Job[];
    for (const job of jobs) {
      if (!job) continue;
      out.push({
        queue,
        id: String(job.id),
        name: job.name,
        attempts: job.attemptsMade,
        code: failureCode(job.failedReason),
        reason: job.failedReason ?? '',
        failedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
      });
    }
  }
  return out.sort((a, b) => (b.failedAt ?? '').localeCompare(a.failedAt ?? ''));
}

/** Re-queues failed jobs (one by id, or all); returns the ids re-queued. */
export async function retryFailed(queues: Queues, target: { id?: string; all?: boolean }): Promise<string[]> {
  const failed = await listFailed(queues, 100_000);
  const chosen = target.all ? failed : failed.filter((f) => f.id === target.id);
  const done: string[] = [];
  for (const f of chosen) {
    const job = await queues.byName(f.queue).getJob(f.id);
    if (!job) continue;
    // a fresh set of attempts: the cause was fixed (or is worth another full try)
    await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    done.push(f.id);
  }
  return done;
}

async function withQueues<T>(fn: (queues: Queues) => Promise<T>): Promise<T> {
  const config = cliConfig();
  const redis = await openRedis(config, cliLogger(config));
  const queues = createQueues(redis.client, redis.prefix);
  try {
    return await fn(queues);
  } finally {
    await queues.close();
    await redis.close();
  }
}

export function registerFailedCommand(program: Command): void {
  const failed = program.command('failed').description('jobs that failed for good: list them, retry them');
  failed
    .command('list')
    .description('list failed jobs with their reason')
    .option('--json', 'one JSON object per line')
    .action(async (opts: { json?: boolean }) => {
      const rows = await withQueues((q) => listFailed(q));
      writeRows(rows, {
        json: opts.json,
        empty: 'no failed jobs',
        line: (r) => `${r.queue}\t${r.id}\t${r.failedAt ?? '-'}\tattempts ${r.attempts}\t${r.reason}`,
        footer: (n) => `${n} failed job${n === 1 ? '' : 's'}; retry with \`syncdesk failed retry <id>\` or \`--all\``,
      });
    });
  failed
    .command('retry [id]')
    .description('put a failed job (or all of them) back in its queue')
    .option('--all', 'retry every failed job')
    .action(async (id: string | undefined, opts: { all?: boolean }) => {
      if (!id && !opts.all) throw new Error('give a job id or --all');
      const done = await withQueues((q) => retryFailed(q, { id, all: opts.all }));
      if (!done.length) {
        process.stdout.write(id ? `no failed job with id ${id}\n` : 'no failed jobs\n');
        process.exitCode = id ? 1 : 0;
        return;
      }
      process.stdout.write(`re-queued ${done.length} job${done.length === 1 ? '' : 's'}: ${done.join(', ')}\n`);
    });
}
