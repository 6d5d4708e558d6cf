import { CsvError, parse } from 'csv-parse/sync';
import { PermanentError } from '../../errors.ts';
import { domainsSeen, OBJECT_TYPES, type SnapshotCoverage, type SnapshotObjectInput } from './snapshot-format.ts';

/**
 * Reads the exports admins already make into snapshot objects:
 * - `entra-users`: the Entra admin center's "Download users" CSV (users-bulk-download.md:
 *   userPrincipalName, displayName, mail, objectId, userType, …; newer files say `id` and
 *   `directorySynced`);
 * - `mggraph`: `Get-MgUser|Get-MgGroup|Get-MgContact -All -Property … | Export-Csv`
 *   (PowerShell's `#TYPE …` line names the object type; ProxyAddresses joined by the admin);
 * - `exo-recipients`: `Get-Recipient -ResultSize Unlimited | Export-Csv` (RecipientType,
 *   PrimarySmtpAddress, EmailAddresses, ExternalDirectoryObjectId, IsDirSynced, …).
 * The format is told by the columns. Unknown columns are ignored; a missing one is named
 * in a warning that the snapshot carries into every ticket it answers.
 */

export type ImportFormat = 'entra-users' | 'mggraph' | 'exo-recipients';

export interface Imported {
  format: ImportFormat;
  objects: SnapshotObjectInput[];
  warnings: string[];
  /** Domains seen in UPNs and SMTP addresses: how reports may name this tenant. */
  domains: string[];
  /** What "nobody holds it" from this file settles. */
  coverage: SnapshotCoverage;
}

type Row = Record<string, string>;

/** PowerShell writes a multi-valued property it was not told to join as its type name. */
const UNEXPANDED = /^(?:System\.(?:String|Object)\[\]|System\.Collections\.\S+|Microsoft\.Exchange\.Data\.\S+|Microsoft\.Graph\.\S+)$/;
const joinHint = (name: string): string => `export it joined, e.g. Select-Object *,@{n='${name}';e={$_.${name} -join ';'}}`;
/** What a column written as its type name costs the lookups. */
const UNEXPANDED_WARNING: Record<string, string> = {
  ProxyAddresses: `The ProxyAddresses column holds PowerShell's type name instead of the values (${joinHint('ProxyAddresses')}): only UPNs and primary addresses can be matched.`,
  EmailAddresses: `The EmailAddresses column holds PowerShell's type name instead of the values (${joinHint('EmailAddresses')}): only primary SMTP addresses can be matched.`,
  GroupTypes: `The GroupTypes column holds PowerShell's type name instead of the values (${joinHint('GroupTypes')}): which groups are Microsoft 365 groups is not known, so no group's Exchange cmdlet is chosen for it.`,
};

/** Column lookup that ignores case, spaces and underscores ("User principal name" = userPrincipalName). */
function columnReader(headers: string[]): (row: Row, ...names: string[]) => string | null {
  const byNorm = new Map(headers.map((h) => [h.replace(/[\s_]/g, '').toLowerCase(), h]));
  return (row, ...names) => {
    for (const n of names) {
      const h = byNorm.get(n.toLowerCase());
      const v = h === undefined ? undefined : row[h]?.trim();
      if (v) return v;
    }
    return null;
  };
}

function hasColumn(headers: string[], name: string): boolean {
  return headers.some((h) => h.replace(/[\s_]/g, '').toLowerCase() === name.toLowerCase());
}

/** A boolean cell; Excel writes TRUE and FALSE in its own language when it saves a CSV again. */
function bool(v: string | null): boolean | null {
  if (v === null) return null;
  if (/^(?:true|yes|1|wahr|vrai|verdadero|vero|waar|prawda|sant|verdadeiro)$/i.test(v)) return true;
  if (/^(?:false|no|0|falsch|faux|falso|onwaar|fałsz|falskt)$/i.test(v)) return false;
  return null;
}

