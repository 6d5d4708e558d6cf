import { createReadStream, createWriteStream, renameSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import { z } from 'zod';
import { PermanentError } from '../../errors.ts';

/** A snapshot holds a tenant's directory (names, addresses, anchors): its owner and the service's group read it, as tickets. */
export const SNAPSHOT_FILE_MODE = 0o640;

/**
 * A directory snapshot: one tenant's users, groups and contacts (live and soft-deleted)
 * with exactly what the resolver reads, as gzip-compressed JSON lines. The first line says
 * whose directory it is, when it was taken and from what; every other line is one object.
 * It answers "who holds this value" without Graph access (an MSP without app consent,
 * the demo), and says how old its answer is.
 */

export const SNAPSHOT_FORMAT = 'syncdesk-directory-snapshot' as const;
export const OBJECT_TYPES = ['user', 'group', 'contact'] as const;

export const SnapshotHeaderSchema = z.object({
  format: z.literal(SNAPSHOT_FORMAT),
  version: z.literal(1),
  tenant: z.object({
    id: z.string().nullable(),
    name: z.string().nullable(),
    /** Domains a report may name the tenant by (verified domains, the .onmicrosoft.com one). */
    domains: z.array(z.string()),
  }),
  takenAt: z.string().datetime({ offset: true }),
  /** What made it: `graph` (snapshot export) or the export format it was imported from. */
  source: z.string(),
  /** What the source could not tell (a missing column), said again in every answer. */
  warnings: z.array(z.string()).default([]),
  /**
   * What an answer of "nobody holds it" from this file settles. Absent (a Graph export, an older
   * snapshot): every user, group and contact with every address.
   */
  coverage: z
    .object({
      /** The object types it holds: an export of groups only leaves the users to another file of the tenant. */
      types: z.array(z.enum(OBJECT_TYPES)).min(1),
      /** Every user of the tenant with its UPN (not so in Get-Recipient: only mail recipients). */
      upns: z.boolean(),
      /** Every address of its objects (not so in the Entra download, nor where PowerShell wrote a type name). */
      addresses: z.boolean(),
      /**
       * Whether its objects say if they are synced from on-premises (false: the export had no such
       * column, and an empty sync state is "not known", not "cloud-only"). Absent: they do.
       */
      syncState: z.boolean().optional(),
    })
    .optional(),
});
export type SnapshotHeader = z.infer<typeof SnapshotHeaderSchema>;
export type SnapshotCoverage = NonNullable<SnapshotHeader['coverage']>;
export type ObjectType = (typeof OBJECT_TYPES)[number];

/** What a Graph export (and a snapshot from before coverage was recorded) holds. */
export const FULL_COVERAGE: SnapshotCoverage = { types: ['user', 'group', 'contact'], upns: true, addresses: true };

export const SnapshotObjectSchema = z.object({
  type: z.enum(OBJECT_TYPES),
  id: z.string().min(1),
  displayName: z.string().nullable().default(null),
  userPrincipalName: z.string().nullable().default(null),
  mail: z.string().nullable().default(null),
  proxyAddresses: z.array(z.string()).default([]),
  /** As Graph says it: true synced now, false was synced, null never synced (or unknown: see the header's warnings). */
  onPremisesSyncEnabled: z.boolean().nullable().default(null),
  onPremisesLastSyncDateTime: z.string().nullable().default(null),
  onPremisesImmutableId: z.string().nullable().default(null),
  onPremisesDistinguishedName: z.string().nullable().default(null),
  deleted: z.boolean().default(false),
  deletedDateTime: z.string().nullable().default(null),
  /** A user's; false as a rule for shared and resource mailboxes. Absent from older snapshots. */
  accountEnabled: z.boolean().nullable().optional(),
  /** A group's, as Graph says them: which Exchange cmdlet changes it. Absent from older snapshots. */
  groupTypes: z.array(z.string()).optional(),
  mailEnabled: z.boolean().nullable().optional(),
  securityEnabled: z.boolean().nullable().optional(),
  /** A synced group's SID and domain (Graph gives a group no DN): what names it to Set-ADGroup. Absent from older snapshots. */
  onPremisesSecurityIdentifier: z.string().nullable().optional(),
  onPremisesDomainName: z.string().nullable().optional(),
  /** A user's, as Graph says it: `Member` or `Guest`. Absent from older snapshots. */
  userType: z.string().nullable().optional(),
  /** Exchange's kind of recipient (`UserMailbox`, `SharedMailbox`, `MailUser`, …), from a Get-Recipient export. */
  recipientTypeDetails: z.string().nullable().optional(),
});
export type SnapshotObject = z.infer<typeof SnapshotObjectSchema>;
export type SnapshotObjectInput = z.input<typeof SnapshotObjectSchema>;

export interface Snapshot {
  header: SnapshotHeader;
  objects: SnapshotObject[];
}

/** Writes a snapshot atomically (temp file, then rename): a reader never sees half of one. */
export async function writeSnapshot(path: string, header: SnapshotHeader, objects: Iterable<SnapshotObjectInput> | AsyncIterable<SnapshotObjectInput>): Promise<number> {
  let count = 0;
  async function* lines(): AsyncGenerator<string> {
    yield `${JSON.stringify(SnapshotHeaderSchema.parse(header))}\n`;
    for await (const o of objects) {
      count++;
      yield `${JSON.stringify(SnapshotObjectSchema.parse(o))}\n`;
    }
  }
  const temp = `${path}.partial`;
  await pipeline(Readable.from(lines()), createGzip(), createWriteStream(temp, { mode: SNAPSHOT_FILE_MODE }));
  renameSync(temp, path);
  return count;
}

/** Reads a snapshot; a bad line is a PermanentError naming the file and line number. */
export async function readSnapshot(path: string): Promise<Snapshot> {
  const input = createReadStream(path).pipe(createGunzip());
  const rl = createInterface({ input, crlfDelay: Infinity });
  let header: SnapshotHeader | null = null;
  const objects: SnapshotObject[] = [];
  let line = 0;
  try {
    for await (const text of rl) {
      line++;
      if (!text.trim()) continue;
      const json = parseJson(text, path, line);
      if (!header) header = checked(SnapshotHeaderSchema, json, path, line, 'not a syncdesk directory snapshot');
      else objects.push(checked(SnapshotObjectSchema, json, path, line, 'bad object'));
    }
  } catch (err) {
    if (err instanceof PermanentError) throw err;
    throw new PermanentError(`${path}: cannot read the snapshot (${(err as Error).message})`, 'SnapshotUnreadable');
  }
  if (!header) throw new PermanentError(`${path}: empty snapshot`, 'SnapshotInvalid');
  return { header, objects };
}

function parseJson(text: string, path: string, line: number): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new PermanentError(`${path}:${line}: not JSON`, 'SnapshotInvalid');
  }
}

