import type { Client } from '@microsoft/microsoft-graph-client';
import { classifyThrown } from '../graph-errors.ts';
import { SELECT, type ObjectKind } from '../lookup-plan.ts';
import type { SnapshotObjectInput } from './snapshot-format.ts';

/**
 * Reads one tenant's directory through Microsoft Graph into snapshot objects: users,
 * groups and contacts, then soft-deleted users and groups, each with the `$select` the
 * resolver reads, in pages of 999 following `@odata.nextLink`. The Graph client's retry
 * handler waits out 429s (Retry-After); what still fails is thrown classified.
 */

interface Collection {
  kind: ObjectKind;
  deleted: boolean;
  path: string;
}

const COLLECTIONS: Collection[] = [
  { kind: 'user', deleted: false, path: '/users' },
  { kind: 'group', deleted: false, path: '/groups' },
  { kind: 'contact', deleted: false, path: '/contacts' },
  { kind: 'user', deleted: true, path: '/directory/deletedItems/microsoft.graph.user' },
  { kind: 'group', deleted: true, path: '/directory/deletedItems/microsoft.graph.group' },
];

export interface ExportProgress {
  /** The collection being read (`users`, `deleted groups`, …) and objects read so far in all. */
  (collection: string, total: number): void;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function toObject(o: Record<string, unknown>, c: Collection): SnapshotObjectInput {
  return {
    type: c.kind,
    id: String(o.id),
    displayName: str(o.displayName),
    userPrincipalName: c.kind === 'user' ? str(o.userPrincipalName) : null,
    mail: str(o.mail),
    proxyAddresses: Array.isArray(o.proxyAddresses) ? o.proxyAddresses.filter((p): p is string => typeof p === 'string') : [],
    onPremisesSyncEnabled: typeof o.onPremisesSyncEnabled === 'boolean' ? o.onPremisesSyncEnabled : null,
    onPremisesLastSyncDateTime: str(o.onPremisesLastSyncDateTime),
    onPremisesImmutableId: str(o.onPremisesImmutableId),
    onPremisesDistinguishedName: str(o.onPremisesDistinguishedName),
    deleted: c.deleted,
    deletedDateTime: c.deleted ? str(o.deletedDateTime) : null,
    ...(c.kind === 'user' && { accountEnabled: bool(o.accountEnabled), userType: str(o.userType) }),
    ...(c.kind === 'group' && {
      groupTypes: Array.isArray(o.groupTypes) ? o.groupTypes.filter((t): t is string => typeof t === 'string') : [],
      mailEnabled: bool(o.mailEnabled),
      securityEnabled: bool(o.securityEnabled),
      onPremisesSecurityIdentifier: str(o.onPremisesSecurityIdentifier),
      onPremisesDomainName: str(o.onPremisesDomainName),
    }),
  };
}
const bool = (v: unknown): boolean | null => (typeof v === 'boolean' ? v : null);

export async function* exportDirectory(client: Client, progress: ExportProgress = () => {}): AsyncGenerator<SnapshotObjectInput> {
  let total = 0;
  for (const c of COLLECTIONS) {
    const name = `${c.deleted ? 'deleted ' : ''}${c.kind === 'contact' ? 'contacts' : `${c.kind}s`}`;
    progress(name, total);
    const select = c.deleted ? `${SELECT[c.kind]},deletedDateTime` : SELECT[c.kind];
    let url: string | null = `${c.path}?$select=${select}&$top=999`;
    while (url) {
      let page: { value?: Array<Record<string, unknown>>; '@odata.nextLink'?: string };
      try {
        page = await client.api(url).get();
      } catch (err) {
        throw classifyThrown(err);
      }
      for (const o of page.value ?? []) {
        total++;
        yield toObject(o, c);
      }
      progress(name, total);
      url = page['@odata.nextLink'] ?? null;
    }
  }
}
