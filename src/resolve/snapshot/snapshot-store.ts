import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PermanentError } from '../../errors.ts';
import { diskFix } from '../../write-atomic.ts';
import type { ReportRef } from '../../../schemas/jobs.schema.ts';
import type { DirectoryLookup, DirectoryLookupFor, LookupAnswer, TenantRoute } from '../directory-lookup.ts';
import { isInitialDomain } from '../initial-domain.ts';
import { createTenantDirectory, type TenantEntry } from '../tenants.ts';
import { FULL_COVERAGE, OBJECT_TYPES, readSnapshot, SNAPSHOT_FILE_MODE, SnapshotHeaderSchema, writeSnapshot, type ObjectType, type SnapshotHeader, type SnapshotObjectInput } from './snapshot-format.ts';
import { createSnapshotLookup, describeAge } from './snapshot-lookup.ts';

/**
 * The folder of snapshots: one subfolder per tenant, one file per snapshot, named by the
 * time it was taken, so the newest is the last name. MSPs keep many tenants side by side.
 * A file may hold some object types only (Get-MgUser, then Get-MgGroup): a tenant's
 * directory is, for each type, the newest file that holds it.
 */

export interface StoredSnapshot {
  path: string;
  header: SnapshotHeader;
}

/** A file of a tenant's directory and the object types it is the newest for. */
export interface SnapshotPart extends StoredSnapshot {
  types: ObjectType[];
}

/** One tenant's directory: who it is (every part's domains), and its parts, newest first. */
export interface StoredTenant {
  tenant: SnapshotHeader['tenant'];
  parts: SnapshotPart[];
}

/** A folder name for a tenant: its id, else its first domain, else its name; never `.` nor `..` (a domain given as `..` wrote above the folder). */
function tenantSlug(tenant: SnapshotHeader['tenant']): string {
  const raw = tenant.id ?? tenant.domains[0] ?? tenant.name ?? 'tenant';
  return raw.toLowerCase().replace(/[^a-z0-9.-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '') || 'tenant';
}

const fileName = (takenAt: string): string => `${new Date(takenAt).toISOString().replace(/[:.]/g, '-')}.jsonl.gz`;

/**
 * A folder for a tenant not stored yet: its slug, numbered when a folder of that name is
 * there already (another tenant's: two names can make one slug, and `..` makes `tenant`).
 */
function newTenantFolder(dir: string, tenant: SnapshotHeader['tenant']): string {
  const slug = tenantSlug(tenant);
  for (let n = 2, name = slug; ; name = `${slug}-${n++}`) if (!existsSync(join(dir, name))) return name;
}

/** Folders of snapshots: the files are the service's group's to read (SNAPSHOT_FILE_MODE), the folder too, nobody else's: a folder's name is a customer's domain. */
const SNAPSHOT_DIR_MODE = 0o750;

/**
 * Saves a snapshot into `folder` (a tenant's; default: its tenant's stored folder, else a new
 * one). The tenant's older snapshots it supersedes for every object type they hold are
 * removed (`removed`): a snapshot is a copy of everyone in the directory, and lookups read
 * only the newest of each type. The one saved is kept even when it is older than those there.
 */
export async function saveSnapshot(
  dir: string,
  header: SnapshotHeader,
  objects: Iterable<SnapshotObjectInput> | AsyncIterable<SnapshotObjectInput>,
  folder = tenantFolderFor(dir, header.tenant) ?? newTenantFolder(dir, header.tenant),
): Promise<{ path: string; count: number; removed: number }> {
  try {
    mkdirSync(join(dir, folder), { recursive: true, mode: SNAPSHOT_DIR_MODE });
    const path = join(dir, folder, fileName(header.takenAt));
    const count = await writeSnapshot(path, header, objects);
    writeFileSync(headerPath(path), `${JSON.stringify(header, null, 2)}\n`, { mode: SNAPSHOT_FILE_MODE });
    return { path, count, removed: removeSuperseded(dir, folder, path) };
  } catch (err) {
    if (!(err as NodeJS.ErrnoException).code) throw err;
    // "EACCES: permission denied, mkdir '.syncdesk/snapshots/…'" named neither the setting nor the fix
    const fix = diskFix(err) ?? 'make it writable for the user syncdesk runs as, or set SNAPSHOT_DIR to a folder that is';
    throw new PermanentError(`SNAPSHOT_DIR ${resolve(dir)}: ${(err as Error).message} (${fix})`, 'snapshot_dir', { cause: err });
  }
}

/** Removes the folder's snapshots that answer for no object type any more (but `keep`); a file whose header cannot be read is left alone. */
function removeSuperseded(dir: string, folder: string, keep: string): number {
  const live = new Set(storedTenants(dir).find((t) => t.folder === folder)?.parts.map((p) => p.path) ?? []);
  if (!live.size) return 0;
  let removed = 0;
  for (const f of readdirSync(join(dir, folder)).filter((n) => n.endsWith('.jsonl.gz'))) {
    const path = join(dir, folder, f);
    if (path === keep || live.has(path) || !readHeader(path)) continue;
    // objects first: a header left alone is never listed (the listing goes by the objects files)
    rmSync(path, { force: true });
    rmSync(headerPath(path), { force: true });
    removed++;
  }
  return removed;
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

/** Every tenant of the folder, by its subfolder name. */
/**
 * The snapshot files in `dir` this process cannot read (imported by another user, root say,
 * into files its group cannot read): `storedTenants` passes over them, so `snapshot list` and
 * doctor name them rather than leave a tenant out without a word.
 */
export function unreadableSnapshots(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const folder = join(dir, entry.name);
    let files: string[];
    try {
      files = readdirSync(folder);
    } catch {
      out.push(folder);
      continue;
    }
    for (const f of files.filter((n) => n.endsWith('.jsonl.gz') || n.endsWith('.header.json'))) {
      try {
        accessSync(join(folder, f), constants.R_OK);
      } catch {
        out.push(join(folder, f));
      }
    }
  }
  return out;
}

/** What `snapshot list` and doctor say of `unreadableSnapshots`. */
export function unreadableLine(paths: string[]): string {
  const named = `${paths.slice(0, 3).join(', ')}${paths.length > 3 ? ', …' : ''}`;
  return `${paths.length} snapshot file(s) or folder(s) this user cannot read, passed over: ${named} (imported by another user, root say): chown them to the user syncdesk runs as, or import as that user`;
}

export function storedTenants(dir: string): Array<StoredTenant & { folder: string }> {
  if (!existsSync(dir)) return [];
  const out: Array<StoredTenant & { folder: string }> = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const parts: SnapshotPart[] = [];
    const open = new Set<ObjectType>(OBJECT_TYPES);
    const files = readdirSync(join(dir, entry.name)).filter((f) => f.endsWith('.jsonl.gz')).sort().reverse();
    for (const f of files) {
      const header = readHeader(join(dir, entry.name, f));
      const types = (header?.coverage ?? FULL_COVERAGE).types.filter((t) => open.has(t));
      if (!header || !types.length) continue;
      for (const t of types) open.delete(t);
      parts.push({ path: join(dir, entry.name, f), header, types });
      if (!open.size) break;
    }
    if (!parts.length) continue;
    const newest = parts[0]!.header.tenant;
    const domains = [...new Set(parts.flatMap((p) => p.header.tenant.domains.map((d) => d.toLowerCase())))];
    const tenant = { id: newest.id ?? parts.find((p) => p.header.tenant.id)?.header.tenant.id ?? null, name: newest.name ?? parts.find((p) => p.header.tenant.name)?.header.tenant.name ?? null, domains };
    out.push({ folder: entry.name, tenant, parts });
  }
  return out;
}

