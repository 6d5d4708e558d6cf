import type { Holder } from '../../../schemas/resolution.schema.ts';
import type { NormalisedLookup } from '../lookup-key.ts';
import { psQuote } from '../powershell.ts';
import { syncedHolderFixSteps } from './ad-duplicate.ts';
import { freeValueSteps } from './cloud-holder.ts';
import { DELTA_SYNC, GET_CMD, PROPS, step, type Action } from './steps.ts';

/**
 * A holder found where nothing said whether it is synced (a snapshot of an export without
 * that column): a synced holder is fixed in AD, a cloud-only one in Microsoft 365, and
 * guessing sent agents to change the wrong side. The sync state is read first,
 * then each side's steps are given under its condition.
 */
export function unsureHolderActions(holder: Holder, lookups: NormalisedLookup[]): Action[] {
  const type = holder.type === 'unknown' ? 'user' : holder.type;
  const when = (condition: string) => (a: Action): Action => ({ ...a, step: `${condition}: ${a.step}` });
  return [
    step(
      `Read whether the holder "${holder.displayName ?? holder.id}" (${type} ${holder.id}) is synced: the export the snapshot came from does not say. OnPremisesSyncEnabled True: it is synced, fix it in on-premises AD; empty: it is cloud-only, fix it in Microsoft 365.`,
      `${GET_CMD[type]} ${psQuote(holder.id)} -Property ${PROPS[type]} | Format-List`,
    ),
    ...syncedHolderFixSteps(holder).map(when('If it is synced')),
    ...freeValueSteps(holder, lookups).map(when('If it is cloud-only')),
    DELTA_SYNC,
  ];
}
