import type { Command } from 'commander';
import type { DemoOptions } from './demo.ts';
import { numberAtLeast } from './usage.ts';

/**
 * `syncdesk demo`: the whole pipeline on the embedded default, on the bundled sample
 * reports. Starts the private Redis (unless REDIS_URL is set), writes tickets as files,
 * parses each mail as it is ingested and runs resolve → ticket in this process until the queues are empty, and prints
 * what happened. Running it again creates nothing new: the mails are recognised.
 */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run the sample reports through parse → resolve → ticket on the embedded Redis and file sink, and summarise')
    .option('--dir <dir>', 'folder of report mails to use instead of the bundled examples/')
    .option('--timeout <seconds>', 'give up waiting for the queues after this long', numberAtLeast(1), 300)
    .action(async (opts: DemoOptions) => {
      const { runDemo } = await import('./demo.ts');
      process.exitCode = await runDemo(opts);
    });
}
