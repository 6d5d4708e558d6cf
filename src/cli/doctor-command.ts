import type { Command } from 'commander';
import { numberAtLeast } from './usage.ts';

/**
 * `syncdesk doctor`: checks the configuration, Redis, the IMAP login and mailbox, Graph
 * (token and a real query per tenant) and the service desk (login and key field), and
 * prints what is wrong and how to fix it. Exit 0 when every check passes, else 1.
 */
export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('check the config, Redis, IMAP, Graph and the service desk; say how to fix what fails')
    .option('--json', 'print the results as JSON')
    .option('--timeout <seconds>', 'per network call', numberAtLeast(1), 15)
    .action(async (opts: { json?: boolean; timeout: number }) => {
      const { formatReport, runDoctor } = await import('../doctor/run-doctor.ts');
      const { runningVersion } = await import('../version.ts');
      const report = await runDoctor({ timeoutMs: opts.timeout * 1000 });
      const width = Math.max(80, Math.min(process.stdout.columns ?? 110, 140));
      // which build answered: two builds of one package version differ
      process.stdout.write(opts.json ? `${JSON.stringify({ version: runningVersion(), ...report }, null, 2)}\n` : `syncdesk ${runningVersion()}\n\n${formatReport(report, width)}`);
      process.exitCode = report.ok ? 0 : 1;
    });
}
