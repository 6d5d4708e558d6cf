import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { SingleBar } from 'cli-progress';
import { cliConfig } from '../app/cli-support.ts';
import { PermanentError } from '../errors.ts';
import { exportDirectory } from '../resolve/snapshot/export-graph.ts';
import { decodeExport, importCsv } from '../resolve/snapshot/import-csv.ts';
import { describeParts, label, saveSnapshot, storedTenants, tenantFolderFor, unreadableLine, unreadableSnapshots } from '../resolve/snapshot/snapshot-store.ts';
import { domainsSeen, SNAPSHOT_FORMAT, type SnapshotHeader } from '../resolve/snapshot/snapshot-format.ts';
import { tenantGraphClient, tenantsFromConfig } from '../resolve/tenant-client.ts';
import { signsInToGraph } from '../resolve/tenants.ts';

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
    fail(tenants.length ? `--tenant must name one of: ${tenants.map((t) => t.name ?? t.tenantId).join(', ')}` : 'Microsoft Graph is not configured (GRAPH_TENANT_ID, GRAPH_CLIENT_ID and a secret; or GRAPH_TENANTS_FILE)', 2);
    return;
  }
  const tenant = matching[0]!;
  if (!signsInToGraph(tenant)) {
    fail(`tenant ${tenant.name ?? tenant.tenantId} has no Graph sign-in in the tenants file: import its exports instead (\`syncdesk snapshot import\`)`, 2);
    return;
  }
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
  try {
    const saved = await saveSnapshot(config.graph.snapshotDir, header, objects, tenantFolder(config.graph.snapshotDir, header.tenant, tenant.name ?? tenant.tenantId) ?? undefined);
    process.stdout.write(`snapshot of ${tenant.name ?? tenant.tenantId}: ${saved.count} objects → ${saved.path}\n${supersededLine(saved.removed)}`);
  } catch (err) {
    if (err instanceof PermanentError) return fail(err.message);
    throw err;
  }
}

/** What the output says of the older snapshots a new one replaced. */
const supersededLine = (removed: number): string => (removed ? `older snapshots it replaces, removed: ${removed}\n` : '');

export async function importSnapshot(file: string, opts: SnapshotImportOptions): Promise<void> {
  const config = cliConfig();
  try {
    const imported = importCsv(readCsv(file), basename(file), opts.type);
    const takenAt = opts.takenAt ?? new Date();
    const domains = (opts.domain ?? imported.domains).map((d) => d.toLowerCase());
    const tenant = { id: opts.tenantId ?? null, name: opts.tenantName ?? null, domains };
    if (!tenant.id && !tenant.name && !domains.length) {
      throw new PermanentError(`${basename(file)}: nothing in it says whose directory it is (a contact's address is another organisation's): give --tenant-name or --domain`, 'SnapshotImportInvalid');
    }
    // a file of another object type of a tenant already kept joins that tenant's snapshot
    const folder = tenantFolder(config.graph.snapshotDir, tenant, file);
    const header: SnapshotHeader = {
      format: SNAPSHOT_FORMAT,
      version: 1,
      tenant,
      takenAt: takenAt.toISOString(),
      source: `${imported.format} export ${basename(file)}`,
      warnings: imported.warnings,
      coverage: imported.coverage,
    };
    const saved = await saveSnapshot(config.graph.snapshotDir, header, imported.objects, folder ?? undefined);
    process.stdout.write(`${imported.format}: ${saved.count} objects → ${saved.path}\n${supersededLine(saved.removed)}`);
    const kept = storedTenants(config.graph.snapshotDir).find((t) => saved.path.startsWith(join(config.graph.snapshotDir, t.folder, '/')));
    if (kept) process.stdout.write(`tenant ${label(kept)}: domains ${kept.tenant.domains.join(', ') || '(none)'}${opts.domain ? '' : ' (read from its users\' UPNs and its mailboxes\' and groups\' addresses; --domain sets them)'}; ${describeParts(kept)}\n`);
    for (const w of imported.warnings) process.stderr.write(`warning: ${w}\n`);
    // another customer's export under this tenant's name would name that customer's users as holders
    const foreign = opts.domain && imported.domains.length && !imported.domains.some((d) => domains.includes(d.toLowerCase()));
    if (foreign) {
      process.stderr.write(`warning: none of the file's users, mailboxes or groups is in ${domains.join(', ')}: its own are in ${imported.domains.slice(0, 5).join(', ')}. Is it this tenant's export?\n`);
    }
  } catch (err) {
    if (err instanceof PermanentError) return fail(err.message);
    throw err;
  }
}

function tenantFolder(dir: string, tenant: SnapshotHeader['tenant'], file: string): string | null {
  try {
    return tenantFolderFor(dir, tenant);
  } catch (err) {
    throw new PermanentError(`${basename(file)}: ${(err as Error).message}`, 'SnapshotImportInvalid');
  }
}

/** The export's text; a file that cannot be read is said in a line, as a broken one is. */
function readCsv(file: string): string {
  try {
    return decodeExport(readFileSync(file));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    throw new PermanentError(`cannot read ${file}: ${why}`, 'snapshot_unreadable');
  }
}

export function listSnapshots(): void {
  const config = cliConfig();
  const list = storedTenants(config.graph.snapshotDir);
  if (!list.length) process.stdout.write(`no snapshots in ${config.graph.snapshotDir}\n`);
  for (const t of list) process.stdout.write(`${label(t)}  ${describeParts(t)}  ${join(config.graph.snapshotDir, t.folder)}\n`);
  const unread = unreadableSnapshots(config.graph.snapshotDir);
  if (unread.length) process.stderr.write(`syncdesk snapshot: ${unreadableLine(unread)}\n`);
}

/** Exit 1 for an input that was refused (a broken export), 2 for a usage error (README: exit codes). */
function fail(message: string, code: 1 | 2 = 1): void {
  process.stderr.write(`syncdesk snapshot: ${message}\n`);
  process.exitCode = code;
}
