import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Redis } from 'ioredis';
import { simpleParser } from 'mailparser';
import type { MailStore } from '../ingest/mail-store.ts';
import { forgetHeld } from '../ingest/quarantine.ts';
import { PARSER_OPTIONS } from '../parse/mail-tree.ts';
import { readSnapshot, writeSnapshot } from '../resolve/snapshot/snapshot-format.ts';
import { mentions } from './mentions.ts';
import type { Mention } from './mention.ts';

/*
 * Where a value stands in syncdesk's files: the mail store, the directory snapshots, and the
 * file desk's tickets.
 */

/** How deep forwards as attachments are opened: a report forwarded as an attachment of a forward is two. */
const MAX_NESTING = 4;

/**
 * The mail's words as a reader sees them: its bytes may hide them (quoted-printable, base64, a
 * line folded inside an address), and so may a report forwarded as an attachment, whose own
 * bytes are encoded inside the forward's.
 */
async function mailMentions(raw: Buffer, value: string, depth = 0): Promise<boolean> {
  if (mentions(raw.toString('latin1'), value)) return true;
  const mail = await simpleParser(raw, PARSER_OPTIONS);
  const addresses = [mail.from, mail.to, mail.cc].flatMap((a) => (a ? [a].flat().map((x) => x.text) : []));
  if ([mail.subject ?? '', mail.text ?? '', typeof mail.html === 'string' ? mail.html : '', ...addresses].some((t) => mentions(t, value))) return true;
  for (const part of mail.attachments) {
    const forwarded = part.contentType === 'message/rfc822' && depth < MAX_NESTING;
    if (forwarded ? await mailMentions(part.content, value, depth + 1) : mentions(part.content.toString('utf8'), value)) return true;
  }
  return false;
}

/** Stored mails that name the value: each goes whole (a report names many people, but it is a copy of Microsoft's mail), with its quarantine entries. */
export async function mailStoreMentions(store: MailStore, redis: Redis, prefix: string, value: string): Promise<Mention[]> {
  const found: Mention[] = [];
  for (const record of await store.list()) {
    const mail = await store.get(record.mailId);
    if (!mentions(JSON.stringify(record), value) && !(mail && (await mailMentions(mail.raw, value)))) continue;
    found.push({
      store: 'mail store',
      what: `mail ${record.mailId} (received ${record.receivedAt})`,
      forget: async () => {
        await store.remove(record.mailId);
        await forgetHeld(redis, prefix, new Set([record.mailId]));
      },
    });
  }
  return found;
}

/**
 * Snapshot files holding an object that names the value: those objects leave the file, the rest
 * of the directory stays. A snapshot whose tenant the value names (a customer's domain or name:
 * the customer is leaving) goes whole.
 */
export async function snapshotMentions(dir: string, value: string): Promise<Mention[]> {
  if (!existsSync(dir)) return [];
  const found: Mention[] = [];
  for (const folder of readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory())) {
    for (const name of readdirSync(join(dir, folder.name)).filter((n) => n.endsWith('.jsonl.gz'))) {
      const path = join(dir, folder.name, name);
      const { header, objects } = await readSnapshot(path);
      if (mentions(JSON.stringify(header.tenant), value)) {
        found.push({ store: 'snapshot', what: `${path} (the tenant's, whole)`, forget: async () => removeSnapshot(path) });
        continue;
      }
      const named = objects.filter((o) => mentions(JSON.stringify(o), value));
      if (!named.length) continue;
      found.push({
        store: 'snapshot',
        what: `${path} (${named.length} object${named.length === 1 ? '' : 's'})`,
        forget: async () => {
          // written whole, then put in its place (writeSnapshot): a stop half-way leaves the old file
          await writeSnapshot(path, header, objects.filter((o) => !named.includes(o)));
        },
      });
    }
  }
  return found;
}

/** Removes a snapshot, its header, and its tenant's folder once empty. */
function removeSnapshot(path: string): void {
  rmSync(path, { force: true });
  rmSync(path.replace(/\.jsonl\.gz$/, '.header.json'), { force: true });
  if (!readdirSync(dirname(path)).length) rmdirSync(dirname(path));
}

/** The file desk's tickets that name the value: the desk's records, named for the admin to deal with, not removed. */
export function ticketFileMentions(dir: string, value: string): Mention[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => /\.(json|md)$/.test(n) && mentions(readFileSync(join(dir, n), 'utf8'), value))
    .map((n) => ({ store: 'desk ticket file' as const, what: join(dir, n), note: 'a ticket is the desk’s record: delete or edit it there if the request covers it' }));
}
