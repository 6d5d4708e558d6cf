/**
 * The exports admins already have, turned into snapshots (test/fixtures/snapshots/README.md
 * says how each fixture mirrors the tool that makes it), and what a snapshot built from
 * them answers.
 */

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { SyncError } from '../../schemas/report.schema.ts';
import { PermanentError } from '../../src/errors.ts';
import { fingerprintError } from '../../src/parse/fingerprint.ts';
import { resolveError } from '../../src/resolve/resolve-error.ts';
import { importCsv } from '../../src/resolve/snapshot/import-csv.ts';
import { SnapshotObjectSchema, SNAPSHOT_FORMAT } from '../../src/resolve/snapshot/snapshot-format.ts';
import { createSnapshotLookup } from '../../src/resolve/snapshot/snapshot-lookup.ts';

const fixture = (name: string): string => readFileSync(join(import.meta.dirname, '..', 'fixtures', 'snapshots', name), 'utf8');

function imported(name: string, type?: 'user' | 'group' | 'contact') {
  return importCsv(fixture(name), name, type);
}

async function resolveWith(name: string, attribute: string, value: string) {
  const i = imported(name);
  const lookup = createSnapshotLookup({
    header: { format: SNAPSHOT_FORMAT, version: 1, tenant: { id: null, name: 'Contoso', domains: i.domains }, takenAt: '2026-11-28T00:00:00Z', source: name, warnings: i.warnings },
    objects: i.objects.map((o) => SnapshotObjectSchema.parse(o)),
  }, () => new Date('2026-12-01T00:00:00Z'));
  const [answer] = await lookup.findHolders([{ attribute, value }]);
  const base: Omit<SyncError, 'fingerprint'> = {
    category: 'DuplicateAttribute',
    errorCode: null,
    identity: 'onprem.user@contoso.com',
    objectType: 'User',
    onPremisesObjectId: 'b25wcmVt',
    message: 'duplicate',
    attributes: [{ name: attribute, value }],
  };
  return resolveError({ ...base, fingerprint: fingerprintError(base) }, { status: 'found', holders: answer!.holders, gap: answer!.gap ?? undefined }, new Date('2026-12-01T00:00:00Z'));
}

