import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
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

  it('names the snapshot files this user cannot read instead of leaving their tenant out in silence (blind61 D3)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'syncdesk-doctor-snap-'));
    const config = loadConfig({ SNAPSHOT_DIR: dir });
    const header = { format: SNAPSHOT_FORMAT, version: 1 as const, tenant: { id: null, name: 'Kept', domains: ['kept.com'] }, takenAt: '2026-11-29T00:00:00Z', source: 'graph', warnings: [] };
    await saveSnapshot(dir, header, []);
    // a file this process cannot read: a link to nowhere (the tests run as root, whom no mode stops)
    mkdirSync(join(dir, 'other'));
    symlinkSync(join(dir, 'nowhere.jsonl.gz'), join(dir, 'other', '2026-11-29.jsonl.gz'));
    const [unread] = checkSnapshots(config, new Date('2026-12-01T00:00:00Z'));
    expect(unread).toMatchObject({ check: 'snapshots', status: 'warn', detail: expect.stringContaining(`1 snapshot file(s) or folder(s) this user cannot read, passed over: ${join(dir, 'other', '2026-11-29.jsonl.gz')}`) });
  });
});