function checked<T>(schema: z.ZodType<T>, json: unknown, path: string, line: number, what: string): T {
  const r = schema.safeParse(json);
  if (r.success) return r.data;
  throw new PermanentError(`${path}:${line}: ${what}: ${r.error.issues.map((i) => `${i.path.join('.') || '(line)'} ${i.message}`).join('; ')}`, 'SnapshotInvalid');
}

/**
 * The tenant's own domains as its objects show them, most used first: how reports may name
 * the tenant. Every user's UPN is in one of the tenant's domains (a guest's
 * `…#EXT#@contoso.onmicrosoft.com` too), and so are the addresses Exchange gives its members'
 * mailboxes and its groups (accepted domains only). A contact's, a guest's or a mail user's
 * address is another organisation's: counted, it would let this tenant's snapshot answer
 * the reports of that organisation (an MSP's other customers).
 */
export function domainsSeen(objects: SnapshotObjectInput[]): string[] {
  const counts = new Map<string, number>();
  const add = (address: string | null | undefined): void => {
    const d = address?.split('@')[1]?.toLowerCase();
    if (d) counts.set(d, (counts.get(d) ?? 0) + 1);
  };
  for (const o of objects) {
    if (o.type === 'user') add(o.userPrincipalName);
    if (o.type === 'contact' || (o.type === 'user' && isExternalUser(o))) continue;
    add(o.mail);
    for (const p of o.proxyAddresses ?? []) if (/^smtp:/i.test(p)) add(p.slice(5));
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 50).map(([d]) => d);
}

/** A guest, or a mail user: its mail address belongs to its own organisation. */
function isExternalUser(o: SnapshotObjectInput): boolean {
  return /#EXT#@/i.test(o.userPrincipalName ?? '') || /^guest$/i.test(o.userType ?? '') || /MailUser$/i.test(o.recipientTypeDetails ?? '');
}
