import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DirectoryLookup, DirectoryLookupFor, LookupAnswer, TenantRoute } from '../directory-lookup.ts';
import { createTenantDirectory, type TenantEntry } from '../tenants.ts';
import { readSnapshot, SnapshotHeaderSchema, writeSnapshot, type SnapshotHeader, type SnapshotObjectInput } from './snapshot-format.ts';
import { createSnapshotLookup } from './snapshot-lookup.ts';

/**
 * The folder of snapshots: one subfolder per tenant, one file per snapshot, named by the
 * time it was taken, so the newest is the last name. MSPs keep many tenants side by side.
 */

export interface StoredSnapshot {
  path: string;
  header: SnapshotHeader;
}

/** A folder name for a tenant: its id, else its first domain, else its name. */
export function tenantSlug(tenant: SnapshotHeader['tenant']): string {
  const raw = tenant.id ?? tenant.domains[0] ?? tenant.name ?? 'tenant';
  return raw.toLowerCase().replace(/[^a-z0-9.-]+/g, '-').replace(/^-+|-+$/g, '') || 'tenant';
}

const fileName = (takenAt: string): string => `${new Date(takenAt).toISOString().replace(/[:.]/g, '-')}.jsonl.gz`;

export async function saveSnapshot(dir: string, header: SnapshotHeader, objects: Iterable<SnapshotObjectInput> | AsyncIterable<SnapshotObjectInput>): Promise<{ path: string; count: number }> {
  const folder = join(dir, tenantSlug(header.tenant));
  mkdirSync(folder, { recursive: true });
  const path = join(folder, fileName(header.takenAt));
  const count = await writeSnapshot(path, header, objects);
  writeFileSync(headerPath(path), `${JSON.stringify(header, null, 2)}\n`);
  return { path, count };
}

/** The header beside each snapshot: listing tenants must not unpack every snapshot. */
const headerPath = (path: string): string => path.replace(/\.jsonl\.gz$/, '.header.json');

function readHeader(path: string): SnapshotHeader | null {
  try {
    const parsed = SnapshotHeaderSchema.safeParse(JSON.parse(readFileSync(headerPath(path), 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The newest readable snapshot of every tenant in the folder. */
export function newestSnapshots(dir: string): StoredSnapshot[] {
  if (!existsSync(dir)) return [];
  const out: StoredSnapshot[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const files = readdirSync(join(dir, entry.name)).filter((f) => f.endsWith('.jsonl.gz')).sort().reverse();
    for (const f of files) {
      const header = readHeader(join(dir, entry.name, f));
      if (header) {
        out.push({ path: join(dir, entry.name, f), header });
        break;
      }
    }
  }
  return out;
}

/** A snapshot's tenant as the tenant router knows tenants (no credentials: it is never asked live). */
function asTenant(s: StoredSnapshot): TenantEntry {
  const { id, name, domains } = s.header.tenant;
  return { tenantId: id ?? `snapshot:${tenantSlug(s.header.tenant)}`, name, domains: domains.map((d) => d.toLowerCase()), forwarders: [] };
}

export interface SnapshotDirectory {
  /** Routes a report to the tenant of a snapshot, by its id, domain or name. */
  route: TenantRoute;
  /** Whether this tenant came from a snapshot (and not from the Graph configuration). */
  owns(tenant: TenantEntry): boolean;
  /** The lookup over that tenant's newest snapshot, read when first asked. */
  lookup(tenant: TenantEntry): DirectoryLookup;
}

/**
 * The snapshots of a folder as tenants and lookups. The folder is listed once, when the
 * worker starts: a snapshot imported later is used by the next worker started.
 */
export function loadSnapshotDirectory(dir: string, now: () => Date = () => new Date()): SnapshotDirectory {
  const stored = newestSnapshots(dir);
  const tenants = new Map(stored.map((s) => [asTenant(s), s] as const));
  const directory = createTenantDirectory([...tenants.keys()]);
  const lookups = new Map<TenantEntry, Promise<DirectoryLookup>>();
  return {
    route(report) {
      if (!stored.length) return { note: `no directory snapshot in ${dir}` };
      const m = directory.match(report);
      return m.ok ? { tenant: m.tenant } : { note: `${m.reason.replace('no entry in the tenants file', 'no snapshot of it')}` };
    },
    owns: (tenant) => tenants.has(tenant),
    lookup(tenant) {
      const s = tenants.get(tenant);
      if (!s) throw new Error(`no snapshot for tenant ${tenant.tenantId}`);
      return {
        async findHolders(queries): Promise<LookupAnswer[]> {
          let loading = lookups.get(tenant);
          if (!loading) {
            loading = readSnapshot(s.path).then((snapshot) => createSnapshotLookup(snapshot, now));
            // a file that could not be read is tried again next time, not remembered as broken
            loading.catch(() => lookups.delete(tenant));
            lookups.set(tenant, loading);
          }
          return (await loading).findHolders(queries);
        },
      };
    },
  };
}

/**
 * Graph where it is configured for the report's tenant, else the tenant's newest snapshot:
 * the route and the lookups of both, as one. A report neither knows keeps Graph's note.
 */
export function graphThenSnapshots(graph: { route: TenantRoute; lookupFor: DirectoryLookupFor }, snapshots: SnapshotDirectory): { route: TenantRoute; lookupFor: DirectoryLookupFor } {
  return {
    route(report) {
      const live = graph.route(report);
      if ('tenant' in live) return live;
      const stored = snapshots.route(report);
      return 'tenant' in stored ? stored : live;
    },
    lookupFor: (tenant) => (snapshots.owns(tenant) ? snapshots.lookup(tenant) : graph.lookupFor(tenant)),
  };
}
