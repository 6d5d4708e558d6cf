import type { Command } from 'commander';
import type { WorkerOptions } from './worker.ts';
import { portNumber, wholeNumber } from './usage.ts';

/**
 * `syncdesk worker [--queues poll,resolve,ticket,onprem]`: queue workers only, until SIGTERM or
 * SIGINT (running jobs finish first, for at most SHUTDOWN_TIMEOUT_SECONDS). Run several for
 * more throughput; a worker that dies leaves its job to the others after the lock runs out.
 */
export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run queue workers until stopped (SIGTERM/SIGINT let running jobs finish)')
    .option('--queues <list>', 'comma-separated queues to work on: poll (the Graph poll schedule), resolve, ticket, onprem (Active Directory lookups, where the ONPREM_* account is set)', 'poll,resolve,ticket,onprem')
    .option('--concurrency <n>', 'jobs per queue at once (lookups: four times as many)', wholeNumber(1), 2)
    .option('--lock-duration <ms>', "how long a job's lock lives; a crashed worker's job is retried after it (default: 8000)", wholeNumber(1))
    .option('--stalled-interval <ms>', 'how often to look for jobs whose worker died (default: 2000)', wholeNumber(1))
    .option('--admin-port <port>', 'port of the admin server (metrics, health, dashboard); 0: off (default: ADMIN_PORT or 9464)', portNumber)
    .action(async (opts: WorkerOptions) => {
      const { runWorkerCommand } = await import('./worker.ts');
      await runWorkerCommand(opts);
    });
}
