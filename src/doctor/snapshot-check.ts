import type { Config } from '../../schemas/config.schema.ts';
import { describeParts, label, storedTenants, unreadableLine, unreadableSnapshots } from '../resolve/snapshot/snapshot-store.ts';
import { pass, warn, type CheckResult } from './check.ts';

/** Each tenant's directory snapshot, and whether a part of it is too old to trust for holders. */
export function checkSnapshots(config: Config, now: Date = new Date()): CheckResult[] {
  const dir = config.graph.snapshotDir;
  const stored = storedTenants(dir);
  const unread = unreadableSnapshots(dir);
  const unreadable = unread.length ? [warn('snapshots', unreadableLine(unread), `chown -R <the syncdesk user> ${dir}`)] : [];
  // none kept: nothing to say (the Graph check already says whether holders can be looked up)
  if (!stored.length) return unreadable;
  const maxAgeMs = config.graph.snapshotMaxAgeDays * 86_400_000;
  return [...unreadable, ...stored.map((t) => {
    const check = `snapshot ${label(t)}`;
    const detail = describeParts(t, now);
    const oldest = Math.min(...t.parts.map((p) => Date.parse(p.header.takenAt)));
    if (now.getTime() - oldest <= maxAgeMs) return pass(check, detail);
    return warn(
      check,
      `${detail}: older than ${config.graph.snapshotMaxAgeDays} days, so tickets may name holders that changed since`,
      'take a new one: `syncdesk snapshot export` (Graph) or `syncdesk snapshot import` (a fresh export); or raise SNAPSHOT_MAX_AGE_DAYS',
    );
  })];
}
