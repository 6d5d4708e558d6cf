import type { Holder } from '../../schemas/resolution.schema.ts';

/** A value to look up, as the report gives it (`ProxyAddresses` values keep their `smtp:` prefix). */
export interface LookupQuery {
  attribute: string;
  value: string;
}

/**
 * The port the resolve stage needs from a directory: who holds these values.
 * The Graph adapter batches queries; the port takes many at once for that reason.
 */
export interface DirectoryLookup {
  /** For each query (same order), every live or soft-deleted object that holds the value. */
  findHolders(queries: LookupQuery[]): Promise<Holder[][]>;
}
