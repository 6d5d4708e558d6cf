/**
 * The exports admins already have, turned into snapshots (test/fixtures/snapshots/README.md
 * says how each fixture mirrors the tool that makes it), and what a snapshot built from
 * them answers.
 */

import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { ReportRef } from '../../schemas/jobs.schema.ts';
import type { SyncError } from '../../schemas/report.schema.ts';
import { PermanentError } from '../../src/errors.ts';
import { fingerprintError } from '../../src/parse/fingerprint.ts';
import { resolveError } from '../../src/resolve/verdict.ts';
import { decodeExport, importCsv } from '../../src/resolve/snapshot/import-csv.ts';
import { FULL_COVERAGE, SnapshotObjectSchema, SNAPSHOT_FORMAT, type Snapshot } from '../../src/resolve/snapshot/snapshot-format.ts';
import { createSnapshotLookup, type SnapshotSource } from '../../src/resolve/snapshot/snapshot-lookup.ts';
import { loadSnapshotDirectory } from '../../src/resolve/snapshot/snapshot-store.ts';

/** One snapshot file as the whole of a tenant's directory (every type it holds). */
function wholeSnapshot(snapshot: Snapshot, label: string): SnapshotSource {
  return { label, parts: [{ ...snapshot, types: (snapshot.header.coverage ?? FULL_COVERAGE).types }] };
}

const fixture = (name: string): string => readFileSync(join(import.meta.dirname, '..', 'fixtures', 'snapshots', name), 'utf8');

function imported(name: string, type?: 'user' | 'group' | 'contact') {
  return importCsv(fixture(name), name, type);
}

async function resolveWith(name: string, attribute: string, value: string) {
  return resolveImported(imported(name), name, attribute, value);
}