function detectFormat(headers: string[]): ImportFormat | null {
  if (hasColumn(headers, 'RecipientType') || hasColumn(headers, 'PrimarySmtpAddress')) return 'exo-recipients';
  if (hasColumn(headers, 'OnPremisesSyncEnabled') || hasColumn(headers, 'ProxyAddresses') || hasColumn(headers, 'OnPremisesImmutableId')) return 'mggraph';
  if (hasColumn(headers, 'userPrincipalName') && (hasColumn(headers, 'objectId') || hasColumn(headers, 'id'))) return 'entra-users';
  if (hasColumn(headers, 'Id') && (hasColumn(headers, 'Mail') || hasColumn(headers, 'DisplayName'))) return 'mggraph';
  return null;
}

const RECIPIENT_TYPES: Array<[RegExp, 'user' | 'group' | 'contact']> = [
  [/^(UserMailbox|MailUser|User|SharedMailbox|RoomMailbox|EquipmentMailbox|LinkedMailbox|GuestMailUser|RemoteUserMailbox)$/i, 'user'],
  [/Group|GroupMailbox/i, 'group'],
  [/^MailContact$/i, 'contact'],
];

/**
 * What a recipient's RecipientTypeDetails says that Graph would say otherwise: a group's kind (its
 * Exchange cmdlet), and that a shared or resource mailbox's account does not sign in (blocked
 * when such a mailbox is made).
 */
const EXO_KINDS: Array<[RegExp, Partial<SnapshotObjectInput>]> = [
  [/^GroupMailbox$/i, { groupTypes: ['Unified'], mailEnabled: true, securityEnabled: false }],
  [/^MailUniversalSecurityGroup$/i, { groupTypes: [], mailEnabled: true, securityEnabled: true }],
  [/^(?:MailUniversalDistributionGroup|MailNonUniversalGroup)$/i, { groupTypes: [], mailEnabled: true, securityEnabled: false }],
  [/^(?:SharedMailbox|RoomMailbox|EquipmentMailbox)$/i, { accountEnabled: false }],
];

/**
 * A joined list of proxy addresses. A separator counts only before the next `type:` prefix (or
 * at the end): an X500 address holds spaces ("…/ou=Exchange Administrative Group
 * (FYDIBOHF23SPDLT)/cn=…") and an X400 one semicolons ("X400:C=US;A= ;P=Contoso;…").
 */
function splitAddresses(v: string | null): string[] {
  if (!v) return [];
  // an X400 address ends in its own semicolon, taken with the join's
  return v.split(/[;,|\s]+(?=[A-Za-z][A-Za-z0-9]{0,8}:|$)/).filter(Boolean).map((a) => (/^x400:/i.test(a) && !a.endsWith(';') ? `${a};` : a));
}

/** A joined list of plain words (GroupTypes: "Unified;DynamicMembership"). */
function splitWords(v: string | null): string[] {
  return v ? v.split(/[;,|\s]+/).filter(Boolean) : [];
}

/**
 * An export's bytes as text: UTF-16 after its BOM (PowerShell's `-Encoding Unicode`, Excel's
 * "Unicode text"), UTF-8 (its BOM dropped), else Windows-1252 (Excel's CSV in a Western
 * locale, Windows PowerShell's `-Encoding Default`).
 */
export function decodeExport(bytes: Buffer): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('windows-1252').decode(bytes);
  }
}

/** The header line's separator: a comma, or the semicolon (or tab) of Excel in a locale whose list separator it is. */
function delimiterOf(header: string): string {
  const count = (c: string): number => header.split(c).length - 1;
  return [';', '\t'].find((d) => count(d) > count(',')) ?? ',';
}

