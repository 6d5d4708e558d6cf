import { pathToFileURL } from 'node:url';
import { applyV8Mode } from '../bin/v8-mode.js';
import { cliConfig } from '../src/app/cli-support.ts';
import { onShutdownSignal } from '../src/app/run-worker.ts';
import { openRuntime } from '../src/app/runtime.ts';
import { ensureSchedules, parseRoles, startWorkers, stopWorkers } from '../src/app/workers.ts';
import { stopWithin } from '../src/cli/stop-deadline.ts';
import { createLogger } from '../src/logger.ts';

/**
 * A worker process of its own: `tsx workers/index.ts resolve,ticket` (default: every role).
 * `syncdesk worker` and `syncdesk start` run the same workers in-process (src/app/workers.ts).
 */
async function main(): Promise<void> {
  // as bin/syncdesk.js runs (why: bin/v8-mode.js), before the heap fills
  applyV8Mode();
  const config = cliConfig();
  const logger = createLogger({ level: config.logLevel });
  const runtime = await openRuntime(config, logger);
  const roles = parseRoles(process.argv[2]);
  const workers = startWorkers(runtime, roles);
  await ensureSchedules(runtime, roles);
  // SIGTERM: running jobs finish, for at most SHUTDOWN_TIMEOUT_SECONDS (exit 1 past it)
  onShutdownSignal(() => stopWithin(() => stopWorkers(workers, runtime), config.shutdownTimeoutSeconds, logger), logger);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: Error) => {
    process.stderr.write(`syncdesk worker: ${err.message}\n`);
    process.exit(1);
  });
}