async function resolveImported(i: ReturnType<typeof importCsv>, name: string, attribute: string, value: string) {
  const header = { format: SNAPSHOT_FORMAT, version: 1 as const, tenant: { id: null, name: 'Contoso', domains: i.domains }, takenAt: '2026-11-28T00:00:00Z', source: name, warnings: i.warnings, coverage: i.coverage };
  const lookup = createSnapshotLookup(wholeSnapshot({ header, objects: i.objects.map((o) => SnapshotObjectSchema.parse(o)) }, 'Contoso'), () => new Date('2026-12-01T00:00:00Z'));
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
  return resolveError({ ...base, fingerprint: fingerprintError(base) }, { status: 'found', holders: answer!.holders, gap: answer!.gap ?? undefined, incomplete: answer!.incomplete }, new Date('2026-12-01T00:00:00Z'));
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
    expect(r.note).toMatch(/directory snapshot of Contoso taken 2026-11-28T00:00:00Z \(3 days old, get-mguser-ps51\.csv\)/);
  });

  it('finds the user a source anchor names (the failing object\'s own cloud copy), as Graph does (blind40 G1)', async () => {
    const i = imported('get-mguser-ps51.csv');
    const header = { format: SNAPSHOT_FORMAT, version: 1 as const, tenant: { id: null, name: 'Contoso', domains: i.domains }, takenAt: '2026-11-28T00:00:00Z', source: 'x', warnings: [], coverage: i.coverage };
    const lookup = createSnapshotLookup(wholeSnapshot({ header, objects: i.objects.map((o) => SnapshotObjectSchema.parse(o)) }, 'Contoso'));
    const [megan, nobody] = await lookup.findByAnchor!(['bWVnYW5Cb3dlbkNvbnRvc28=', 'bm9ib2R5']);
    expect(megan).toEqual([expect.objectContaining({ userPrincipalName: 'MeganB@contoso.com', onPremisesSyncEnabled: true, matched: [{ attribute: 'onPremisesImmutableId', value: 'bWVnYW5Cb3dlbkNvbnRvc28=' }] })]);
    expect(nobody).toEqual([]);
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
    expect(shared.holders[0]).toMatchObject({ displayName: 'Info Desk', accountEnabled: false, recipientTypeDetails: 'SharedMailbox' });
    // the export says what Graph cannot: a shared mailbox is never offered a person's join, and its cmdlet is sure
    const commands = shared.actions.map((a) => a.command ?? '').join('\n');
    expect(commands).not.toContain('-OnPremisesImmutableId');
    expect(shared.actions.map((a) => a.step).join('\n')).toContain('The holder is a SharedMailbox');
    expect(commands).toContain("Set-Mailbox -Identity 'info@contoso.com' -EmailAddresses @{add='SMTP:<new-primary-address>'}; Set-Mailbox -Identity 'info@contoso.com' -EmailAddresses @{remove='smtp:info@contoso.com'}\n");
    const tax = await resolveWith('get-recipient.csv', 'ProxyAddresses', 'smtp:tax@contoso.com');
    expect(tax.holders[0]).toMatchObject({ type: 'group', groupKind: 'mail-enabled security' });
    expect(tax.actions.map((a) => a.command).join('\n')).toContain('Set-DistributionGroup');
    expect(i.warnings.join(' ')).toMatch(/1 mail-enabled public folder\(s\) were left out/);
    const r = await resolveWith('get-recipient.csv', 'ProxyAddresses', 'smtp:sales@contoso.onmicrosoft.com');
    expect(r.verdict).toBe('cloud-only-holder');
    expect(r.holders[0]).toMatchObject({ type: 'group', displayName: 'Sales (Teams)', groupKind: 'microsoft365' });
  });

  it("takes the tenant's domains from its users' UPNs and its own mailboxes and groups, never from a contact's, a guest's or a mail user's address", () => {
    // another organisation's domains, claimed, would answer that organisation's reports from this snapshot
    expect(imported('get-recipient.csv').domains).toEqual(['contoso.com', 'contoso.onmicrosoft.com']);
    expect(imported('entra-download-users.csv').domains).toEqual(['contoso.com', 'contoso.onmicrosoft.com']);
    const guests = importCsv(
      [
        'Name,DisplayName,RecipientType,RecipientTypeDetails,PrimarySmtpAddress,EmailAddresses,ExternalDirectoryObjectId,IsDirSynced,WindowsLiveID',
        'ann,Ann,UserMailbox,UserMailbox,ann@northwind.com,SMTP:ann@northwind.com,id-1,False,ann@northwind.com',
        'anna,Anna (Fabrikam),MailUser,GuestMailUser,anna@fabrikam.com,SMTP:anna@fabrikam.com,id-2,False,anna_fabrikam.com#EXT#@northwind.onmicrosoft.com',
        'yamada,Yamada,MailUser,MailUser,yamada@adatum.com,SMTP:yamada@adatum.com,id-3,False,yamada@northwind.com',
        'desk,MSP Helpdesk,MailContact,MailContact,helpdesk@tailspin-msp.net,SMTP:helpdesk@tailspin-msp.net,id-4,False,',
      ].join('\n'),
      'recipients.csv',
    );
    expect(guests.domains.sort()).toEqual(['northwind.com', 'northwind.onmicrosoft.com']);
    expect(guests.objects[1]).toMatchObject({ userType: 'Guest', recipientTypeDetails: 'GuestMailUser' });
  });

  it('keeps an X500 address with its spaces and an X400 one with its semicolons whole, and finds their holder', async () => {
    const x500 = 'X500:/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=3f6c1d0e-juergen.mu';
    const x400 = 'X400:C=US;A= ;P=Contoso;O=Exchange;S=Mueller;G=Juergen;';
    const csv = [
      '"Name","DisplayName","RecipientType","RecipientTypeDetails","PrimarySmtpAddress","EmailAddresses","ExternalDirectoryObjectId","IsDirSynced","WindowsLiveID"',
      `"jm","Müller, Jürgen","UserMailbox","UserMailbox","juergen@contoso.com","SMTP:juergen@contoso.com;${x500};${x400};SIP:juergen@contoso.com","id-1","True","juergen@contoso.com"`,
    ].join('\r\n');
    const i = importCsv(csv, 'recipients.csv');
    expect(i.objects[0]!.proxyAddresses).toEqual(['SMTP:juergen@contoso.com', x500, x400, 'SIP:juergen@contoso.com']);
    const lookup = createSnapshotLookup(wholeSnapshot({ header: { format: SNAPSHOT_FORMAT, version: 1, tenant: { id: null, name: 'Contoso', domains: i.domains }, takenAt: '2026-11-28T00:00:00Z', source: 'x', warnings: [], coverage: i.coverage }, objects: i.objects.map((o) => SnapshotObjectSchema.parse(o)) }, 'Contoso'));
    const [answer] = await lookup.findHolders([{ attribute: 'ProxyAddresses', value: x500.replace('X500', 'x500') }]);
    expect(answer!.holders.map((h) => h.displayName)).toEqual(['Müller, Jürgen']);
  });

  it('past SNAPSHOT_MAX_AGE_DAYS, says the holders may have changed and the verdict is a lead (blind34 M10)', async () => {
    const objects = [SnapshotObjectSchema.parse({ type: 'user', id: 'u1', displayName: 'Reception', userPrincipalName: 'reception@northwind.com', proxyAddresses: ['SMTP:reception@northwind.com'] })];
    const header = { format: SNAPSHOT_FORMAT, version: 1 as const, tenant: { id: null, name: 'Northwind', domains: ['northwind.com'] }, takenAt: '2026-11-20T00:00:00Z', source: 'graph', warnings: [] };
    const ask = (days: number) =>
      createSnapshotLookup(wholeSnapshot({ header, objects }, 'Northwind'), () => new Date(Date.parse(header.takenAt) + days * 86_400_000 + 3_600_000), 7).findHolders([{ attribute: 'ProxyAddresses', value: 'smtp:reception@northwind.com' }]);
    expect((await ask(6))[0]!.gap).not.toContain('SNAPSHOT_MAX_AGE_DAYS');
    const [stale] = await ask(7);
    expect(stale!.holders).toHaveLength(1);
    expect(stale!.gap).toContain('(7 days old, graph), not from live Microsoft Graph: confirm with the commands below before changing anything. It is older than SNAPSHOT_MAX_AGE_DAYS (7): who holds the value may have changed since, so take the verdict as a lead, not a finding');
  });

  it('gives a soft-deleted holder beside a live one (it has the recycle bin at hand), and its ticket frees the value on both (blind30 T1)', async () => {
    const objects = [
      { type: 'user', id: 'live-1', displayName: 'Reception (cloud)', userPrincipalName: 'reception@northwind.com', proxyAddresses: ['SMTP:reception@northwind.com', 'smtp:info@northwind.com'] },
      { type: 'user', id: 'gone-7', displayName: 'Info Old', userPrincipalName: '0f1e2d3c4b5a69788796a5b4c3d2e1f0info.old@northwind.com', proxyAddresses: ['SMTP:info@northwind.com'], deleted: true, deletedDateTime: '2026-11-28T00:00:00Z' },
    ].map((o) => SnapshotObjectSchema.parse(o));
    const header = { format: SNAPSHOT_FORMAT, version: 1 as const, tenant: { id: null, name: 'Northwind', domains: ['northwind.com'] }, takenAt: '2026-11-30T00:00:00Z', source: 'graph', warnings: [] };
    const [answer] = await createSnapshotLookup(wholeSnapshot({ header, objects }, 'Northwind')).findHolders([{ attribute: 'ProxyAddresses', value: 'smtp:info@northwind.com' }]);
    expect(answer!.holders.map((h) => [h.displayName, h.deleted])).toEqual([['Reception (cloud)', false], ['Info Old', true]]);
    const base: Omit<SyncError, 'fingerprint'> = { category: 'DuplicateAttribute', errorCode: null, identity: 'Info Desk', objectType: 'User', onPremisesObjectId: null, message: 'duplicate', attributes: [{ name: 'ProxyAddresses', value: 'smtp:info@northwind.com' }] };
    const r = resolveError({ ...base, fingerprint: fingerprintError(base) }, { status: 'found', holders: answer!.holders }, new Date('2026-12-01T00:00:00Z'));
    const steps = r.actions.map((a) => a.step).join('\n');
    expect(r.verdict).toBe('cloud-only-holder');
    expect(steps).toContain('Confirm the soft-deleted user "Info Old"');
    // with the live holder alone, the snapshot's empty recycle bin was searched all the same:
    // no "look there if the next report still lists it", as a Graph lookup would add
    const [liveOnly] = await createSnapshotLookup(wholeSnapshot({ header, objects: objects.slice(0, 1) }, 'Northwind')).findHolders([{ attribute: 'ProxyAddresses', value: 'smtp:info@northwind.com' }]);
    const r2 = resolveError({ ...base, fingerprint: fingerprintError(base) }, { status: 'found', holders: liveOnly!.holders, recycleBinSkipped: liveOnly!.recycleBinSkipped }, new Date('2026-12-01T00:00:00Z'));
    expect(r2.verdict).toBe('cloud-only-holder');
    expect(r2.actions.map((a) => a.step).join('\n')).not.toContain('recycle bin was not searched');
  });

  it('a mail user from Get-Recipient gets Set-MailUser, not Set-Mailbox with a hint', async () => {
    const csv = [
      'Name,DisplayName,RecipientType,RecipientTypeDetails,PrimarySmtpAddress,EmailAddresses,ExternalDirectoryObjectId,IsDirSynced,WindowsLiveID',
      'yamada,Yamada Taro,MailUser,MailUser,yamada@contoso.com,SMTP:yamada@contoso.com;smtp:taro@contoso.com,id-9,False,yamada@contoso.com',
    ].join('\n');
    const r = await resolveImported(importCsv(csv, 'recipients.csv'), 'recipients.csv', 'ProxyAddresses', 'smtp:taro@contoso.com');
    const commands = r.actions.map((a) => a.command ?? '').join('\n');
    expect(commands).toContain("Set-MailUser -Identity 'yamada@contoso.com' -EmailAddresses @{remove='smtp:taro@contoso.com'}");
    expect(commands).not.toMatch(/Set-Mailbox|# mail user/);
  });

  it('reads the Entra download\'s accountEnabled and userType: a blocked account is said before any hard match', async () => {
    const csv = [
      'userPrincipalName,displayName,surname,mail,givenName,objectId,userType,jobTitle,department,accountEnabled',
      'frontdesk@contoso.com,Front Desk,,frontdesk@contoso.com,,id-1,Member,,,False',
    ].join('\n');
    const i = importCsv(csv, 'exportUsers.csv');
    expect(i.objects[0]).toMatchObject({ accountEnabled: false, userType: 'Member' });
  });

  it('leaves a group\'s kind unknown when GroupTypes holds PowerShell\'s type name (a Microsoft 365 group is no distribution group), and says so', async () => {
    const i = imported('get-mggroup-ps7-unexpanded.csv');
    // no #TYPE line (PowerShell 7): its columns say these are groups
    expect(i.objects[0]).toMatchObject({ type: 'group' });
    expect(i.objects[0]!.groupTypes).toBeUndefined();
    expect(i.warnings.join(' ')).toMatch(/GroupTypes column holds PowerShell's type name .*\$_\.GroupTypes -join ';'.*no group's Exchange cmdlet is chosen/);
  });

  it('reads a CSV that Excel saved again in a German locale: semicolons, Windows-1252, WAHR and FALSCH', () => {
    const text = [
      'AccountEnabled;DisplayName;Id;Mail;OnPremisesSyncEnabled;UserPrincipalName;ProxyAddresses',
      'WAHR;Lena Schäfer;id-1;lena@fourthcoffee.de;FALSCH;lena@fourthcoffee.de;"SMTP:lena@fourthcoffee.de;smtp:l.schaefer@fourthcoffee.de"',
    ].join('\r\n');
    const bytes = Buffer.from(text, 'latin1');
    const i = importCsv(decodeExport(Buffer.concat([bytes])), 'users-de.csv');
    expect(i.objects[0]).toMatchObject({ displayName: 'Lena Schäfer', accountEnabled: true, onPremisesSyncEnabled: false, proxyAddresses: ['SMTP:lena@fourthcoffee.de', 'smtp:l.schaefer@fourthcoffee.de'] });
    expect(decodeExport(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]))).toBe(text);
    expect(decodeExport(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]))).toBe(text);
  });

  it('does not call a value free when the snapshot cannot show its holder: an Entra download has no addresses, nor groups or contacts', async () => {
    const r = await resolveWith('entra-download-users.csv', 'ProxyAddresses', 'smtp:sales@contoso.com');
    expect(r.verdict).toBe('holder-unknown');
    expect(r.note).toMatch(/no proxy addresses and no groups or contacts/);
    // a UPN the download holds is found as before
    expect((await resolveWith('entra-download-users.csv', 'UserPrincipalName', 'AdeleV@contoso.com')).verdict).not.toBe('holder-unknown');
    // users alone (Get-MgUser without Get-MgGroup): a group could hold the address
    const users = await resolveWith('get-mguser-ps51.csv', 'ProxyAddresses', 'smtp:sales@contoso.com');
    expect(users.verdict).toBe('holder-unknown');
    expect(users.note).toMatch(/The snapshot holds no groups and contacts: a value held by one is not found/);
    // every recipient with every address: nobody found is nobody
    expect((await resolveWith('get-recipient.csv', 'ProxyAddresses', 'smtp:nobody@contoso.com')).verdict).toBe('no-holder');
  });

  it('never calls a holder cloud-only when the export does not say who is synced: its sync state is read first, then each side has its steps (blind59 R1)', async () => {
    const r = await resolveWith('entra-download-users.csv', 'UserPrincipalName', 'AdeleV@contoso.com');
    expect(r.verdict).toBe('holder-sync-unknown');
    expect(r.holders[0]).toMatchObject({ userPrincipalName: 'AdeleV@contoso.com', syncStateUnknown: true });
    expect(r.actions[0]!.step).toMatch(/^Read whether the holder .* is synced: the export the snapshot came from does not say/);
    expect(r.actions[0]!.command).toMatch(/^Get-MgUser -UserId '.+' -Property .*OnPremisesSyncEnabled/);
    expect(r.actions.some((a) => a.step.startsWith('If it is cloud-only: '))).toBe(true);
    // an export that says it (Get-MgUser with OnPremisesSyncEnabled): its empty value is cloud-only, as in Graph
    const said = await resolveWith('get-mguser-ps51.csv', 'UserPrincipalName', 'john@contoso.com');
    expect(said.verdict).toBe('cloud-only-holder');
    expect(said.holders[0]!.syncStateUnknown).toBeUndefined();
  });

  it('names the line of a broken file, and refuses a file of unknown columns', () => {
    expect(() => imported('broken.csv')).toThrow(PermanentError);
    expect(() => imported('broken.csv')).toThrow(/^broken\.csv:3: not a readable CSV/);
    expect(() => importCsv('a,b\n1,2\n', 'other.csv')).toThrow(/other\.csv: unknown export \(columns a, b…\)/);
  });
});