describe('snapshot import', () => {
  it('reads the Entra admin center "Download users" CSV (its documented columns) and says what it lacks', () => {
    const i = imported('entra-download-users.csv');
    expect(i.format).toBe('entra-users');
    expect(i.objects).toHaveLength(3);
    expect(i.objects[1]).toMatchObject({ type: 'user', id: '5f0c1a2b-0000-4000-8000-000000000101', displayName: 'Doe, John', userPrincipalName: 'john@contoso.com' });
    expect(i.warnings.join(' ')).toMatch(/no proxy addresses and no groups or contacts/);
    expect(i.warnings.join(' ')).toMatch(/no directorySynced column: whether a holder is synced or cloud-only is not known/);
    expect(i.domains).toContain('contoso.com');
  });

  it('reads Get-MgUser | Export-Csv from Windows PowerShell (#TYPE line, quoted, joined ProxyAddresses) and finds a synced holder', async () => {
    const i = imported('get-mguser-ps51.csv');
    expect(i.format).toBe('mggraph');
    expect(i.objects[0]).toMatchObject({
      type: 'user',
      userPrincipalName: 'MeganB@contoso.com',
      proxyAddresses: ['SMTP:MeganB@contoso.com', 'smtp:megan@contoso.com', 'smtp:meganb@contoso.onmicrosoft.com'],
      onPremisesSyncEnabled: true,
      onPremisesImmutableId: 'bWVnYW5Cb3dlbkNvbnRvc28=',
    });
    expect(i.objects[1]).toMatchObject({ userPrincipalName: 'john@contoso.com', onPremisesSyncEnabled: null });
    const r = await resolveWith('get-mguser-ps51.csv', 'ProxyAddresses', 'SMTP:megan@contoso.com');
    expect(r.verdict).toBe('synced-holder');
    expect(r.holders[0]).toMatchObject({ displayName: 'Megan Bowen', onPremisesDistinguishedName: 'CN=Megan Bowen,OU=Marketing,DC=corp,DC=contoso,DC=com' });
    expect(r.note).toMatch(/directory snapshot taken 2026-11-28T00:00:00Z \(3 days old, get-mguser-ps51\.csv\)/);
  });

  it('warns when PowerShell wrote "System.String[]" instead of the addresses, and says how to export them', () => {
    const i = imported('get-mggroup-ps7-unexpanded.csv', 'group');
    expect(i.objects[0]).toMatchObject({ type: 'group', mail: 'finance@contoso.com', proxyAddresses: [] });
    expect(i.warnings.join(' ')).toMatch(/ProxyAddresses column holds PowerShell's type name .*-join ';'/);
  });

  it('reads Get-Recipient | Export-Csv: recipient types to users, groups and contacts; public folders left out and said', async () => {
    const i = imported('get-recipient.csv');
    expect(i.format).toBe('exo-recipients');
    expect(i.objects.map((o) => [o.type, o.id])).toEqual([
      ['user', '1a2b3c4d-0000-4000-8000-000000000401'],
      ['group', '1a2b3c4d-0000-4000-8000-000000000402'],
      ['contact', '1a2b3c4d-0000-4000-8000-000000000403'],
      ['user', '1a2b3c4d-0000-4000-8000-000000000404'],
      ['group', '1a2b3c4d-0000-4000-8000-000000000405'],
    ]);
    expect(i.objects[0]).toMatchObject({ userPrincipalName: 'AlexW@contoso.com', onPremisesSyncEnabled: true });
    // RecipientTypeDetails says what Graph's accountEnabled and group kinds would: the shared mailbox, and each group's Exchange cmdlet
    const shared = await resolveWith('get-recipient.csv', 'ProxyAddresses', 'smtp:info@contoso.com');
    expect(shared.holders[0]).toMatchObject({ displayName: 'Info Desk', accountEnabled: false });
    const tax = await resolveWith('get-recipient.csv', 'ProxyAddresses', 'smtp:tax@contoso.com');
    expect(tax.holders[0]).toMatchObject({ type: 'group', groupKind: 'mail-enabled security' });
    expect(tax.actions.map((a) => a.command).join('\n')).toContain('Set-DistributionGroup');
    expect(i.warnings.join(' ')).toMatch(/1 mail-enabled public folder\(s\) were left out/);
    const r = await resolveWith('get-recipient.csv', 'ProxyAddresses', 'smtp:sales@contoso.onmicrosoft.com');
    expect(r.verdict).toBe('cloud-only-holder');
    expect(r.holders[0]).toMatchObject({ type: 'group', displayName: 'Sales (Teams)', groupKind: 'microsoft365' });
  });

  it('names the line of a broken file, and refuses a file of unknown columns', () => {
    expect(() => imported('broken.csv')).toThrow(PermanentError);
    expect(() => imported('broken.csv')).toThrow(/^broken\.csv:3: not a readable CSV/);
    expect(() => importCsv('a,b\n1,2\n', 'other.csv')).toThrow(/other\.csv: unknown export \(columns a, b…\)/);
  });
});

describe('syncdesk snapshot import / list', () => {
  it('stores the snapshot under the tenant and lists it with its age; a broken file exits 2 with the line', async () => {
    const run = promisify(execFile);
    const dir = mkdtempSync(join(tmpdir(), 'syncdesk-snap-'));
    const env = { ...process.env, SNAPSHOT_DIR: dir, SYNCDESK_CONFIG: '' };
    const bin = resolve('bin/syncdesk.js');
    const file = join(import.meta.dirname, '..', 'fixtures', 'snapshots', 'get-recipient.csv');
    const out = await run('node', [bin, 'snapshot', 'import', file, '--tenant-name', 'Contoso', '--taken-at', '2026-11-30T00:00:00Z'], { env });
    expect(out.stdout).toMatch(/^exo-recipients: 5 objects → .*contoso\.com\/2026-11-30T00-00-00-000Z\.jsonl\.gz$/m);
    expect(out.stderr).toMatch(/warning: 1 mail-enabled public folder/);
    const list = await run('node', [bin, 'snapshot', 'list'], { env });
    expect(list.stdout).toMatch(/^Contoso {2}2026-11-30T00:00:00\.000Z \(\d+ days? old\) {2}exo-recipients export get-recipient\.csv/m);
    const broken = await run('node', [bin, 'snapshot', 'import', join(import.meta.dirname, '..', 'fixtures', 'snapshots', 'broken.csv')], { env }).catch((e: { code: number; stderr: string }) => e);
    expect(broken).toMatchObject({ code: 2 });
    expect((broken as { stderr: string }).stderr).toMatch(/syncdesk snapshot: broken\.csv:3: not a readable CSV/);
    const missing = join(dir, 'nope.csv');
    const gone = await run('node', [bin, 'snapshot', 'import', missing], { env }).catch((e: { code: number; stderr: string }) => e);
    expect(gone).toMatchObject({ code: 2, stderr: `syncdesk snapshot: cannot read ${missing}: no such file\n` });
  }, 60_000);
});
