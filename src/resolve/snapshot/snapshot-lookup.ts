import type { Holder } from '../../../schemas/resolution.schema.ts';
import type { DirectoryLookup, LookupAnswer } from '../directory-lookup.ts';
import { normaliseLookup, splitProxyAddress } from '../lookup-key.ts';
import { toHolder } from '../lookup-plan.ts';
import type { Snapshot, SnapshotObject } from './snapshot-format.ts';

/**
 * DirectoryLookup over a snapshot, answering as the Graph adapter does: live holders of a
 * value first, soft-deleted ones only when nobody live holds it, each object checked by
 * the same client-side match (`toHolder`), so verdicts and steps are the same. Every
 * answer says the directory was not asked live, and how old the snapshot is.
 */

const DELETED_UPN_PREFIX = /^[0-9a-f]{32}/i;

/** Every lower-cased bare value an object can be found by: UPN (and a deleted user's original UPN), mail, proxy addresses. */
function keysOf(o: SnapshotObject): string[] {
  const keys: string[] = [];
  if (o.userPrincipalName) {
    keys.push(o.userPrincipalName.toLowerCase());
    if (o.deleted) keys.push(o.userPrincipalName.replace(DELETED_UPN_PREFIX, '').toLowerCase());
  }
  if (o.mail) keys.push(o.mail.toLowerCase());
  for (const p of o.proxyAddresses) keys.push(splitProxyAddress(p).bare.toLowerCase());
  return keys;
}

export function describeAge(takenAt: string, now: Date): string {
  const days = Math.floor((now.getTime() - Date.parse(takenAt)) / 86_400_000);
  return days <= 0 ? 'less than a day old' : days === 1 ? '1 day old' : `${days} days old`;
}

export function createSnapshotLookup(snapshot: Snapshot, now: () => Date = () => new Date()): DirectoryLookup {
  const index = new Map<string, SnapshotObject[]>();
  for (const o of snapshot.objects) {
    for (const key of new Set(keysOf(o))) {
      const list = index.get(key);
      if (list) list.push(o);
      else index.set(key, [o]);
    }
  }
  const { header } = snapshot;
  return {
    async findHolders(queries): Promise<LookupAnswer[]> {
      const basis =
        `Holders come from a directory snapshot taken ${header.takenAt} (${describeAge(header.takenAt, now())}, ${header.source}), not from live Microsoft Graph: ` +
        'confirm with the commands below before changing anything.';
      const gap = [basis, ...header.warnings].join(' ');
      return queries.map((q) => {
        const l = normaliseLookup(q);
        if (!l) return { holders: [], gap };
        const candidates = index.get(l.value.toLowerCase()) ?? [];
        const match = (deleted: boolean): Holder[] =>
          candidates.filter((o) => o.deleted === deleted).flatMap((o) => toHolder({ ...o }, o.type, deleted, l) ?? []);
        const live = match(false);
        return { holders: live.length ? live : match(true), gap };
      });
    },
  };
}