/**
 * The stored tenant a new snapshot of `tenant` belongs to: the one with its id, else its name,
 * else one of its domains. Null for none; an error naming them when several would do.
 */
export function tenantFolderFor(dir: string, tenant: SnapshotHeader['tenant']): string | null {
  const lower = (s: string | null): string | null => s?.trim().toLowerCase() || null;
  const stored = storedTenants(dir);
  const domains = new Set(tenant.domains.map((d) => d.toLowerCase()));
  const tests: Array<(t: StoredTenant) => boolean> = [
    (t) => !!tenant.id && lower(t.tenant.id) === lower(tenant.id),
    (t) => !!tenant.name && lower(t.tenant.name) === lower(tenant.name),
    (t) => t.tenant.domains.some((d) => domains.has(d)),
  ];
  for (const test of tests) {
    const hits = stored.filter(test);
    if (hits.length > 1) throw new Error(`it matches the snapshots of ${hits.length} tenants (${hits.map(label).join(', ')}): say which with --tenant-id, --tenant-name or --domain`);
    const hit = hits[0];
    if (!hit) continue;
    // a domain shared with a tenant of another name or id (a migrated user's old address, a
    // divestiture) is no reason to join, nor to rename, that tenant's snapshot
    const other = (tenant.id && hit.tenant.id && lower(hit.tenant.id) !== lower(tenant.id)) || (tenant.name && hit.tenant.name && lower(hit.tenant.name) !== lower(tenant.name));
    if (other) {
      const shared = hit.tenant.domains.filter((d) => domains.has(d));
      throw new Error(
        `it shares ${shared.join(', ')} with the snapshot of another tenant, ${label(hit)} (${hit.folder}): give this tenant's own domains with --domain, or --tenant-name '${label(hit)}' if it is that tenant`,
      );
    }
    return hit.folder;
  }
  return null;
}

