import type { Holder } from '../../schemas/resolution.schema.ts';

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
}

/**
 * The port the resolve stage needs from a directory: who holds these values.
 * The Graph adapter batches queries; the port takes many at once for that reason.
 */
export interface DirectoryLookup {
  /** For each query (same order), its answer. */
  findHolders(queries: LookupQuery[]): Promise<LookupAnswer[]>;
}
