import type { DirectoryLookup, LookupAnswer } from '../directory-lookup.ts';
import { normaliseLookup, splitProxyAddress } from '../lookup-key.ts';
import { anchorHolder, toHolder } from '../lookup-plan.ts';
import { FULL_COVERAGE, OBJECT_TYPES, type ObjectType, type SnapshotHeader, type SnapshotObject } from './snapshot-format.ts';

/**
 * DirectoryLookup over a snapshot, answering as the Graph adapter does: every object checked
 * by the same client-side match (`toHolder`), so verdicts and steps are the same. Unlike
 * Graph, which searches the recycle bin only for a value nobody live holds, it gives live
 * and soft-deleted holders alike: the snapshot has them at hand. Every answer says the
 * directory was not asked live, and how old the snapshot is.
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

/** A tenant's directory as files: each part is the newest for its `types`. */
export interface SnapshotSource {
  /** Whose directory it is, as the ticket names it. */
  label: string;
  parts: Array<{ header: SnapshotHeader; types: readonly ObjectType[]; objects: SnapshotObject[] }>;
}

const TYPE_NAMES: Record<ObjectType, string> = { user: 'users', group: 'groups', contact: 'contacts' };

/**
 * Whether "nobody holds it" settles a search for a UPN or an address: every type that can hold
 * an address came with all its addresses, and (for a UPN) every user with its UPN.
 */
function conclusiveFor(source: SnapshotSource): { upn: boolean; address: boolean } {
  const coverage = (t: ObjectType) => {
    const part = source.parts.find((p) => p.types.includes(t));
    return part ? (part.header.coverage ?? FULL_COVERAGE) : null;
  };
  const address = OBJECT_TYPES.every((t) => coverage(t)?.addresses === true);
  return { address, upn: address && coverage('user')?.upns === true };
}

/** `maxAgeDays` (SNAPSHOT_MAX_AGE_DAYS): past it, the answers say the holders may have changed. */
export function createSnapshotLookup(source: SnapshotSource, now: () => Date = () => new Date(), maxAgeDays?: number): DirectoryLookup {
  const index = new Map<string, SnapshotObject[]>();
  // objects of an export that did not say who is synced
  const syncUnknown = new WeakSet<SnapshotObject>();
  for (const part of source.parts) {
    const unknownSync = part.header.coverage?.syncState === false;
    for (const o of part.objects) {
      if (unknownSync) syncUnknown.add(o);
      if (!part.types.includes(o.type)) continue;
      for (const key of new Set(keysOf(o))) {
        const list = index.get(key);
        if (list) list.push(o);
        else index.set(key, [o]);
      }
    }
  }
  // the users by ImmutableId: the failing object's own cloud copy, if the snapshot has users
  const byAnchor = new Map<string, SnapshotObject[]>();
  for (const part of source.parts) {
    if (!part.types.includes('user')) continue;
    for (const o of part.objects) if (o.type === 'user' && !o.deleted && o.onPremisesImmutableId) byAnchor.set(o.onPremisesImmutableId, [...(byAnchor.get(o.onPremisesImmutableId) ?? []), o]);
  }
  const hasUsers = source.parts.some((p) => p.types.includes('user'));
  const conclusive = conclusiveFor(source);
  const missing = OBJECT_TYPES.filter((t) => !source.parts.some((p) => p.types.includes(t)));
  return {
    async findByAnchor(anchors) {
      return anchors.map((a) => (hasUsers ? (byAnchor.get(a) ?? []).flatMap((o) => anchorHolder({ ...o }, a) ?? []) : null));
    },
    async findHolders(queries): Promise<LookupAnswer[]> {
      const at = now();
      const described = source.parts.map(({ header, types }) => `taken ${header.takenAt} (${describeAge(header.takenAt, at)}, ${header.source})${source.parts.length > 1 ? ` for its ${types.map((t) => TYPE_NAMES[t]).join(' and ')}` : ''}`);
      const basis =
        `Holders come from a directory snapshot of ${source.label} ${described.join('; ')}, not from live Microsoft Graph: ` +
        'confirm with the commands below before changing anything.';
      const lacking = missing.length ? [`The snapshot holds no ${missing.map((t) => TYPE_NAMES[t]).join(' and ')}: a value held by one is not found.`] : [];
      const stale =
        maxAgeDays !== undefined && source.parts.some((p) => at.getTime() - Date.parse(p.header.takenAt) > maxAgeDays * 86_400_000)
          ? [`It is older than SNAPSHOT_MAX_AGE_DAYS (${maxAgeDays}): who holds the value may have changed since, so take the verdict as a lead, not a finding, until the commands below confirm it.`]
          : [];
      const gap = [basis, ...stale, ...lacking, ...new Set(source.parts.flatMap((p) => p.header.warnings))].join(' ');
      return queries.map((q) => {
        const l = normaliseLookup(q);
        if (!l) return { holders: [], gap };
        const candidates = index.get(l.value.toLowerCase()) ?? [];
        // live holders first: the verdict is about them when there are any
        const holders = [false, true].flatMap((deleted) =>
          candidates.filter((o) => o.deleted === deleted).flatMap((o) => {
            const h = toHolder({ ...o }, o.type, deleted, l);
            return h ? [syncUnknown.has(o) ? { ...h, syncStateUnknown: true as const } : h] : [];
          }),
        );
        return { holders, gap, ...(!conclusive[l.kind] && { incomplete: true }) };
      });
    },
  };
}