/** Which file answers for which object types, and how old each is (`snapshot list`, `doctor`). */
export function describeParts(t: StoredTenant, now = new Date()): string {
  const all = t.parts.length === 1 && t.parts[0]!.types.length === OBJECT_TYPES.length;
  const parts = t.parts.map((p) => `${all ? '' : `${p.types.join(', ')}: `}${p.header.takenAt} (${describeAge(p.header.takenAt, now)}) ${p.header.source}`);
  const missing = OBJECT_TYPES.filter((type) => !t.parts.some((p) => p.types.includes(type)));
  return [...parts, ...(missing.length ? [`no ${missing.join(', ')}`] : [])].join('; ');
}

export function label(t: StoredTenant): string {
  return t.tenant.name ?? t.tenant.id ?? t.tenant.domains[0] ?? '?';
}

/** A snapshot's tenant as the tenant router knows tenants (no credentials: it is never asked live). */
function asTenant(s: StoredTenant): TenantEntry {
  const { id, name, domains } = s.tenant;
  return { tenantId: id ?? `snapshot:${tenantSlug(s.tenant)}`, name, domains, forwarders: [] };
}

export interface SnapshotDirectory {
  /** Routes a report to the tenant of a snapshot, by its id, domain or name. */
  route: TenantRoute;
  /** Whether this tenant came from a snapshot (and not from the Graph configuration). */
  owns(tenant: TenantEntry): boolean;
  /** The lookup over that tenant's snapshot parts, read when first asked. */
  lookup(tenant: TenantEntry): DirectoryLookup;
  /**
   * The key a report of a snapshot's tenant is named by, whichever way it names the tenant (the
   * DirSync era's "for tenant NAME.", the later "[NAME.onmicrosoft.com]"): the tenant's initial
   * domain, what the later layout names it by, else its first domain, else its id. Null for a
   * report of no snapshot's tenant.
   */
  keyOf(report: ReportRef): string | null;
  /** The name of the snapshot's tenant a report is of (Graph's display name, or the one given at import); null for none. */
  nameOf(report: ReportRef): string | null;
}

/**
 * The snapshots of a folder as tenants and lookups. The folder is listed once, when the
 * worker starts: a snapshot imported later is used by the next worker started.
 */
export function loadSnapshotDirectory(dir: string, now: () => Date = () => new Date(), maxAgeDays?: number): SnapshotDirectory {
  const stored = storedTenants(dir);
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
    keyOf(report) {
      const m = stored.length ? directory.match(report) : null;
      if (!m?.ok) return null;
      const { domains, tenantId } = m.tenant;
      return (domains.find(isInitialDomain) ?? domains[0] ?? tenantId).toLowerCase();
    },
    nameOf(report) {
      const m = stored.length ? directory.match(report) : null;
      return m?.ok ? m.tenant.name : null;
    },
    lookup(tenant) {
      const s = tenants.get(tenant);
      if (!s) throw new Error(`no snapshot for tenant ${tenant.tenantId}`);
      const loaded = (): Promise<DirectoryLookup> => {
        let loading = lookups.get(tenant);
        if (!loading) {
          loading = Promise.all(s.parts.map(async (part) => ({ ...part, objects: (await readSnapshot(part.path)).objects }))).then((parts) => createSnapshotLookup({ label: label(s), parts }, now, maxAgeDays));
          // a file that could not be read is tried again next time, not remembered as broken
          loading.catch(() => lookups.delete(tenant));
          lookups.set(tenant, loading);
        }
        return loading;
      };
      return {
        async findHolders(queries): Promise<LookupAnswer[]> {
          return (await loaded()).findHolders(queries);
        },
        async findByAnchor(anchors) {
          const lookup = await loaded();
          return lookup.findByAnchor ? lookup.findByAnchor(anchors) : anchors.map(() => null);
        },
      };
    },
  };
}

/**
 * Graph where it is configured for the report's tenant, else the tenant's snapshot: the
 * route and the lookups of both, as one. A report neither knows keeps both notes.
 */
export function graphThenSnapshots(graph: { route: TenantRoute; lookupFor: DirectoryLookupFor }, snapshots: SnapshotDirectory): { route: TenantRoute; lookupFor: DirectoryLookupFor } {
  return {
    route(report) {
      const live = graph.route(report);
      if ('tenant' in live) return live;
      const stored = snapshots.route(report);
      // one sentence after another: the first may end in its own stop
      return 'tenant' in stored ? stored : { note: `${live.note.replace(/[.;]\s*$/, '')}; ${stored.note}` };
    },
    lookupFor: (tenant) => (snapshots.owns(tenant) ? snapshots.lookup(tenant) : graph.lookupFor(tenant)),
  };
}