function reportOf(tenant: ReportRef['tenant']): ReportRef {
  return { reportId: 'r', mailId: null, subject: 's', coversAt: '2026-12-01T00:00:00Z', tenantKey: tenant.domain ?? tenant.name ?? 't', tenant, source: 'mail' };
}

/** `syncdesk snapshot …` run as a user runs it, on a snapshot folder of its own. */
function snapshotCli(): { dir: string; snapshot: (...args: string[]) => Promise<{ stdout: string; stderr: string }> } {
  const run = promisify(execFile);
  const dir = mkdtempSync(join(tmpdir(), 'syncdesk-snap-'));
  const env = { ...process.env, SNAPSHOT_DIR: dir, SYNCDESK_CONFIG: '' };
  return { dir, snapshot: (...args) => run('node', [resolve('bin/syncdesk.js'), 'snapshot', ...args], { env }) };
}

describe('syncdesk snapshot import / list', () => {
  it("joins a tenant's users and groups imported from two files; `snapshot list` and the lookups use both", async () => {
    const { dir, snapshot } = snapshotCli();
    const fixtures = join(import.meta.dirname, '..', 'fixtures', 'snapshots');
    await snapshot('import', join(fixtures, 'get-mguser-ps51.csv'), '--tenant-name', 'Contoso', '--taken-at', '2026-11-29T00:00:00Z');
    const groups = await snapshot('import', join(fixtures, 'get-mggroup-ps7-unexpanded.csv'), '--tenant-name', 'Contoso', '--taken-at', '2026-11-30T00:00:00Z');
    expect(groups.stdout).toMatch(/^tenant Contoso: domains contoso\.com, contoso\.onmicrosoft\.com .*; group: 2026-11-30T00:00:00\.000Z .* get-mggroup-ps7-unexpanded\.csv; user: 2026-11-29T00:00:00\.000Z .* get-mguser-ps51\.csv; no contact$/m);
    const list = await snapshot('list');
    expect(list.stdout.trim().split('\n')).toHaveLength(1);
    const directory = loadSnapshotDirectory(dir, () => new Date('2026-12-01T00:00:00Z'));
    const route = directory.route(reportOf({ id: null, name: 'Contoso', domain: null }));
    if (!('tenant' in route)) throw new Error(route.note);
    const answers = await directory.lookup(route.tenant).findHolders([
      { attribute: 'ProxyAddresses', value: 'smtp:megan@contoso.com' },
      { attribute: 'ProxyAddresses', value: 'SMTP:finance@contoso.com' },
    ]);
    expect(answers.map((a) => a.holders.map((h) => h.displayName))).toEqual([['Megan Bowen'], ['Finance Team']]);
    expect(answers[0]!.gap).toMatch(/snapshot of Contoso taken 2026-11-30T00:00:00\.000Z \(1 day old, mggraph export get-mggroup-ps7-unexpanded\.csv\) for its groups; taken 2026-11-29T00:00:00\.000Z \(2 days old, mggraph export get-mguser-ps51\.csv\) for its users/);
    expect(answers[0]!.gap).toMatch(/holds no contacts/);
  }, 60_000);


  it('a misspelt SNAPSHOT_DIR is named, not ignored in silence (blind61 D6, N1 of its re-run)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'syncdesk-snap-misspelt-'));
    const env = { ...process.env, SNAPSHOT_DIR: dir, SNAPSHOTS_DIR: join(dir, 'meant'), SYNCDESK_CONFIG: '' };
    const { stderr } = await promisify(execFile)('node', [resolve('bin/syncdesk.js'), 'snapshot', 'list'], { env, cwd: dir });
    expect(stderr).toContain("SNAPSHOTS_DIR is no setting of syncdesk's and is ignored: did you mean SNAPSHOT_DIR?");
  }, 30_000);

  it('a snapshot folder it cannot write to is named with its setting and what to do (blind61 D2)', async () => {
    const blocked = join(mkdtempSync(join(tmpdir(), 'syncdesk-snap-blocked-')), 'a-file');
    writeFileSync(blocked, 'a file where the folder should be');
    const users = join(import.meta.dirname, '..', 'fixtures', 'snapshots', 'get-mguser-ps51.csv');
    const env = { ...process.env, SNAPSHOT_DIR: join(blocked, 'snapshots'), SYNCDESK_CONFIG: '' };
    const failed = await promisify(execFile)('node', [resolve('bin/syncdesk.js'), 'snapshot', 'import', users, '--tenant-name', 'Contoso'], { env }).catch((e: { code: number; stderr: string }) => e);
    expect(failed).toMatchObject({ code: 1, stderr: expect.stringContaining(`SNAPSHOT_DIR ${join(blocked, 'snapshots')}: ENOTDIR: not a directory`) });
    expect((failed as { stderr: string }).stderr).toContain('or set SNAPSHOT_DIR to a folder that is');
  }, 30_000);

  it("never joins, nor renames, another tenant's snapshot through a domain the two share (blind34 M2)", async () => {
    const { snapshot } = snapshotCli();
    const users = join(import.meta.dirname, '..', 'fixtures', 'snapshots', 'get-mguser-ps51.csv');
    await snapshot('import', users, '--tenant-name', 'Contoso', '--taken-at', '2026-11-29T00:00:00Z');
    // another customer's export that names the same domains (a migration's leftovers, the wrong file)
    const refused = await snapshot('import', users, '--tenant-name', 'Fabrikam', '--taken-at', '2026-11-30T00:00:00Z').catch((e: { code: number; stderr: string }) => e);
    expect(refused).toMatchObject({ code: 1, stderr: expect.stringContaining("with the snapshot of another tenant, Contoso (contoso.com): give this tenant's own domains with --domain, or --tenant-name 'Contoso' if it is that tenant") });
    expect((await snapshot('list')).stdout.trim()).toMatch(/^Contoso {2}user: 2026-11-29T00:00:00\.000Z[^\n]*$/);
    // with its own domain it is a tenant of its own; that none of the file's users is in it is said (blind34 M7)
    const own = await snapshot('import', users, '--tenant-name', 'Fabrikam', '--domain', 'fabrikam.com', '--taken-at', '2026-11-30T00:00:00Z');
    expect(own.stderr).toContain("warning: none of the file's users, mailboxes or groups is in fabrikam.com: its own are in contoso.com");
    const list = (await snapshot('list')).stdout.trim().split('\n');
    expect(list.map((l) => l.split(/\s{2}/)[0])).toEqual(['Contoso', 'Fabrikam']);
  }, 60_000);

  it('writes inside SNAPSHOT_DIR whatever the tenant is called (`..`, `.`), readable by its owner and group only (blind35 S4, S9)', async () => {
    const { dir, snapshot } = snapshotCli();
    const users = join(import.meta.dirname, '..', 'fixtures', 'snapshots', 'get-mguser-ps51.csv');
    for (const [name, args] of [['Dots', ['--domain', '..']], ['Dots2', ['--tenant-id', '..', '--domain', 'x.example']], ['Dots3', ['--domain', '.']]] as const) {
      const out = await snapshot('import', users, '--tenant-name', name, ...args, '--taken-at', '2026-11-30T00:00:00Z');
      const path = /→ (\S+)$/m.exec(out.stdout)![1]!;
      expect(relative(dir, path).split(sep)).toHaveLength(2);
      expect(relative(dir, path).startsWith('..')).toBe(false);
      expect(statSync(path).mode & 0o777).toBe(0o640);
      expect(statSync(path.replace(/\.jsonl\.gz$/, '.header.json')).mode & 0o777).toBe(0o640);
      // the folder is named by a customer's domain: not listed to others (blind67 P6)
      expect(statSync(dirname(path)).mode & 0o777).toBe(0o750);
    }
    expect((await snapshot('list')).stdout.trim().split('\n').map((l) => l.split(/\s{2}/)[0]).sort()).toEqual(['Dots', 'Dots2', 'Dots3']);
  }, 60_000);

  it("keeps only the snapshots a tenant's lookups read: an older one replaced for every type it holds is removed, one that still answers for a type is kept", async () => {
    const { dir, snapshot } = snapshotCli();
    const fixtures = join(import.meta.dirname, '..', 'fixtures', 'snapshots');
    const recipients = join(fixtures, 'get-recipient.csv'); // users, groups and contacts
    const files = () => readdirSync(join(dir, readdirSync(dir)[0]!)).sort();
    await snapshot('import', recipients, '--tenant-name', 'Contoso', '--taken-at', '2026-11-20T00:00:00Z');
    // users only: the older file still answers for groups and contacts
    const users = await snapshot('import', join(fixtures, 'get-mguser-ps51.csv'), '--tenant-name', 'Contoso', '--taken-at', '2026-11-25T00:00:00Z');
    expect(users.stdout).not.toContain('older snapshots it replaces');
    expect(files()).toHaveLength(4);
    // everything again: both older files are replaced, and go
    const all = await snapshot('import', recipients, '--tenant-name', 'Contoso', '--taken-at', '2026-11-30T00:00:00Z');
    expect(all.stdout).toContain('older snapshots it replaces, removed: 2');
    expect(files()).toEqual(['2026-11-30T00-00-00-000Z.header.json', '2026-11-30T00-00-00-000Z.jsonl.gz']);
    // an export older than the one there is kept as given (it answers nothing while the newer one stands)
    const older = await snapshot('import', recipients, '--tenant-name', 'Contoso', '--taken-at', '2026-11-01T00:00:00Z');
    expect(older.stdout).not.toContain('older snapshots it replaces');
    expect(files()).toHaveLength(4);
  }, 60_000);

  it('stores the snapshot under the tenant and lists it with its age; a broken file exits 1 with the line', async () => {
    const { dir, snapshot } = snapshotCli();
    const file = join(import.meta.dirname, '..', 'fixtures', 'snapshots', 'get-recipient.csv');
    const out = await snapshot('import', file, '--tenant-name', 'Contoso', '--taken-at', '2026-11-30T00:00:00Z');
    expect(out.stdout).toMatch(/^exo-recipients: 5 objects → .*contoso\.com\/2026-11-30T00-00-00-000Z\.jsonl\.gz$/m);
    expect(out.stderr).toMatch(/warning: 1 mail-enabled public folder/);
    const list = await snapshot('list');
    expect(list.stdout).toMatch(/^Contoso {2}2026-11-30T00:00:00\.000Z \(\d+ days? old\) exo-recipients export get-recipient\.csv {2}.*contoso\.com$/m);
    const broken = await snapshot('import', join(import.meta.dirname, '..', 'fixtures', 'snapshots', 'broken.csv')).catch((e: { code: number; stderr: string }) => e);
    expect(broken).toMatchObject({ code: 1 });
    expect((broken as { stderr: string }).stderr).toMatch(/syncdesk snapshot: broken\.csv:3: not a readable CSV/);
    // a Fabrikam report is not answered from Contoso's snapshot, whose contact has a Fabrikam address
    const directory = loadSnapshotDirectory(dir);
    expect(directory.route(reportOf({ id: null, name: 'Fabrikam', domain: 'fabrikam.com' }))).toEqual({ note: expect.stringMatching(/unknown tenant "fabrikam.com".*no snapshot of it/) });
    expect(directory.route(reportOf({ id: null, name: null, domain: 'contoso.onmicrosoft.com' }))).toMatchObject({ tenant: { name: 'Contoso' } });
    const missing = join(dir, 'nope.csv');
    const gone = await snapshot('import', missing).catch((e: { code: number; stderr: string }) => e);
    expect(gone).toMatchObject({ code: 1, stderr: `syncdesk snapshot: cannot read ${missing}: no such file\n` });
  }, 60_000);
});
