import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { appSignInGaps, type Config } from '../../schemas/config.schema.ts';
import { readEnvValue } from '../config.ts';
import type { ReportRef } from '../../schemas/jobs.schema.ts';
import { TenantEntrySchema, TenantsListSchema, TenantsObjectSchema } from '../../schemas/tenants.schema.ts';
import type { DeskRoute } from '../../schemas/ticket.schema.ts';
import { objectShape, suggest } from '../schema-keys.ts';
import { PermanentError } from '../errors.ts';
import { otherCloudsHost, type GraphCloud } from '../clouds.ts';
import type { TenantCredentials } from './graph-credential.ts';
import type { SnapshotDirectory } from './snapshot/snapshot-store.ts';

/**
 * The MSP case: one mailbox gets the reports of many customers. `graph.tenantsFile`
 * (YAML or JSON) maps a report's tenant (its id, a domain, its name, or the address that
 * forwarded it) to that customer's Graph credentials. A report matching no entry, or
 * more than one, is unknown: it is never guessed onto another customer's tenant.
 *
 * ```yaml
 * tenants:
 *   - name: Contoso Ltd
 *     tenantId: 00000000-0000-0000-0000-000000000001
 *     domains: [contoso.com, contoso.onmicrosoft.com]
 *     forwarders: [it-admin@contoso.com]
 *     clientId: 11111111-…
 *     clientSecretEnv: CONTOSO_GRAPH_SECRET   # or clientSecret, certificatePath, managedIdentity: true
 *     cloud: global
 *     onpremForest: contoso                   # optional: its AD, read by the worker with ONPREM_FOREST=contoso
 * ```
 *
 * An entry without any sign-in (consent pending) still routes, names and trusts its tenant's
 * reports; their values are looked up in the tenant's directory snapshot.
 */

export interface TenantEntry extends TenantCredentials {
  name: string | null;
  domains: string[];
  forwarders: string[];
  cloud?: GraphCloud;
  baseUrl?: string;
  authorityHost?: string;
  /** The AD forest whose worker reads this tenant's on-premises side (ONPREM_FOREST there); none: the default forest, if any. */
  onpremForest?: string;
  /** Where this tenant's tickets are created; none: the desk's own settings. */
  desk?: DeskRoute;
}

/** How a tenant is named to the admin: its name, else its id. */
export function tenantLabel(t: { name?: string | null; tenantId: string }): string {
  return t.name ?? t.tenantId;
}

/** Whether the entry can sign in to Graph; one that cannot is answered from its directory snapshot. */
export function signsInToGraph(t: TenantEntry): boolean {
  return !!t.managedIdentity || (!!t.clientId && (!!t.clientSecret || !!t.certificatePath));
}

export type TenantMatch = { ok: true; tenant: TenantEntry } | { ok: false; reason: string };

export interface TenantDirectory {
  readonly tenants: TenantEntry[];
  match(report: Pick<ReportRef, 'tenantKey' | 'tenant' | 'objectDomains'>): TenantMatch;
}

