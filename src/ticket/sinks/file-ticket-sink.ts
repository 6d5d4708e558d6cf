import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, normalize } from 'node:path';
import { DESK_STATUSES, type ContentBlock, type DeskRoute, type DeskStatus, type DeskTicket, type PriorityLevel, type TicketDraft } from '../../../schemas/ticket.schema.ts';
import { PermanentError } from '../../errors.ts';
import type { TicketSink } from '../ticket-sink.ts';
import { draftLevel, type DeskExtras } from './desk-kit.ts';
import { mailNamed } from './mail-attachment.ts';
import { terminalText } from '../../terminal-text.ts';
import { escapeMarkdown, toMarkdown } from './markup.ts';
import { diskTrouble, writeAtomic } from '../../write-atomic.ts';

/**
 * The embedded default desk: one JSON file (the record) and one Markdown file (for people)
 * per ticket in a folder, plus `by-key/<key>/<id>` marker files so a lookup by key reads
 * only that key's tickets. Every write goes to a temporary file first and is renamed into
 * place, so a crash never leaves a half-written ticket. An agent works a ticket by editing
 * `status` in its JSON file (`open`, `resolved`, `closed`, `wontfix`; another word is open).
 */

export interface FileTicket {
  id: string;
  key: string;
  summary: string;
  keyDisplay: string;
  status: DeskStatus;
  createdAt: string;
  updatedAt: string;
  resolvedAt: string | null;
  /** The draft's priority level (TICKET_PRIORITY_TENANT / TICKET_PRIORITY_OBJECT). */
  priority?: PriorityLevel;
  body: ContentBlock[];
  notes: Array<{ at: string; kind: 'note' | 'resolve' | 'reopen'; blocks: ContentBlock[] }>;
  links: Array<{ type: 'refers-to' | 'referred-to-by'; id: string }>;
  /** Where the tenants file routes the report's tenant (`desk:`): a folder has no queues, so it is kept as written, for the desk it stands in for. */
  route?: DeskRoute;
}

export interface FileTicketSink extends TicketSink {
  /** Reads one ticket record (null when absent). */
  read(id: string): Promise<FileTicket | null>;
  /** What an agent does by hand: set a ticket's status. */
  setStatus(id: string, status: DeskStatus): Promise<void>;
}

const ID_PATTERN = /^T\d{13}-[0-9a-f]{6}$/;

/**
 * The status an agent wrote, in any case ("RESOLVED"); a word syncdesk does not know ("in
 * progress", "pending") is a ticket still worked: open. Read as closed, it made a second ticket
 * of a problem the agent was on.
 */
function agentStatus(status: unknown): DeskStatus {
  const word = String(status ?? '').trim().toLowerCase();
  return (DESK_STATUSES as readonly string[]).includes(word) ? (word as DeskStatus) : 'open';
}

