import { DEFAULT_TICKET_PRIORITY, type Config } from '../../../schemas/config.schema.ts';
import type { ContentBlock, DeskStatus, DeskTicket, TicketDraft } from '../../../schemas/ticket.schema.ts';
import { PermanentError } from '../../errors.ts';
import { CANNOT_REOPEN, DESK_STATE_UNCHANGED, type TicketSink } from '../ticket-sink.ts';
import { describeBody, UnconfirmedError } from './http-errors.ts';
import { jiraSummary, toAdf } from './jira-adf.ts';
import { chooseTransition, createScreenOf, labelsMissing, priorityField, transitionFields, type CreateScreen, type JiraTransition } from './jira-screens.ts';
import { attachAfterCreate, bodyWithMail, deskBaseUrl, draftLevel, jsonDeskHttp, oncePerKey, originalMail, requireDeskSettings, type RestDeskDeps } from './desk-kit.ts';
import type { MailAttachment } from './mail-attachment.ts';
import { isCorrelationKey } from '../correlation-key.ts';

/**
 * Jira Cloud issues through REST v3. The key is a label on the issue. Finding it goes through
 * `POST /rest/api/3/search/jql`, which is eventually consistent: an issue created a moment ago
 * may be missing, and the fields it returns may be stale. So the adapter
 *  - remembers every issue it created per key (in memory, this process only) and passes their
 *    ids as `reconcileIssues`, and reads any it still misses directly;
 *  - re-reads each found issue with `GET /issue/{id}` (strongly consistent) for its status.
 * Across processes and restarts the ticket use case's Redis state is the primary lookup
 * (src/ticket/ticket-state.ts); this map only closes the gap inside one worker, e.g. a retry
 * after a crash between the create and the state write.
 * Screens are read, not guessed (jira-screens.ts): the create screen once per process from
 * createmeta, a transition's screen with `expand=transitions.fields` each time it is used.
 */

const ISSUE_FIELDS = ['status', 'resolution', 'resolutiondate', 'statuscategorychangedate', 'labels', 'created'];
const MAX_PAGES = 10;
/**
 * After a create whose answer was lost, the search is tried again after each of these waits
 * (half a minute in all): Atlassian documents the search as eventually consistent, with no
 * bound; it catches up within seconds as a rule. A create that timed out without reaching
 * Jira costs this wait once before its job is retried.
 */
const LOST_CREATE_WAITS_MS = [1_000, 2_000, 4_000, 8_000, 15_000];
/** Keys remembered at most (oldest dropped first); a key's issues are few. */
const MEMORY_KEYS = 10_000;

interface JiraIssue {
  id: string;
  key: string;
  fields?: {
    status?: { name?: string; statusCategory?: { key?: string } };
    resolution?: { name?: string } | null;
    resolutiondate?: string | null;
    statuscategorychangedate?: string | null;
    labels?: string[];
    created?: string;
  };
}

