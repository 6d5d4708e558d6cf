import type { Config } from '../../schemas/config.schema.ts';
import { describeAge } from '../resolve/snapshot/snapshot-lookup.ts';
import { newestSnapshots } from '../resolve/snapshot/snapshot-store.ts';
import { pass, warn, type CheckResult } from './check.ts';

/** Each tenant's newest directory snapshot, and whether it is too old to trust for holders. */
export function checkSnapshots(config: Config, now: Date = new Date()): CheckResult[] {
  const dir = config.graph.snapshotDir;
  const stored = newestSnapshots(dir);
  // none kept: nothing to say (the Graph check already says whether holders can be looked up)
  if (!stored.length) return [];
  const maxAgeMs = config.graph.snapshotMaxAgeDays * 86_400_000;
  return stored.map(({ header }) => {
    const t = header.tenant;
    const check = `snapshot ${t.name ?? t.id ?? t.domains[0] ?? '?'}`;
    const detail = `taken ${header.takenAt} (${describeAge(header.takenAt, now)}) from ${header.source}`;
    if (now.getTime() - Date.parse(header.takenAt) <= maxAgeMs) return pass(check, detail);
    return warn(
      check,
      `${detail}: older than ${config.graph.snapshotMaxAgeDays} days, so tickets may name holders that changed since`,
      'take a new one: `syncdesk snapshot export` (Graph) or `syncdesk snapshot import` (a fresh export); or raise SNAPSHOT_MAX_AGE_DAYS',
    );
  });
}
