import { Option, type Command } from 'commander';
import type { SnapshotImportOptions } from './snapshot.ts';
import { dateValue } from './usage.ts';

/**
 * `syncdesk snapshot export|import|list`: a tenant's directory kept as a file, so holders
 * can be named without Graph access (an MSP without app consent yet, the demo).
 */
export function registerSnapshotCommand(program: Command): void {
  const snapshot = program.command('snapshot').description('keep a directory snapshot to resolve holders without live Graph access');

  snapshot
    .command('export')
    .description('read a configured tenant through Microsoft Graph into a snapshot')
    .option('--tenant <id|name|domain>', 'which tenant of the tenants file (default: the only one)')
    .action(async (opts: { tenant?: string }) => {
      const { exportSnapshot } = await import('./snapshot.ts');
      await exportSnapshot(opts);
    });

  snapshot
    .command('import <file>')
    .description('turn an export (Entra "Download users" CSV, Get-MgUser/Get-MgGroup/Get-MgContact or Get-Recipient | Export-Csv) into a snapshot')
    .option('--tenant-id <guid>', "the tenant's id")
    .option('--tenant-name <name>', "the tenant's name as reports state it")
    .option('--domain <domain...>', 'domains reports may name the tenant by (default: those seen in the file)')
    .option('--taken-at <date>', 'when the export was made (default: now)', dateValue)
    .addOption(new Option('--type <type>', 'object type of a Get-Mg* export without a #TYPE line').choices(['user', 'group', 'contact']))
    .action(async (file: string, opts: SnapshotImportOptions) => {
      const { importSnapshot } = await import('./snapshot.ts');
      await importSnapshot(file, opts);
    });

  snapshot
    .command('list')
    .description("each tenant's newest snapshot and its age")
    .action(async () => {
      const { listSnapshots } = await import('./snapshot.ts');
      listSnapshots();
    });
}
