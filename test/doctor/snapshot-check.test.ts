import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { checkSnapshots } from '../../src/doctor/snapshot-check.ts';
import { SNAPSHOT_FORMAT } from '../../src/resolve/snapshot/snapshot-format.ts';
import { saveSnapshot } from '../../src/resolve/snapshot/snapshot-store.ts';

describe('doctor: directory snapshots', () => {
  it('passes a fresh snapshot, warns about an old one with the fix, and says nothing when there are none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'syncdesk-doctor-snap-'));
    const config = loadConfig({ SNAPSHOT_DIR: dir, SNAPSHOT_MAX_AGE_DAYS: '7' });
    expect(checkSnapshots(config)).toEqual([]);
    const header = (name: string, takenAt: string) => ({ format: SNAPSHOT_FORMAT, version: 1 as const, tenant: { id: null, name, domains: [`${name.toLowerCase()}.com`] }, takenAt, source: 'graph', warnings: [] });
    await saveSnapshot(dir, header('Fresh', '2026-11-29T00:00:00Z'), []);
    await saveSnapshot(dir, header('Stale', '2026-10-01T00:00:00Z'), []);
    const results = checkSnapshots(config, new Date('2026-12-01T00:00:00Z'));
    const byName = Object.fromEntries(results.map((r) => [r.check, r]));
    expect(byName['snapshot Fresh']).toMatchObject({ status: 'pass', ok: true });
    expect(byName['snapshot Stale']).toMatchObject({ status: 'warn', ok: true });
    expect(byName['snapshot Stale']!.detail).toMatch(/61 days old.*older than 7 days/);
    expect(byName['snapshot Stale']!.fix).toMatch(/syncdesk snapshot export/);
  });
});
