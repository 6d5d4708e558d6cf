import type { SyncError } from '../../../schemas/report.schema.ts';
import type { OnPremObjectData, OnPremSide } from '../../../schemas/resolution.schema.ts';
import { PermanentError } from '../../errors.ts';
import { lookupsOf } from '../actions/steps.ts';
import { canHaveHolder } from '../verdict.ts';
import type { OnPremSession } from './onprem-directory.ts';
import { lookupValue } from '../lookup-key.ts';
import { anchorBase64, matchedValues, valuesToSearch } from './onprem-values.ts';

/**
 * The `onprem` job's use case: for each error of a report chunk, the failing object in AD
 * (by source anchor, else by identity), every value it holds, and every other AD object
 * holding one of those values or one the report names. DC-level failures are thrown (the
 * job retries, then the resolve job says why the on-premises side is missing).
 */

/** The searches the use case needs, on one bound connection (OnPremSession). */
export type OnPremReader = Pick<OnPremSession, 'findByAnchor' | 'findByIdentity' | 'findHolders'> & Partial<Pick<OnPremSession, 'baseDn'>>;

/** Errors worth reading AD for: another object may hold one of the object's values, and the report names the object. */
export function wantsOnPrem(error: SyncError): boolean {
  return canHaveHolder(error) && error.category !== 'FederatedDomainChange' && Boolean(error.onPremisesObjectId || error.identity);
}

async function findObject(error: SyncError, reader: OnPremReader): Promise<Pick<OnPremSide, 'status' | 'object' | 'candidates' | 'note'>> {
  const anchor = error.onPremisesObjectId ? anchorBase64(error.onPremisesObjectId) : null;
  if (anchor) {
    const found = await reader.findByAnchor(anchor).catch((err: unknown) => {
      if (err instanceof PermanentError && err.code === 'onprem_bad_anchor') return null;
      throw err;
    });
    if (found) return { status: 'found', object: found, candidates: [], note: null };
  }
  const identity = error.identity?.trim();
  const by = anchor ? `source anchor ${error.onPremisesObjectId}` : null;
  const outside = `deleted, or outside the base DN${reader.baseDn ? ` ${reader.baseDn}` : ''}`;
  if (!identity) return { status: 'not-found', object: null, candidates: [], note: `No object in AD has the ${by ?? 'reported identity'} (${outside}).` };
  const found = await reader.findByIdentity(identity);
  if (found.length === 1) return { status: 'found', object: found[0]!, candidates: [], note: by ? `Found by its identity ${identity}: no object has the ${by}.` : null };
  if (found.length > 1) {
    return { status: 'ambiguous', object: null, candidates: found.map((o) => o.dn), note: `${found.length} objects in AD are named ${identity}; none has the report's source anchor.` };
  }
  return { status: 'not-found', object: null, candidates: [], note: `No object in AD has the ${by ? `${by} or the identity ${identity}` : `identity ${identity}`} (${outside}).` };
}

/**
 * One error's on-premises side: the holders of the values the report names; of every value the
 * failing object holds when it names none (`[None]`, "…same proxy address already exists").
 * Holders of the object's other values are no part of this error, and there may be thousands
 * (an address a script stamped on every mailbox).
 */
export async function lookUpOnPremError(error: SyncError, reader: OnPremReader): Promise<OnPremSide> {
  const found = await findObject(error, reader);
  const lookups = valuesToSearch(lookupsOf(error), found.object);
  const searched = lookups.map(lookupValue);
  const others = (await reader.findHolders(searched)).filter((o) => o.dn.toLowerCase() !== found.object?.dn.toLowerCase());
  const holders = others.map((o: OnPremObjectData) => ({ ...o, matched: matchedValues(o, lookups) }));
  return { ...found, holders, searched, code: null, ...(reader.baseDn && { base: reader.baseDn }) };
}

/** The on-premises side of every error that wants one, by fingerprint. */
export async function lookUpOnPrem(errors: SyncError[], reader: OnPremReader): Promise<Map<string, OnPremSide>> {
  const out = new Map<string, OnPremSide>();
  for (const e of errors) {
    if (wantsOnPrem(e) && !out.has(e.fingerprint)) out.set(e.fingerprint, await lookUpOnPremError(e, reader));
  }
  return out;
}
