import type { ReportRef } from '../../schemas/jobs.schema.ts';
import type { Holder } from '../../schemas/resolution.schema.ts';
import type { TenantEntry } from './tenants.ts';

/** A value to look up, as the report gives it (`ProxyAddresses` values keep their `smtp:` prefix). */
export interface LookupQuery {
  attribute: string;
  value: string;
}

/** Who holds one value, and what part of the directory could not be searched for it. */
export interface LookupAnswer {
  /** Every live or soft-deleted object found holding the value. */
  holders: Holder[];
  /** Null when everything was searched; else what was not (the recycle bin), for the ticket. */
  gap: string | null;
  /**
   * True when a live object could hold the value without being in what was searched (a
   * snapshot of users only, an export without proxy addresses): finding nobody settles nothing.
   */
  incomplete?: boolean;
  /**
   * True when soft-deleted objects were not searched because a live one holds the value (Graph
   * searches the recycle bin only then: two more sub-requests per value): one there may hold it too.
   */
  recycleBinSkipped?: boolean;
}

/**
 * The port the resolve stage needs from one tenant's directory: who holds these values.
 * The Graph adapter batches queries; the port takes many at once for that reason.
 *
 * An adapter throws `TransientError` to have the resolve job retried, and `PermanentError`
 * when the directory refused: the report's errors are then `unresolved` with the reason.
 */
export interface DirectoryLookup {
  /** For each query (same order), its answer. */
  findHolders(queries: LookupQuery[]): Promise<LookupAnswer[]>;
  /**
   * For each source anchor (same order), the live users whose ImmutableId it is: the failing
   * object's own cloud copy, when sync made one. A directory that cannot search by anchor
   * leaves it out; one that cannot answer for an anchor gives null for it.
   */
  findByAnchor?(anchors: string[]): Promise<Array<Holder[] | null>>;
}

/**
 * Chooses the directory of one configured tenant: the seam where the composition root
 * (`src/app/`) plugs in Graph, a snapshot or on-premises AD, per tenant. The resolver calls
 * it once per tenant and keeps the answer for its lifetime.
 */
export type DirectoryLookupFor = (tenant: TenantEntry) => DirectoryLookup;

/** Which configured tenant a report belongs to, or why its values cannot be looked up. */
export type TenantRoute = (report: ReportRef) => { tenant: TenantEntry } | { note: string };
