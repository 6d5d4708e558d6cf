import { createHash } from 'node:crypto';
import { SyncErrorSchema } from '../../schemas/report.schema.ts';
import type { OnPremSide } from '../../schemas/resolution.schema.ts';
import type { ProblemView } from './render.ts';
import type { KeyState } from './ticket-state.ts';

/*
 * Whether a problem seen again deserves a note: its facts hashed, compared with the hash its
 * ticket's state keeps. Not the counters, the lookup times, nor syncdesk's own words.
 */

/**
 * What `contentHash` covers, by version: 2 leaves out the steps and the note (but an
 * unresolved one's: why it was not looked up), syncdesk's own words about the facts (an upgrade that reworded them put a "the problem changed"
 * note on every open ticket). A state hashed by another version is compared as unchanged.
 */
export const CONTENT_VERSION = 2;

/** Hash of the facts only (not the counters, not lookup times), to decide whether a repeat deserves a note. */
export function contentHash(view: ProblemView): string {
  const { error, resolution } = view;
  const facts = {
    // in the schema's key order, as a worker's job payload has it: the same error straight
    // from the parser (a dry run) must hash the same
    error: { ...SyncErrorSchema.parse(error), fingerprint: undefined },
    verdict: resolution?.verdict ?? null,
    // why nothing was looked up is the whole answer of an unresolved one ("lookup failed" → "not looked up")
    ...(resolution?.verdict === 'unresolved' && { note: resolution.note ?? null }),
    holders: (resolution?.holders ?? [])
      // (createdDateTime, noMailbox and a group's SID and domain, kept later than the rest from what Graph always gave, say
      // nothing new of a holder a ticket already named: no "changed" note on every ticket after an upgrade)
      .map((h) => ({ ...h, onPremisesLastSyncDateTime: undefined, createdDateTime: undefined, noMailbox: undefined, onPremisesSecurityIdentifier: undefined, onPremisesDomainName: undefined }))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    // whenChanged moves with any edit of the object, and a failure's wording with the socket: neither is news
    ...(resolution?.onPremises ? { onPremises: onPremFacts(resolution.onPremises) } : {}),
  };
  return createHash('sha256').update(JSON.stringify(facts)).digest('hex').slice(0, 32);
}

function onPremFacts(side: OnPremSide): unknown {
  if (side.status === 'unavailable') return { status: side.status, code: side.code };
  const strip = <T extends { whenChanged?: string }>(o: T) => ({ ...o, whenChanged: undefined });
  return { ...side, object: side.object && strip(side.object), holders: side.holders.map(strip).sort((a, b) => (a.dn < b.dn ? -1 : a.dn > b.dn ? 1 : 0)) };
}

/** The stored facts are these: the same hash, or one an older syncdesk made (its words differed, not the facts: CONTENT_VERSION). */
export function sameContent(s: KeyState, hash: string): boolean {
  return (s.contentVersion ?? 1) !== CONTENT_VERSION || s.contentHash === hash;
}
