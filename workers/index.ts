import { pathToFileURL } from 'node:url';
import { applyV8Mode } from '../bin/v8-mode.js';

/**
 * A worker process of its own, `tsx workers/index.ts resolve,ticket` (default: every queue):
 * exactly `syncdesk worker --queues resolve,ticket`, whose command it runs (admin server and
 * metrics, the wedged-worker guard, shutdown within SHUTDOWN_TIMEOUT_SECONDS), so the two
 * cannot drift apart. Options after the queues are the command's (`--concurrency 8`).
 */
async function run(): Promise<void> {
  // as bin/syncdesk.js runs (why: bin/v8-mode.js), before the heap fills
  applyV8Mode();
  const { main } = await import('../src/cli/main.ts');
  const [queues, ...rest] = process.argv.slice(2);
  const args = queues && !queues.startsWith('-') ? ['--queues', queues, ...rest] : process.argv.slice(2);
  process.exitCode = await main([process.argv[0]!, 'syncdesk', 'worker', ...args]);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void run();