/** The label carrying a key: the key itself, which must be one word (labels cannot hold spaces). */
function jiraLabel(key: string): string {
  if (!key || key.length > 255 || /[\s"\\]/.test(key)) {
    throw new PermanentError(`jira: correlation key ${JSON.stringify(key)} cannot be a label`, 'invalid_key');
  }
  return key;
}

function jqlString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Jira's timestamps (`2026-11-24T09:28:00.000+0000`) as ISO. */
function isoOf(value: string | null | undefined): string | null {
  if (!value) return null;
  const t = Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

export function createJiraTicketSink(config: Config['ticket']['jira'], deps: RestDeskDeps): TicketSink {
  // JIRA_PROJECT: where issues go unless the tenants file routes a report's tenant elsewhere
  const { url, email, token, project: ownProject } = requireDeskSettings('jira', config);
  const base = deskBaseUrl(url);
  // the ticket stage's logger names the component and the desk already
  const log = deps.logger;
  // Jira may count writes per issue (RateLimit-Reason: jira-per-issue-on-write): such a 429 holds back that issue only
  const http = jsonDeskHttp('jira', base, { username: email, password: token }, log, { ticketPath: /^\/rest\/api\/3\/issue\/[^/?]+/, ...deps.http });
  // defaults live in the config schema
  const resolveNames = config.resolveTransitions;
  const reopenNames = config.reopenTransitions;
  const wontFix = new Set(config.wontFixResolutions.map((n) => n.toLowerCase()));
  const linkType = config.linkType;
  const closedStatuses = new Set(config.closedStatuses.map((n) => n.toLowerCase()));
  const issueType = config.issueType;
  const priority = deps.priority ?? DEFAULT_TICKET_PRIORITY;
  /** Priority names already warned about, once per process. */
  const unoffered = new Set<string>();
  const created = new Map<string, string[]>();
  const sleep = deps.http?.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  /** Each project's create screen, read once: the desk's own project and each tenant's (`desk.jira.project`). */
  const screens = oncePerKey((project: string) => readCreateScreen(project));
  // issues may be in any project a tenant routes to: searches cover them all, so a ticket is found wherever it was made
  const projects = [...new Set([ownProject, ...(deps.routes ?? []).flatMap((r) => (r.jira ? [r.jira.project] : []))])];
  const projectClause = projects.length === 1 ? `project = ${jqlString(ownProject)}` : `project in (${projects.map(jqlString).join(', ')})`;

  function remember(key: string, id: string): void {
    const ids = created.get(key) ?? [];
    created.delete(key);
    created.set(key, [...ids.filter((i) => i !== id), id]);
    if (created.size > MEMORY_KEYS) created.delete(created.keys().next().value!);
  }

  function statusOf(issue: JiraIssue): DeskStatus {
    const f = issue.fields ?? {};
    if (f.status?.statusCategory?.key !== 'done') return 'open';
    const resolution = f.resolution?.name?.toLowerCase();
    if (resolution && wontFix.has(resolution)) return 'wontfix';
    return closedStatuses.has(f.status?.name?.toLowerCase() ?? '') ? 'closed' : 'resolved';
  }

  function toTicket(issue: JiraIssue, key: string): DeskTicket {
    const status = statusOf(issue);
    return {
      id: issue.id,
      name: issue.key,
      key,
      url: `${base}/browse/${issue.key}`,
      status,
      // a workflow whose done status sets no resolution leaves no resolution date: the move to done dates it
      resolvedAt: status === 'open' ? null : isoOf(issue.fields?.resolutiondate ?? issue.fields?.statuscategorychangedate),
    };
  }

  async function read(id: string): Promise<JiraIssue | null> {
    const res = await http.request<JiraIssue>({
      method: 'GET',
      url: `/rest/api/3/issue/${encodeURIComponent(id)}`,
      params: { fields: ISSUE_FIELDS.join(',') },
      acceptStatus: [404],
    });
    return res.status === 404 ? null : res.data;
  }

  async function search(label: string, reconcile: string[]): Promise<string[]> {
    const ids: string[] = [];
    let nextPageToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const res = await http.request<{ issues?: JiraIssue[]; nextPageToken?: string }>({
        method: 'POST',
        url: '/rest/api/3/search/jql',
        data: {
          jql: `${projectClause} AND labels = ${jqlString(label)} ORDER BY created DESC`,
          fields: ['labels'],
          maxResults: 50,
          // Jira takes at most 50: the newest, since a fresh issue is the one the index may still miss
          ...(reconcile.length ? { reconcileIssues: reconcile.map(Number).filter(Number.isFinite).slice(-50) } : {}),
          ...(nextPageToken ? { nextPageToken } : {}),
        },
        idempotent: true, // a search changes nothing
      });
      for (const issue of res.data.issues ?? []) {
        // JQL label matching is case-insensitive; the key is not.
        if (issue.fields?.labels?.includes(label)) ids.push(issue.id);
      }
      nextPageToken = res.data.nextPageToken;
      if (!nextPageToken) break;
    }
    return ids;
  }

  /**
   * A create whose answer was lost may have made the issue, and the search that precedes a
   * create again cannot show it yet (a second issue with the same label, seconds
   * later). So the issue is looked for here, as the index catches up, before the error goes
   * back: an issue with the label newer than the one this create follows up is the one made.
   */
  async function unlessLost<T>(sent: Promise<T>, label: string, followUpOf: DeskTicket | undefined): Promise<T | { status: 201; data: { id: string; key: string } }> {
    try {
      return await sent;
    } catch (err) {
      if (!(err instanceof UnconfirmedError)) throw err;
      const after = Number(followUpOf?.id ?? 0);
      for (const wait of LOST_CREATE_WAITS_MS) {
        await sleep(wait);
        for (const id of await search(label, [])) {
          if (!(Number(id) > after)) continue;
          const issue = await read(id);
          if (issue?.fields?.labels?.includes(label)) {
            log.warn({ label, ticketId: issue.id, issue: issue.key }, 'jira: a create whose answer was lost had made the issue; found it');
            return { status: 201, data: { id: issue.id, key: issue.key } };
          }
        }
      }
      throw err;
    }
  }

  async function transition(ticket: DeskTicket, names: string[], what: 'resolve' | 'reopen'): Promise<void> {
    const res = await http.request<{ transitions?: JiraTransition[] }>({
      method: 'GET',
      url: `/rest/api/3/issue/${encodeURIComponent(ticket.id)}/transitions`,
      params: { expand: 'transitions.fields' },
    });
    const available = res.data.transitions ?? [];
    const chosen = chooseTransition(available, names);
    if (!chosen) {
      const status = (await read(ticket.id))?.fields?.status?.name;
      throw new PermanentError(
        `jira: no ${what} transition (${names.join(', ')}) from the issue's status${status ? ` "${status}"` : ''}; available: ${available.map((t) => t.name).join(', ') || 'none'}`,
        // a done issue that cannot be reopened is one the ticket stage follows up instead
        what === 'reopen' ? CANNOT_REOPEN : 'desk_no_transition',
      );
    }
    const fields = transitionFields(chosen, what, config.resolution);
    await http.request({
      method: 'POST',
      url: `/rest/api/3/issue/${encodeURIComponent(ticket.id)}/transitions`,
      data: { transition: { id: chosen.id }, ...(Object.keys(fields).length ? { fields } : {}) },
    });
  }

  /**
   * The create screen of the project's issue type, or null where createmeta answers 404 (Jira
   * Server/Data Center has it elsewhere): then every field is sent, and create() learns from
   * Jira's 400 what the screen lacks.
   */
  async function readCreateScreen(project: string): Promise<CreateScreen | null> {
    const meta = `/rest/api/3/issue/createmeta/${encodeURIComponent(project)}/issuetypes`;
    const types = await metaList<{ id: string; name: string }>(meta, 'issueTypes');
    if (!types) return noCreateMeta(meta);
    const type = types.find((t) => t.name.toLowerCase() === issueType.toLowerCase());
    if (!type) {
      const names = types.map((t) => t.name).join(', ');
      throw new PermanentError(`jira: project ${project} has no issue type '${issueType}' (has: ${names || 'none'}); set JIRA_ISSUE_TYPE`, 'desk_create_screen');
    }
    const fields = await metaList<{ fieldId?: string; key?: string }>(`${meta}/${encodeURIComponent(type.id)}`, 'fields');
    if (!fields) return noCreateMeta(`${meta}/${type.id}`);
    return createScreenOf(fields);
  }

  /** Every page of a createmeta list (at most 200 a page: a big screen has more fields), or null on 404. */
  async function metaList<T>(url: string, name: 'issueTypes' | 'fields'): Promise<T[] | null> {
    const all: T[] = [];
    for (let page = 0; page < MAX_PAGES; page++) {
      const res = await http.request<Record<string, unknown>>({ method: 'GET', url, params: { startAt: all.length, maxResults: 200 }, acceptStatus: [404] });
      if (res.status === 404) return null;
      const values = (res.data[name] ?? []) as T[];
      all.push(...values);
      if (!values.length || typeof res.data.total !== 'number' || all.length >= res.data.total) break;
    }
    return all;
  }

  function noCreateMeta(url: string): null {
    log.warn({ url }, 'jira: createmeta answered 404; the create screen is unknown, so every field is sent and a 400 tells what it lacks');
    return null;
  }

  /**
   * The create screen unknown, Jira's 400 names the fields it lacks: without Labels syncdesk
   * cannot key its issues (refused with the fix); without Description the body becomes the
   * first comment, as when createmeta says so. Null: send again without the description.
   */
  function unknownScreenRefusal(project: string, body: unknown): PermanentError | { description: boolean; priority: boolean } {
    const errors = (body as { errors?: Record<string, unknown> } | null)?.errors ?? {};
    if ('labels' in errors) return labelsMissing(project, issueType);
    const keys = Object.keys(errors);
    // a description or a priority the screen lacks (or a priority name it does not offer): send again without
    if (keys.length && keys.every((k) => k === 'description' || k === 'priority')) return { description: !('description' in errors), priority: !('priority' in errors) };
    return new PermanentError(`jira: POST /rest/api/3/issue answered 400: ${describeBody(body)}`, 'desk_rejected');
  }

  /** POST …/attachments, multipart with one `file` part; Jira refuses it without X-Atlassian-Token: no-check (XSRF). */
  async function attach(issueId: string, a: MailAttachment): Promise<void> {
    const boundary = `syncdesk-${Date.now().toString(36)}${Math.random().toString(36).slice(2)}`;
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${a.fileName}"\r\nContent-Type: ${a.contentType}\r\n\r\n`;
    await http.request({
      method: 'POST',
      url: `/rest/api/3/issue/${encodeURIComponent(issueId)}/attachments`,
      headers: { 'X-Atlassian-Token': 'no-check', 'Content-Type': `multipart/form-data; boundary=${boundary}` },
      data: Buffer.concat([Buffer.from(head), a.bytes, Buffer.from(`\r\n--${boundary}--\r\n`)]),
    });
  }

  async function comment(ticket: DeskTicket, note: ContentBlock[]): Promise<void> {
    await http.request({
      method: 'POST',
      url: `/rest/api/3/issue/${encodeURIComponent(ticket.id)}/comment`,
      data: {
        body: toAdf(note),
        // Jira Service Management: an internal comment, not shown or mailed to the customer.
        properties: [{ key: 'sd.public.comment', value: { internal: true } }],
      },
    });
  }

  async function link(ticket: DeskTicket, other: DeskTicket): Promise<void> {
    await http.request({
      method: 'POST',
      url: '/rest/api/3/issueLink',
      data: { type: { name: linkType }, inwardIssue: { id: ticket.id }, outwardIssue: { id: other.id } },
    });
  }

  async function fresh(ticket: DeskTicket): Promise<DeskTicket> {
    const issue = await read(ticket.id);
    if (!issue) throw new PermanentError(`jira: issue ${ticket.id} is gone`, 'desk_not_found');
    return toTicket(issue, ticket.key);
  }

  return {
    name: 'jira',
    where: base,

    async findByKey(key) {
      const label = jiraLabel(key);
      const mine = created.get(key) ?? [];
      const found = await search(label, mine);
      const ids = [...new Set([...found, ...mine])];
      const issues: JiraIssue[] = [];
      for (const id of ids) {
        const issue = await read(id);
        if (!issue) {
          if (mine.includes(id)) created.set(key, (created.get(key) ?? []).filter((i) => i !== id));
          continue;
        }
        // Someone may have removed the label since: the direct read is the truth.
        if (issue.fields?.labels?.includes(label)) issues.push(issue);
      }
      issues.sort((a, b) => {
        const ca = Date.parse(isoOf(a.fields?.created) ?? '') || 0;
        const cb = Date.parse(isoOf(b.fields?.created) ?? '') || 0;
        return cb - ca || Number(b.id) - Number(a.id);
      });
      const missing = mine.filter((id) => !found.includes(id)).length;
      if (missing) log.debug({ correlationKey: key, missing }, 'jira search lagging: issues added from local memory');
      return issues.map((i) => toTicket(i, key));
    },

    async get(id) {
      const issue = await read(id);
      if (!issue) return null;
      const key = issue.fields?.labels?.find(isCorrelationKey) ?? '';
      return toTicket(issue, key);
    },

    async create(draft: TicketDraft, options) {
      const label = jiraLabel(draft.key);
      const project = options.route?.jira?.project ?? ownProject;
      const has = await screens.get(project);
      if (has && !has.labels) throw labelsMissing(project, issueType);
      const mail = await originalMail(draft, deps);
      const wanted = priority.jira[draftLevel(draft, priority)];
      // Only fields the create screen has: any other is a 400 (a JSM request type without Description).
      let withDescription = !has || has.description;
      let withPriority = priorityField(has, wanted);
      if (has && !withPriority && !unoffered.has(wanted)) {
        unoffered.add(wanted);
        log.warn({ priority: wanted, offered: has.priorities }, 'jira: the create screen does not offer this priority (JIRA_PRIORITIES); issues are created without one');
      }
      const send = (learning: boolean) =>
        http.request<{ id: string; key: string }>({
          method: 'POST',
          url: '/rest/api/3/issue',
          data: {
            fields: {
              project: { key: project },
              issuetype: { name: issueType },
              summary: jiraSummary(draft.summary),
              ...(withDescription ? { description: toAdf(bodyWithMail(draft, mail)) } : {}),
              ...(withPriority ? { priority: withPriority } : {}),
              labels: [label],
            },
          },
          // a 400 answers the question createmeta could not: nothing was created
          acceptStatus: learning ? [400] : [],
        });
      const sendOrFind = (learning: boolean) => unlessLost(send(learning), label, options.followUpOf);
      let res = await sendOrFind(!has);
      if (res.status === 400) {
        const refusal = unknownScreenRefusal(project, res.data);
        if (refusal instanceof PermanentError) throw refusal;
        withDescription &&= refusal.description;
        if (!refusal.priority) withPriority = null;
        // learnt: the next creates of this process send only what the screen took
        screens.learn(project, { labels: true, description: withDescription, priorities: withPriority ? [] : null });
        res = await sendOrFind(false);
      }
      const { id, key: issueKey } = res.data;
      remember(draft.key, id);
      log.info({ correlationKey: draft.key, ticketId: id, issue: issueKey }, 'jira issue created');
      const ticket: DeskTicket = { id, name: issueKey, key: draft.key, url: `${base}/browse/${issueKey}`, status: 'open', resolvedAt: null };
      if (!withDescription) {
        try {
          await comment(ticket, bodyWithMail(draft, mail));
        } catch (err) {
          // The issue exists: failing now would make the job create it again.
          log.warn({ correlationKey: draft.key, ticketId: id, err }, 'jira: the description as a first comment failed');
        }
      }
      await attachAfterCreate(mail, ticket, { upload: (a) => attach(id, a), note: (n) => comment(ticket, n) }, log);
      if (options.followUpOf) {
        try {
          await link(ticket, options.followUpOf);
        } catch (err) {
          // The issue exists: failing now would make the job create it again.
          log.warn({ correlationKey: draft.key, ticketId: id, followUpOf: options.followUpOf.id, err }, 'jira follow-up link failed');
        }
      }
      return ticket;
    },

    async addNote(ticket, note) {
      await comment(ticket, note);
    },

    async updateFields(ticket, fields) {
      if (fields.summary === undefined) return;
      await http.request({
        method: 'PUT',
        url: `/rest/api/3/issue/${encodeURIComponent(ticket.id)}`,
        data: { fields: { summary: jiraSummary(fields.summary) } },
      });
    },

    async resolve(ticket, note) {
      await transition(ticket, resolveNames, 'resolve');
      await comment(ticket, note);
      const after = await fresh(ticket);
      if (after.status === 'open') {
        throw new PermanentError(`jira: issue ${ticket.id} is not in a done status after the resolve transition`, DESK_STATE_UNCHANGED);
      }
      return after;
    },

    async reopen(ticket, note) {
      await transition(ticket, reopenNames, 'reopen');
      await comment(ticket, note);
      const after = await fresh(ticket);
      if (after.status !== 'open') {
        throw new PermanentError(`jira: issue ${ticket.id} is still done after the reopen transition`, DESK_STATE_UNCHANGED);
      }
      return after;
    },

  };
}
