import type { Command } from 'commander';
import { wholeNumber } from './usage.ts';

/**
 * `syncdesk parse <file|dir|mbox>... [--json]`: runs the parser alone on mail files, so an
 * admin can see what syncdesk reads from a report before anything is ticketed.
 * Exit 0 when every input parsed, 1 when some input was rejected, 2 on usage errors.
 */
export function registerParseCommand(program: Command): void {
  program
    .command('parse')
    .description('parse report mails (files, directories, mbox) and print the records')
    .argument('<inputs...>', 'mail files, directories or mbox files')
    .option('--json', 'print a JSON array of the parsed reports')
    .option('--max-bytes <n>', 'reject mails larger than this', wholeNumber(1))
    .action(async (inputs: string[], options: { json?: boolean; maxBytes?: number }) => {
      const { runParse } = await import('./parse.ts');
      process.exitCode = await runParse(inputs, options, process.stdout, process.stderr);
    });
}