/** A folder takes no attachments: the report mail is named by its place in the mail store. */
export function createFileTicketSink(options: { dir: string; now?: () => Date } & DeskExtras): FileTicketSink {
  const dir = options.dir;
  const now = options.now ?? (() => new Date());
  const jsonPath = (id: string) => join(dir, `${id}.json`);

  // the service's own group may read tickets (an agent's account); other local accounts not
  const TICKET_MODE = 0o640;

  function markdown(t: FileTicket): string {
    const lines = [
      `# ${escapeMarkdown(t.summary)}`,
      '',
      `- Ticket: ${t.id}`,
      `- Status: ${t.status}${t.resolvedAt ? ` (resolved ${t.resolvedAt})` : ''}`,
      ...(t.priority ? [`- Priority: ${t.priority}`] : []),
      `- Key: ${t.key} (${escapeMarkdown(t.keyDisplay)})`,
      `- Created: ${t.createdAt}, updated: ${t.updatedAt}`,
      ...t.links.map((l) => `- ${l.type === 'refers-to' ? 'Follow-up of' : 'Followed up by'} ${l.id}`),
      '',
      toMarkdown(t.body),
    ];
    for (const n of t.notes) lines.push('', `## ${n.kind === 'note' ? 'Note' : n.kind === 'resolve' ? 'Resolved' : 'Reopened'} — ${n.at}`, '', toMarkdown(n.blocks));
    // the file people `cat` or `less`: a mail's control characters shown, not obeyed
    return `${terminalText(lines.join('\n'))}\n`;
  }

  async function save(t: FileTicket, made = false): Promise<void> {
    const md = join(dir, `${t.id}.md`);
    try {
      await mkdir(dir, { recursive: true, mode: 0o750 });
      // JSON last: it is the record, the Markdown is derived from it.
      await writeAtomic(md, markdown(t), TICKET_MODE);
      await writeAtomic(jsonPath(t.id), `${JSON.stringify(t, null, 2)}\n`, TICKET_MODE);
    } catch (err) {
      // a new ticket's Markdown without its record would read as a second ticket of the problem
      if (made) await rm(md, { force: true }).catch(() => undefined);
      throw diskTrouble(err, dir, 'TICKET_DIR');
    }
  }

  async function read(id: string): Promise<FileTicket | null> {
    if (!ID_PATTERN.test(id)) return null;
    let text: string;
    try {
      text = await readFile(jsonPath(id), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    let t: FileTicket;
    try {
      t = JSON.parse(text) as FileTicket;
    } catch (err) {
      // an agent's typo: said with the file, and not retried (it does not mend itself)
      throw new PermanentError(`file desk: ${jsonPath(id)} is not valid JSON (${(err as Error).message}): correct it, then \`syncdesk failed retry --all\``, 'desk_file_invalid');
    }
    // an agent's note written by hand may have text and no blocks
    t.notes = (Array.isArray(t.notes) ? t.notes : []).map((n) => (Array.isArray(n.blocks) ? n : { ...n, blocks: [{ kind: 'paragraph', text: String((n as { text?: unknown }).text ?? '') }] }));
    // an agent who set "status" by hand wrote no time: the file's is when the desk decided
    if (agentStatus(t.status) !== 'open' && !t.resolvedAt) t.resolvedAt = (await stat(jsonPath(id))).mtime.toISOString();
    return t;
  }

  async function mustRead(id: string): Promise<FileTicket> {
    const t = await read(id);
    if (!t) throw new PermanentError(`file desk: no ticket ${id} in ${dir}`, 'desk_not_found');
    return t;
  }

  function toDesk(t: FileTicket): DeskTicket {
    // the agent's own word stays in the file; syncdesk reads it as one of its four
    return { id: t.id, key: t.key, url: `file://${jsonPath(t.id)}`, status: agentStatus(t.status), resolvedAt: t.resolvedAt };
  }

  async function change(id: string, fn: (t: FileTicket, at: string) => void): Promise<FileTicket> {
    const t = await mustRead(id);
    const at = now().toISOString();
    fn(t, at);
    t.updatedAt = at;
    await save(t);
    return t;
  }

  return {
    name: 'file',
    where: `file://${normalize(dir)}`,
    read,
    // a direct read: a ticket file gone (a desk folder restored from an older copy, a file
    // deleted) is told from one not yet found, so the problem gets a ticket again
    async get(id) {
      const t = await read(id);
      return t && toDesk(t);
    },
    async findByKey(key) {
      let ids: string[];
      try {
        ids = await readdir(join(dir, 'by-key', key));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw err;
      }
      const tickets = (await Promise.all(ids.map(read))).filter((t): t is FileTicket => t !== null && t.key === key);
      tickets.sort((a, b) => (a.createdAt === b.createdAt ? (a.id < b.id ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1));
      return tickets.map(toDesk);
    },
    async create(draft: TicketDraft, opts) {
      const at = now().toISOString();
      const id = `T${String(Date.now()).padStart(13, '0')}-${randomBytes(3).toString('hex')}`;
      const t: FileTicket = {
        id,
        key: draft.key,
        summary: draft.summary,
        keyDisplay: draft.keyDisplay,
        status: 'open',
        createdAt: at,
        updatedAt: at,
        resolvedAt: null,
        priority: draftLevel(draft, options.priority),
        body: draft.mailId && options.mail ? [...draft.body, mailNamed({ mailId: draft.mailId, path: options.mail.pathOf(draft.mailId) })] : draft.body,
        notes: [],
        links: opts.followUpOf ? [{ type: 'refers-to', id: opts.followUpOf.id }] : [],
        ...(opts.route && { route: opts.route }),
      };
      // the key marker first: a crash between the two writes leaves a marker without a
      // ticket (ignored by findByKey), never a ticket that findByKey cannot see
      try {
        await mkdir(join(dir, 'by-key', draft.key), { recursive: true, mode: 0o750 });
        await writeFile(join(dir, 'by-key', draft.key, id), '', { mode: TICKET_MODE });
      } catch (err) {
        throw diskTrouble(err, dir, 'TICKET_DIR');
      }
      await save(t, true);
      if (opts.followUpOf && (await read(opts.followUpOf.id))) {
        await change(opts.followUpOf.id, (old) => old.links.push({ type: 'referred-to-by', id }));
      }
      return toDesk(t);
    },
    async addNote(ticket, note) {
      await change(ticket.id, (t, at) => t.notes.push({ at, kind: 'note', blocks: note }));
    },
    async updateFields(ticket, fields) {
      if (fields.summary === undefined) return;
      await change(ticket.id, (t) => (t.summary = fields.summary!));
    },
    async resolve(ticket, note) {
      return toDesk(
        await change(ticket.id, (t, at) => {
          t.status = 'resolved';
          t.resolvedAt = at;
          t.notes.push({ at, kind: 'resolve', blocks: note });
        }),
      );
    },
    async reopen(ticket, note) {
      return toDesk(
        await change(ticket.id, (t, at) => {
          t.status = 'open';
          t.resolvedAt = null;
          t.notes.push({ at, kind: 'reopen', blocks: note });
        }),
      );
    },
    async setStatus(id, status) {
      await change(id, (t, at) => {
        t.status = status;
        if (status === 'resolved' || status === 'closed') t.resolvedAt = at;
      });
    },
  };
}