export function parseTenants(text: string, env: Record<string, string | undefined>, source = 'tenants file'): TenantEntry[] {
  const invalid = (what: string) => new PermanentError(`${source}: ${what}`, 'TenantsFileInvalid');
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    // the YAML parser names the line, not the file
    throw invalid((err as Error).message);
  }
  // an entry named as an MSP knows it ("tenants.37 (Tailspin Toys)"), not by its index alone
  const rawList = (Array.isArray(raw) ? raw : (raw as { tenants?: unknown } | null)?.tenants) as Array<{ name?: unknown; tenantId?: unknown }> | undefined;
  const entry = (i: number): string => {
    const named = rawList?.[i]?.name ?? rawList?.[i]?.tenantId;
    return `tenants.${i}${typeof named === 'string' ? ` (${named})` : ''}`;
  };
  const parsed = (Array.isArray(raw) ? TenantsListSchema : TenantsObjectSchema).safeParse(raw);
  if (!parsed.success) {
    throw invalid(
      parsed.error.issues
        .map((i) => {
          const at = i.path[0] === 'tenants' && typeof i.path[1] === 'number' ? [entry(i.path[1]), ...i.path.slice(2)] : typeof i.path[0] === 'number' ? [entry(i.path[0]), ...i.path.slice(1)] : i.path;
          return `${at.join('.') || '(root)'}: ${i.message}${i.code === 'unrecognized_keys' ? didYouMean(i.keys, entryPath(i.path)) : ''}`;
        })
        .join('; '),
    );
  }
  const list = Array.isArray(parsed.data) ? parsed.data : parsed.data.tenants;
  return list.map((t, i) => {
    // a secret mounted as a file (CONTOSO_SECRET_FILE, Docker's and systemd's way) as the settings' are
    const secret = t.clientSecret ?? (t.clientSecretEnv ? readEnvValue(env, t.clientSecretEnv) : undefined);
    if (t.clientSecretEnv && !secret) throw invalid(`${entry(i)}: ${t.clientSecretEnv} (or ${t.clientSecretEnv}_FILE) is not set`);
    // no sign-in at all: a customer whose consent is pending, answered from its snapshot;
    // part of one (an app id without its secret) is a mistake, said as such
    const signIn = t.managedIdentity || t.clientId || t.clientSecret || t.clientSecretEnv || t.certificatePath;
    const gaps = signIn ? appSignInGaps({ ...t, secret }) : [];
    if (gaps.includes('clientId')) throw invalid(`${entry(i)}: clientId is required`);
    if (gaps.includes('secret')) throw invalid(`${entry(i)}: one of clientSecret, clientSecretEnv, certificatePath or managedIdentity is required`);
    const crossed = t.cloud ? otherCloudsHost(t.cloud, t) : null;
    if (crossed) throw invalid(`${entry(i)}: ${crossed}`);
    return {
      name: t.name ?? null,
      tenantId: t.tenantId,
      domains: t.domains.map((d) => d.toLowerCase()),
      forwarders: t.forwarders.map((f) => f.toLowerCase()),
      clientId: t.clientId,
      clientSecret: secret,
      certificatePath: t.certificatePath,
      certificatePassword: t.certificatePassword,
      managedIdentity: t.managedIdentity,
      cloud: t.cloud,
      baseUrl: t.baseUrl,
      authorityHost: t.authorityHost,
      onpremForest: t.onpremForest,
      desk: t.desk,
    };
  });
}

/** An issue's path below its entry (`['desk', 'rt']` of `tenants.0.desk.rt`). */
function entryPath(path: readonly PropertyKey[]): PropertyKey[] {
  return path[0] === 'tenants' ? path.slice(2) : path.slice(1);
}

/** " (did you mean assignmentGroup?)" for misspelt keys of the object at `path` below an entry, as the config file says it. */
function didYouMean(keys: readonly string[], path: readonly PropertyKey[]): string {
  let shape = objectShape(TenantEntrySchema);
  for (const key of path) shape = shape?.[String(key)] ? objectShape(shape[String(key)]!) : null;
  if (!shape) return '';
  const known = Object.keys(shape);
  const near = keys.map((k) => suggest(k, known)).filter((k): k is string => k !== null);
  return near.length ? ` (did you mean ${near.join(', ')}?)` : '';
}

/**
 * The tenants file the configuration names (GRAPH_TENANTS_FILE), else null. A process reads it
 * once (openRuntime) and hands the directory to whatever routes or names by tenant.
 */
export function loadConfiguredTenants(config: Config, env: Record<string, string | undefined> = process.env): TenantDirectory | null {
  return config.graph.tenantsFile ? loadTenantsFile(config.graph.tenantsFile, env) : null;
}

/** The tenants file's names by the key its tenants' problems are kept under (createTenantNamer: the tenant id); entries without a name are left out. */
export function tenantNames(tenantsFile: TenantDirectory | null): Map<string, string> {
  return new Map((tenantsFile?.tenants ?? []).filter((t) => t.name).map((t) => [t.tenantId.toLowerCase(), t.name!]));
}

/**
 * Where a report's new tickets go: its tenant's `desk:`, when the file matches the report to
 * one entry; undefined otherwise (no file, no entry routes, an unknown tenant), so the desk's
 * own settings apply. A report's tenant is the one the resolver looks its values up in.
 */
