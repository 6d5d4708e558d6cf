import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { SingleBar } from 'cli-progress';
import { cliConfig } from '../app/cli-support.ts';
import { PermanentError } from '../errors.ts';
import { exportDirectory } from '../resolve/snapshot/export-graph.ts';
import { importCsv } from '../resolve/snapshot/import-csv.ts';
import { describeAge } from '../resolve/snapshot/snapshot-lookup.ts';
import { newestSnapshots, saveSnapshot } from '../resolve/snapshot/snapshot-store.ts';
import { domainsSeen, SNAPSHOT_FORMAT, type SnapshotHeader } from '../resolve/snapshot/snapshot-format.ts';
import { tenantGraphClient, tenantsFromConfig } from '../resolve/tenant-client.ts';

/** What `syncdesk snapshot export|import|list` does (loaded when it runs; see snapshot-command.ts). */

export interface SnapshotImportOptions {
  tenantId?: string;
  tenantName?: string;
  domain?: string[];
  takenAt?: Date;
  type?: 'user' | 'group' | 'contact';
}

export async function exportSnapshot(opts: { tenant?: string }): Promise<void> {
  const config = cliConfig();
  const tenants = tenantsFromConfig(config)?.tenants ?? [];
  const wanted = opts.tenant?.toLowerCase();
  const matching = tenants.filter((t) => !wanted || t.tenantId.toLowerCase() === wanted || t.name?.toLowerCase() === wanted || t.domains.includes(wanted));
  if (matching.length !== 1) {
    fail(tenants.length ? `--tenant must name one of: ${tenants.map((t) => t.name ?? t.tenantId).join(', ')}` : 'Microsoft Graph is not configured (GRAPH_TENANT_ID, GRAPH_CLIENT_ID and a secret; or GRAPH_TENANTS_FILE)');
    return;
  }
  const tenant = matching[0]!;
  const bar = process.stderr.isTTY ? new SingleBar({ format: '{collection} {value} objects', stream: process.stderr }) : null;
  bar?.start(0, 0, { collection: 'users' });
  const objects = [];
  for await (const o of exportDirectory(tenantGraphClient(tenant, config.graph), (collection, total) => bar?.update(total, { collection }))) objects.push(o);
  bar?.stop();
  const header: SnapshotHeader = {
    format: SNAPSHOT_FORMAT,
    version: 1,
    tenant: { id: tenant.tenantId, name: tenant.name, domains: [...new Set([...tenant.domains, ...domainsSeen(objects)])] },
    takenAt: new Date().toISOString(),
    source: 'graph',
    warnings: [],
  };
  const saved = await saveSnapshot(config.graph.snapshotDir, header, objects);
  process.stdout.write(`snapshot of ${tenant.name ?? tenant.tenantId}: ${saved.count} objects → ${saved.path}\n`);
}

export async function importSnapshot(file: string, opts: SnapshotImportOptions): Promise<void> {
  const config = cliConfig();
  try {
    const imported = importCsv(readCsv(file), basename(file), opts.type);
    const takenAt = opts.takenAt ?? new Date();
    const domains = (opts.domain ?? imported.domains).map((d) => d.toLowerCase());
    const header: SnapshotHeader = {
      format: SNAPSHOT_FORMAT,
      version: 1,
      tenant: { id: opts.tenantId ?? null, name: opts.tenantName ?? null, domains },
      takenAt: takenAt.toISOString(),
      source: `${imported.format} export ${basename(file)}`,
      warnings: imported.warnings,
    };
    const saved = await saveSnapshot(config.graph.snapshotDir, header, imported.objects);
    process.stdout.write(`${imported.format}: ${saved.count} objects → ${saved.path}\n`);
    for (const w of imported.warnings) process.stderr.write(`warning: ${w}\n`);
  } catch (err) {
    if (err instanceof PermanentError) return fail(err.message);
    throw err;
  }
}

/** The export's text; a file that cannot be read is said in a line, as a broken one is. */
function readCsv(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    throw new PermanentError(`cannot read ${file}: ${why}`, 'snapshot_unreadable');
  }
}

export function listSnapshots(): void {
  const config = cliConfig();
  const list = newestSnapshots(config.graph.snapshotDir);
  if (!list.length) process.stdout.write(`no snapshots in ${config.graph.snapshotDir}\n`);
  for (const s of list) {
    const t = s.header.tenant;
    process.stdout.write(`${t.name ?? t.id ?? t.domains[0] ?? '?'}  ${s.header.takenAt} (${describeAge(s.header.takenAt, new Date())})  ${s.header.source}  ${s.path}\n`);
  }
}

function fail(message: string): void {
  process.stderr.write(`syncdesk snapshot: ${message}\n`);
  process.exitCode = 2;
}
