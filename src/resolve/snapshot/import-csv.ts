import { CsvError, parse } from 'csv-parse/sync';
import { PermanentError } from '../../errors.ts';
import { domainsSeen, type SnapshotObjectInput } from './snapshot-format.ts';

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
}

type Row = Record<string, string>;

/** PowerShell writes a multi-valued property it was not told to join as its type name. */
const UNEXPANDED = /^(?:System\.(?:String|Object)\[\]|System\.Collections\.\S+|Microsoft\.Exchange\.Data\.\S+|Microsoft\.Graph\.\S+)$/;
const JOIN_HINT = "export it joined, e.g. Select-Object *,@{n='ProxyAddresses';e={$_.ProxyAddresses -join ';'}}";

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

function bool(v: string | null): boolean | null {
  if (v === null) return null;
  if (/^(true|yes|1)$/i.test(v)) return true;
  if (/^(false|no|0)$/i.test(v)) return false;
  return null;
}

export function detectFormat(headers: string[]): ImportFormat | null {
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

function splitValues(v: string | null): string[] {
  return v ? v.split(/[;,|\s]+/).map((s) => s.trim()).filter(Boolean) : [];
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
    records = parse(lines.join('\n'), { columns: true, bom: true, skip_empty_lines: true, info: true }) as never;
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
  const objectType: 'user' | 'group' | 'contact' = typeHint ?? (/Group$/i.test(psType ?? '') ? 'group' : /Contact$/i.test(psType ?? '') ? 'contact' : 'user');
  const objects: SnapshotObjectInput[] = [];
  let unexpanded: string | null = null;
  let publicFolders = 0;

  const proxies = (row: Row, ...names: string[]): string[] => {
    const v = col(row, ...names);
    if (v && UNEXPANDED.test(v)) {
      unexpanded ??= names[0]!;
      return [];
    }
    return splitValues(v);
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
        ...(objectType === 'user' && { accountEnabled: bool(col(row, 'AccountEnabled')) }),
        ...(objectType === 'group' && hasColumn(headers, 'GroupTypes') && { groupTypes: splitValues(col(row, 'GroupTypes')), mailEnabled: bool(col(row, 'MailEnabled')), securityEnabled: bool(col(row, 'SecurityEnabled')) }),
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
  if (unexpanded) warnings.push(`The ${unexpanded} column holds PowerShell's type name instead of the values (${JOIN_HINT}): only UPNs and primary addresses can be matched.`);
  if (publicFolders) warnings.push(`${publicFolders} mail-enabled public folder(s) were left out: a value they hold is not found.`);
  warnings.push('An export holds no soft-deleted objects: the recycle bin was not searched.');

  return { format, objects, warnings, domains: domainsSeen(objects) };
}