export function deskRouteOf(tenantsFile: TenantDirectory | null): ((report: Pick<ReportRef, 'tenantKey' | 'tenant'>) => DeskRoute | undefined) | undefined {
  if (!tenantsFile?.tenants.some((t) => t.desk)) return undefined;
  return (report) => {
    const match = tenantsFile.match(report);
    return match.ok ? match.tenant.desk : undefined;
  };
}

/** Every route the file names, for desks that must know them before a ticket is made (Jira searches their projects; doctor checks each). */
export function deskRoutes(tenantsFile: TenantDirectory | null): DeskRoute[] {
  return (tenantsFile?.tenants ?? []).flatMap((t) => (t.desk ? [t.desk] : []));
}

/**
 * What the file lists for more than one tenant: a tenant id, a domain or a name (a report
 * naming it is then matched to neither, never guessed). For `doctor`. A forwarder
 * listed for several tenants is not one: an MSP's own address forwards for many customers,
 * and the report's own id, domain or name decides its tenant.
 */
export function ambiguities(tenants: readonly TenantEntry[]): string[] {
  const owners = new Map<string, string[]>();
  for (const t of tenants) {
    const keys = [`tenant id ${t.tenantId.toLowerCase()}`, ...t.domains.map((d) => `domain ${d}`), ...(t.name ? [`name ${t.name.toLowerCase()}`] : [])];
    for (const key of new Set(keys)) owners.set(key, [...(owners.get(key) ?? []), tenantLabel(t)]);
  }
  return [...owners].filter(([, who]) => who.length > 1).map(([key, who]) => `${key} is listed for ${who.join(' and ')}`);
}

/** Reads the tenants file once; match() is then pure. */
export function loadTenantsFile(path: string, env: Record<string, string | undefined> = process.env): TenantDirectory {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PermanentError(`cannot read tenants file ${path}: ${(err as Error).message}`, 'TenantsFileInvalid');
  }
  return createTenantDirectory(parseTenants(text, env, path));
}

/**
 * What a report states that the entry it matched by a looser test (its name, say) does not
 * have: another tenant id, or a custom domain the entry does not list. Two customers may share
 * a name ("Contoso" in Sydney and in Seattle); a report filed under the wrong one would be
 * looked up in another customer's directory. An initial `*.onmicrosoft.com`
 * domain is no conflict: tenants files list the domains the customer knows, rarely that one.
 */
function contradiction(t: TenantEntry, id: string | null, domain: string | null): string | null {
  if (id !== null && t.tenantId.toLowerCase() !== id) return `the report names tenant id ${id}`;
  if (domain !== null && !t.domains.includes(domain) && !domain.endsWith('.onmicrosoft.com')) return `the report names domain ${domain}, which the entry does not list`;
  return null;
}

/**
 * For an entry matched by name or key alone: its objects' addresses are at domains another
 * entry lists and this one does not (a report naming "Contoso" whose objects are
 * all at contoso.co.uk, Contoso UK's domain). Objects at domains no entry lists say nothing:
 * tenants files list a customer's main domains, not all of them.
 */
function objectsElsewhere(t: TenantEntry, tenants: TenantEntry[], objectDomains: readonly string[] | undefined): string | null {
  const custom = (objectDomains ?? []).filter((d) => !d.endsWith('.onmicrosoft.com'));
  if (!custom.length || custom.some((d) => t.domains.includes(d))) return null;
  for (const d of custom) {
    const owner = tenants.find((o) => o !== t && o.domains.includes(d));
    if (owner) return `its objects' addresses are at ${d}, a domain of ${tenantLabel(owner)}`;
  }
  return null;
}

