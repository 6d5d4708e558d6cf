import type { ReportRef } from '../../schemas/jobs.schema.ts';
import type { SyncError } from '../../schemas/report.schema.ts';
import type { Holder, OnPremSide, Resolution } from '../../schemas/resolution.schema.ts';
import { PermanentError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { DirectoryLookup, DirectoryLookupFor, LookupQuery, TenantRoute } from './directory-lookup.ts';
import { lookupsOf } from './actions/steps.ts';
import { lookupAttribute, lookupValue } from './lookup-key.ts';
import { valuesToSearch } from './onprem/onprem-values.ts';
import { needsLookup, resolveError, wouldJoin, type LookupOutcome } from './verdict.ts';
import type { TenantEntry } from './tenants.ts';
import { isInitialDomain } from './initial-domain.ts';

/**
 * The resolve stage: picks the report's tenant, asks that tenant's directory for every
 * value of every error in one go, and turns each error into a Resolution. Lookups that
 * cannot happen (no directory, unknown tenant, the directory refused) give `unresolved`
 * with the reason; transient failures are thrown so the job retries.
 *
 * With the on-premises side of an error (read by the `onprem` worker), every value the
 * failing object holds in AD is looked up too, not only the one the report names.
 */

/** The on-premises side of each error, by fingerprint (absent: AD was not asked). */
export type OnPremSides = ReadonlyMap<string, OnPremSide>;

export interface Resolver {
  resolve(report: ReportRef, errors: SyncError[], onPremises?: OnPremSides): Promise<Map<string, Resolution>>;
  close(): Promise<void>;
}

export interface ResolverDeps {
  /** The report's tenant, or why none (see `tenantRoute`). */
  route: TenantRoute;
  /** The directory to ask for a tenant's values (composition root: Graph per tenant). */
  lookupFor: DirectoryLookupFor;
  logger: Logger;
  now?: () => Date;
}

export function createResolver(deps: ResolverDeps): Resolver {
  const log = deps.logger;
  const now = deps.now ?? (() => new Date());
  const lookups = new Map<TenantEntry, DirectoryLookup>();

  function lookupFor(tenant: TenantEntry): DirectoryLookup {
    let lookup = lookups.get(tenant);
    if (!lookup) {
      lookup = deps.lookupFor(tenant);
      lookups.set(tenant, lookup);
    }
    return lookup;
  }

  /** Every error's holders (and gaps) from one tenant's directory; a refusal makes them all unresolved. */
  async function lookUp(report: ReportRef, tenant: TenantEntry, toLook: SyncError[], sides: OnPremSides): Promise<LookupOutcome[]> {
    const queries: LookupQuery[] = [];
    const owners: number[] = [];
    toLook.forEach((e, i) => {
      const object = sides.get(e.fingerprint)?.object;
      for (const l of valuesToSearch(lookupsOf(e), object)) {
        queries.push({ attribute: lookupAttribute(l), value: lookupValue(l) });
        owners.push(i);
      }
    });
    try {
      const found = await lookupFor(tenant).findHolders(queries);
      const holders: Holder[][] = toLook.map(() => []);
      const gaps: Array<Set<string>> = toLook.map(() => new Set());
      const incomplete = toLook.map(() => false);
      const binSkipped = toLook.map(() => false);
      found.forEach((answer, q) => {
        holders[owners[q]!]!.push(...answer.holders);
        if (answer.gap) gaps[owners[q]!]!.add(answer.gap);
        if (answer.incomplete) incomplete[owners[q]!] = true;
        if (answer.recycleBinSkipped) binSkipped[owners[q]!] = true;
      });
      const copies = await ownCopies(tenant, toLook, holders, sides);
      return toLook.map((_, i) => ({
        status: 'found',
        holders: holders[i]!,
        gap: [...gaps[i]!].join(' ') || undefined,
        ...(incomplete[i] && { incomplete: true }),
        ...(binSkipped[i] && { recycleBinSkipped: true }),
        ...(copies[i] && { ownCopies: copies[i] }),
      }));
    } catch (err) {
      if (!(err instanceof PermanentError)) throw err; // transient: the job is retried later
      // a missing permission is the usual refusal: doctor says which (the token's roles against what each search needs)
      const why = err.code === 'Authorization_RequestDenied' ? ' The app lacks a permission: `syncdesk doctor` names it. Once it is granted (with admin consent), the next report looks the values up again, or `syncdesk replay --force` of this one does now.' : '';
      const note = `Graph refused the lookup (${err.code}): ${err.message}${why}`;
      log.warn({ action: 'resolve-refused', reportId: report.reportId, tenant: report.tenantKey, code: err.code }, note);
      return toLook.map(() => ({ status: 'unresolved', note }));
    }
  }

  /**
   * The failing objects' own cloud copies (the users their anchors name), for the errors whose
   * fix would join them to a cloud-only user (a long-lived synced account was offered
   * for deletion to make room): asked only for those, as the other verdicts do not need it.
   */
  async function ownCopies(tenant: TenantEntry, toLook: SyncError[], holders: Holder[][], sides: OnPremSides): Promise<Array<Holder[] | undefined>> {
    const directory = lookupFor(tenant);
    const asks = toLook.map((e, i) => (directory.findByAnchor && wouldJoin(e, holders[i]!, sides.get(e.fingerprint)) ? e.onPremisesObjectId!.trim() : null));
    const anchors = [...new Set(asks.filter((a): a is string => a !== null))];
    if (!anchors.length) return toLook.map(() => undefined);
    const found = await directory.findByAnchor!(anchors);
    const byAnchor = new Map(anchors.map((a, i) => [a, found[i]]));
    return asks.map((a) => (a === null ? undefined : (byAnchor.get(a) ?? undefined)));
  }

  return {
    async resolve(report, errors, sides = new Map()) {
      const toLook = errors.filter((e) => needsLookup(e, sides.get(e.fingerprint)));
      const outcomes = new Map<string, LookupOutcome>();
      if (toLook.length > 0) {
        const target = deps.route(report);
        if ('note' in target) {
          log.info({ action: 'resolve-skipped', reportId: report.reportId, tenant: report.tenantKey, reason: target.note }, 'holders not looked up');
          for (const e of toLook) outcomes.set(e.fingerprint, { status: 'unresolved', note: target.note });
        } else {
          const found = await lookUp(report, target.tenant, toLook, sides);
          toLook.forEach((e, i) => outcomes.set(e.fingerprint, found[i]!));
        }
      }
      const at = now();
      const out = new Map<string, Resolution>();
      const initialDomain = isInitialDomain(report.tenant.domain) ? report.tenant.domain : null;
      for (const e of errors) out.set(e.fingerprint, resolveError(e, outcomes.get(e.fingerprint) ?? null, at, sides.get(e.fingerprint), initialDomain));
      return out;
    },
    async close() {
      lookups.clear();
    },
  };
}