export function importCsv(text: string, source = 'the file', typeHint?: 'user' | 'group' | 'contact'): Imported {
  let lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let skipped = 0;
  let psType: string | null = null;
  // PowerShell 5.1's "#TYPE Microsoft.Graph…MicrosoftGraphUser"; a bulk file's "version:v1.0"
  while (lines[0] !== undefined && /^(#TYPE\b|version:)/i.test(lines[0])) {
    psType ??= /^#TYPE\s+(\S+)/i.exec(lines[0])?.[1] ?? null;
    lines = lines.slice(1);
    skipped++;
  }
  let records: Array<{ record: Row; info: { lines: number } }>;
  try {
    records = parse(lines.join('\n'), { columns: true, bom: true, skip_empty_lines: true, info: true, delimiter: delimiterOf(lines[0] ?? '') }) as never;
  } catch (err) {
    const line = err instanceof CsvError && typeof (err as CsvError & { lines?: number }).lines === 'number' ? (err as CsvError & { lines: number }).lines + skipped : null;
    throw new PermanentError(`${source}${line ? `:${line}` : ''}: not a readable CSV (${(err as Error).message})`, 'SnapshotImportInvalid');
  }
  if (!records.length) throw new PermanentError(`${source}: no rows`, 'SnapshotImportInvalid');
  const headers = Object.keys(records[0]!.record);
  const format = detectFormat(headers);
  if (!format) {
    throw new PermanentError(
      `${source}: unknown export (columns ${headers.slice(0, 8).join(', ')}…): expected the Entra "Download users" CSV, Get-MgUser/Get-MgGroup/Get-MgContact | Export-Csv, or Get-Recipient | Export-Csv`,
      'SnapshotImportInvalid',
    );
  }
  const col = columnReader(headers);
  const warnings: string[] = [];
  const missing = (names: string[], consequence: string): void => {
    if (!names.some((n) => hasColumn(headers, n))) warnings.push(`The ${format} export has no ${names[0]} column: ${consequence}.`);
  };
  // PowerShell 7 writes no #TYPE line: a group's columns still say it is one
  const groupColumns = !hasColumn(headers, 'UserPrincipalName') && ['GroupTypes', 'SecurityEnabled', 'MailEnabled'].some((c) => hasColumn(headers, c));
  const objectType: 'user' | 'group' | 'contact' = typeHint ?? (/Group$/i.test(psType ?? '') || groupColumns ? 'group' : /Contact$/i.test(psType ?? '') ? 'contact' : 'user');
  const objects: SnapshotObjectInput[] = [];
  const unexpanded = new Set<string>();
  let publicFolders = 0;

  /** A multi-valued column's values; null when PowerShell wrote its type name instead (said once in a warning). */
  const list = (row: Row, name: string, split: (v: string | null) => string[]): string[] | null => {
    const v = col(row, name);
    if (v && UNEXPANDED.test(v)) {
      unexpanded.add(name);
      return null;
    }
    return split(v);
  };
  const proxies = (row: Row, name: string): string[] => list(row, name, splitAddresses) ?? [];

  /** A group's kind, only when its GroupTypes were exported as values: mail- and security-enabled alone take a Microsoft 365 group for a distribution group. */
  const groupKind = (row: Row): Partial<SnapshotObjectInput> => {
    const groupTypes = hasColumn(headers, 'GroupTypes') ? list(row, 'GroupTypes', splitWords) : null;
    return groupTypes ? { groupTypes, mailEnabled: bool(col(row, 'MailEnabled')), securityEnabled: bool(col(row, 'SecurityEnabled')) } : {};
  };

  for (const { record: row, info } of records) {
    const line = info.lines + skipped;
    let o: SnapshotObjectInput;
    if (format === 'exo-recipients') {
      const rt = col(row, 'RecipientTypeDetails', 'RecipientType') ?? '';
      if (/PublicFolder/i.test(rt)) {
        publicFolders++;
        continue;
      }
      const type = RECIPIENT_TYPES.find(([re]) => re.test(rt))?.[1] ?? 'user';
      o = {
        type,
        id: col(row, 'ExternalDirectoryObjectId', 'Guid', 'ExchangeObjectId', 'Identity') ?? '',
        displayName: col(row, 'DisplayName', 'Name'),
        userPrincipalName: type === 'user' ? col(row, 'WindowsLiveID', 'UserPrincipalName') : null,
        mail: col(row, 'PrimarySmtpAddress', 'WindowsEmailAddress'),
        proxyAddresses: proxies(row, 'EmailAddresses'),
        onPremisesSyncEnabled: bool(col(row, 'IsDirSynced')) === true ? true : null,
        recipientTypeDetails: rt || null,
        ...(/^GuestMailUser$/i.test(rt) && { userType: 'Guest' }),
        ...EXO_KINDS.find(([re]) => re.test(col(row, 'RecipientTypeDetails') ?? ''))?.[1],
      };
    } else if (format === 'entra-users') {
      o = {
        type: 'user',
        id: col(row, 'id', 'objectId') ?? '',
        displayName: col(row, 'displayName'),
        userPrincipalName: col(row, 'userPrincipalName'),
        mail: col(row, 'mail'),
        onPremisesSyncEnabled: bool(col(row, 'onPremisesSyncEnabled', 'directorySynced', 'dirSyncEnabled')) === true ? true : null,
        accountEnabled: bool(col(row, 'accountEnabled')),
        userType: col(row, 'userType'),
      };
    } else {
      o = {
        type: objectType,
        id: col(row, 'Id', 'ObjectId') ?? '',
        displayName: col(row, 'DisplayName'),
        userPrincipalName: objectType === 'user' ? col(row, 'UserPrincipalName') : null,
        mail: col(row, 'Mail'),
        proxyAddresses: proxies(row, 'ProxyAddresses'),
        onPremisesSyncEnabled: bool(col(row, 'OnPremisesSyncEnabled')),
        onPremisesLastSyncDateTime: col(row, 'OnPremisesLastSyncDateTime'),
        onPremisesImmutableId: col(row, 'OnPremisesImmutableId'),
        onPremisesDistinguishedName: col(row, 'OnPremisesDistinguishedName'),
        ...(objectType === 'user' && { accountEnabled: bool(col(row, 'AccountEnabled')), userType: col(row, 'UserType') }),
        ...(objectType === 'group' && groupKind(row)),
      };
    }
    if (!o.id) throw new PermanentError(`${source}:${line}: the row has no object id (${format === 'exo-recipients' ? 'ExternalDirectoryObjectId or Guid' : 'Id/objectId'})`, 'SnapshotImportInvalid');
    objects.push(o);
  }

  if (format === 'entra-users') {
    warnings.push('The Entra "Download users" export has no proxy addresses and no groups or contacts: values held only there are not found.');
    missing(['directorySynced', 'onPremisesSyncEnabled'], 'whether a holder is synced or cloud-only is not known');
  }
  if (format === 'mggraph') {
    missing(['ProxyAddresses'], 'only UPNs and primary mail addresses can be matched');
    missing(['OnPremisesSyncEnabled'], 'whether a holder is synced or cloud-only is not known');
  }
  if (format === 'exo-recipients') missing(['EmailAddresses'], 'only primary SMTP addresses can be matched');
  for (const name of unexpanded) warnings.push(UNEXPANDED_WARNING[name] ?? `The ${name} column holds PowerShell's type name instead of its values (${joinHint(name)}).`);
  if (publicFolders) warnings.push(`${publicFolders} mail-enabled public folder(s) were left out: a value they hold is not found.`);
  warnings.push('An export holds no soft-deleted objects: the recycle bin was not searched.');

  const addresses = (column: string): boolean => hasColumn(headers, column) && !unexpanded.has(column);
  const syncColumns = format === 'entra-users' ? ['directorySynced', 'onPremisesSyncEnabled', 'dirSyncEnabled'] : format === 'exo-recipients' ? ['IsDirSynced'] : ['OnPremisesSyncEnabled'];
  // an export that does not say who is synced leaves every holder's sync state unknown
  const syncState = syncColumns.some((c) => hasColumn(headers, c)) ? {} : { syncState: false };
  const coverage: SnapshotCoverage =
    format === 'entra-users'
      ? { types: ['user'], upns: true, addresses: false, ...syncState }
      : format === 'exo-recipients'
        ? { types: [...OBJECT_TYPES], upns: false, addresses: addresses('EmailAddresses'), ...syncState }
        : { types: [objectType], upns: true, addresses: addresses('ProxyAddresses'), ...syncState };
  if (format === 'exo-recipients') warnings.push('Get-Recipient lists mail recipients only: a user without a mailbox or mail address is not in it, nor its UPN.');
  return { format, objects, warnings, domains: domainsSeen(objects), coverage };
}