export function createTenantDirectory(tenants: TenantEntry[]): TenantDirectory {
  const lower = (s: string | null | undefined): string | null => (s ? s.trim().toLowerCase() : null);
  /** The single entry a test selects, or null for none; ambiguity is reported, not resolved. */
  const only = (hits: TenantEntry[], what: string): TenantMatch | null => {
    const unique = [...new Set(hits)];
    if (unique.length === 1) return { ok: true, tenant: unique[0]! };
    if (unique.length > 1) return { ok: false, reason: `${what} matches ${unique.length} tenants (${unique.map(tenantLabel).join(', ')})` };
    return null;
  };
  return {
    tenants,
    match(report) {
      const id = lower(report.tenant.id);
      const domain = lower(report.tenant.domain);
      const name = lower(report.tenant.name);
      const key = lower(report.tenantKey);
      // Most specific first: the tenant id, then a verified domain, then the name, then the key as any of them.
      // `loose`: a name or key alone, which the objects' domains may contradict
      const steps: Array<[string, (t: TenantEntry) => boolean, boolean]> = [
        [`tenant id ${id}`, (t) => id !== null && t.tenantId.toLowerCase() === id, false],
        [`domain ${domain}`, (t) => domain !== null && t.domains.includes(domain), false],
        [`name ${name}`, (t) => name !== null && lower(t.name) === name, true],
        [
          `tenant key ${key}`,
          (t) => key !== null && (t.tenantId.toLowerCase() === key || lower(t.name) === key || t.domains.includes(key) || t.forwarders.includes(key)),
          true,
        ],
      ];
      for (const [what, test, loose] of steps) {
        const m = only(tenants.filter(test), what);
        if (!m) continue;
        if (!m.ok) return m;
        const conflict = contradiction(m.tenant, id, domain) ?? (loose ? objectsElsewhere(m.tenant, tenants, report.objectDomains) : null);
        return conflict ? { ok: false, reason: `tenant "${report.tenantKey}": ${what} matches ${tenantLabel(m.tenant)}, but ${conflict}: not guessed (add it to the entry if it is that customer's)` } : m;
      }
      return { ok: false, reason: `unknown tenant "${report.tenantKey}" (name ${report.tenant.name ?? '-'}, domain ${report.tenant.domain ?? '-'}): no entry in the tenants file` };
    },
  };
}

/** The national cloud a report's tenant is in (ReportRef.cloud): its entry's, else GRAPH_CLOUD; null for the global cloud. */
export function createTenantCloudOf(config: Config, tenantsFile: TenantDirectory | null): (ref: ReportRef) => GraphCloud | null {
  return (ref) => {
    const m = tenantsFile?.match(ref);
    const cloud = (m?.ok ? m.tenant.cloud : undefined) ?? config.graph.cloud;
    return cloud === 'global' ? null : cloud;
  };
}

/**
 * What the configuration calls a report's tenant (ReportRef.tenantName): the name of the tenants
 * file entry it matches, else that of the directory snapshot of it (Graph's display name of the
 * organization, or the one the admin gave at import); null where neither names it, and the
 * report's own words stand.
 */
export function createTenantNameOf(tenantsFile: TenantDirectory | null, snapshots: Pick<SnapshotDirectory, 'nameOf'> | null = null): (ref: ReportRef) => string | null {
  return (ref) => {
    const m = tenantsFile?.match(ref);
    return (m?.ok ? m.tenant.name : null) ?? snapshots?.nameOf(ref) ?? null;
  };
}

/**
 * One name per tenant, whatever the source calls it: a mail report shows a domain or a
 * display name, the Graph poll knows the tenant id. Keys of the same problem must match
 * across both, so the tenant is named by its id wherever the configuration tells it:
 * the tenants file entry it matches, or the one tenant Graph is configured for. Else a
 * directory snapshot of the tenant names it (by its initial domain), else (no Graph, no
 * snapshot) the report's own key stands.
 */
export function createTenantNamer(config: Config, tenantsFile: TenantDirectory | null, snapshots: Pick<SnapshotDirectory, 'keyOf'> | null = null): (ref: ReportRef) => string {
  // a snapshot knows a tenant's name and domains together: both layouts of its reports are one tenant
  const fallback = (ref: ReportRef): string => snapshots?.keyOf(ref) ?? ref.tenantKey;
  if (tenantsFile) {
    return (ref) => {
      const m = tenantsFile.match(ref);
      return m.ok ? m.tenant.tenantId.toLowerCase() : fallback(ref);
    };
  }
  const single = config.graph.tenantId?.trim().toLowerCase();
  return single ? () => single : fallback;
}
