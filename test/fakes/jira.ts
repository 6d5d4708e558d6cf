import {
  CREATE_SCREENS,
  FINAL_STATUSES,
  checkScreen,
  fieldMeta,
  notOnScreen,
  resolutionOf,
  STATUS,
  WORKFLOWS,
  type FakeStatus,
  type FakeWorkflow,
  type Screen,
} from './jira-workflow.ts';
import { basicAuth, FakeDesk, multipartFiles, type FakeReply, type FakeRequest } from './saas-desk-server.ts';

/**
 * Jira Cloud REST v3, the calls syncdesk makes, on loopback. Shapes follow the v3 docs:
 * errors as `{errorMessages, errors}`; descriptions and comment bodies must be ADF documents
 * (a plain string is a 400); `POST /search/jql` returns `issues` and a `nextPageToken` that is
 * absent on the last page. The search is eventually consistent like the real one: it reads an
 * index that sees a new or changed issue only `indexDelayMs` later, except for the ids a caller
 * lists in `reconcileIssues` (when `honourReconcile` is on). `GET /issue/{id}` is always fresh.
 * Screens refuse as Jira does (jira-workflow.ts): a field not on the create or transition
 * screen, a required Resolution left out; a description or comment whose ADF JSON exceeds
 * 32,767 characters is refused too.
 */

/** Jira's limit for a description or comment; counted here on the serialised ADF, the strict reading. */
export const JIRA_BODY_LIMIT = 32_767;
const TOO_LONG = `The entered text is too long. It exceeds the allowed limit of ${JIRA_BODY_LIMIT} characters.`;

export interface FakeJiraIssue {
  id: string;
  key: string;
  fields: {
    project: { key: string };
    issuetype: { name: string };
    summary: string;
    description: unknown;
    labels: string[];
    priority: { id: string; name: string } | null;
    status: FakeStatus;
    resolution: { name: string } | null;
    resolutiondate: string | null;
    /** When the status last moved to another category (To Do, In Progress, Done). */
    statuscategorychangedate: string;
    created: string;
    updated: string;
  };
  comments: Array<{ id: string; body: unknown; properties?: unknown; created: string }>;
  links: Array<{ type: string; inward: string; outward: string }>;
  attachments: FakeJiraAttachment[];
}

export interface FakeJiraAttachment {
  id: string;
  filename: string;
  mimeType: string;
  size: number;
  bytes: Buffer;
}

export interface FakeJiraOptions {
  email?: string;
  token?: string;
  project?: string;
  /** More projects, with the same screens, types and workflow (an MSP's project per customer). @defaultValue none */
  otherProjects?: string[];
  /** How long a new or changed issue stays invisible (or stale) to /search/jql. @defaultValue 0 */
  indexDelayMs?: number;
  /** Treat `reconcileIssues` as read-after-write, as Jira does. @defaultValue true */
  honourReconcile?: boolean;
  /** The project's workflow: a preset or one of its own. @defaultValue 'simple' */
  workflow?: keyof typeof WORKFLOWS | FakeWorkflow;
  /** Renames of the workflow's resolve and reopen transitions. */
  resolveTransition?: string;
  reopenTransition?: string;
  /** Fields on the create screen besides project and issue type. @defaultValue CREATE_SCREENS.software */
  createScreen?: string[];
  /**
   * Whether `GET /rest/api/3/issue/createmeta/{project}/issuetypes[/{id}]` exists. Off: 404, as
   * on Jira Server/Data Center (no v3, its createmeta is elsewhere); the create screen is still
   * enforced on create. @defaultValue true
   */
  createMeta?: boolean;
  /** The project's issue types. @defaultValue Task and Bug */
  issueTypes?: Array<{ id: string; name: string }>;
  linkTypes?: string[];
  /** The project's priority scheme, highest first. @defaultValue Jira Cloud's default: Highest, High, Medium, Low, Lowest */
  priorities?: string[];
  /** The site's attachment size limit in bytes (413 above it). @defaultValue 10 MiB */
  attachmentMaxBytes?: number;
}

const ADF_NODES = new Set([
  'paragraph', 'text', 'heading', 'bulletList', 'orderedList', 'listItem', 'codeBlock', 'hardBreak', 'rule', 'blockquote',
  'table', 'tableRow', 'tableHeader', 'tableCell', 'panel', 'mention', 'emoji', 'inlineCard',
]);
const ADF_MARKS = new Set(['strong', 'em', 'code', 'link', 'strike', 'underline', 'subsup', 'textColor']);

function jiraTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

function err(status: number, errorMessages: string[], errors: Record<string, string> = {}): FakeReply {
  return { status, body: { errorMessages, errors } };
}

/** Why `value` is not a valid ADF document, or null. */
export function adfProblem(value: unknown): string | null {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object';
  const doc = value as { type?: unknown; version?: unknown; content?: unknown };
  if (doc.type !== 'doc' || doc.version !== 1 || !Array.isArray(doc.content)) return 'not an ADF doc';
  const walk = (node: unknown, path: string): string | null => {
    if (!node || typeof node !== 'object') return `${path}: not a node`;
    const n = node as { type?: unknown; text?: unknown; content?: unknown; marks?: unknown };
    if (typeof n.type !== 'string' || !ADF_NODES.has(n.type)) return `${path}: unknown node type ${String(n.type)}`;
    if (n.type === 'text') {
      if (typeof n.text !== 'string' || n.text.length === 0) return `${path}: text nodes need non-empty text`;
      if (n.marks !== undefined) {
        if (!Array.isArray(n.marks)) return `${path}: marks must be an array`;
        for (const m of n.marks as Array<{ type?: unknown }>) if (!ADF_MARKS.has(String(m?.type))) return `${path}: unknown mark`;
      }
    }
    if (n.content !== undefined) {
      if (!Array.isArray(n.content)) return `${path}: content must be an array`;
      for (const [i, c] of (n.content as unknown[]).entries()) {
        const p = walk(c, `${path}.${i}`);
        if (p) return p;
      }
    }
    return null;
  };
  for (const [i, c] of doc.content.entries()) {
    const p = walk(c, `content.${i}`);
    if (p) return p;
  }
  return null;
}

export class FakeJira extends FakeDesk {
  readonly issues = new Map<string, FakeJiraIssue>();
  /** What /search/jql sees: per issue, snapshots with the time they become visible. */
  private index = new Map<string, Array<{ at: number; issue: FakeJiraIssue | null }>>();
  private seq = 10000;
  private num = 0;
  private commentSeq = 1;
  readonly opts: Required<Omit<FakeJiraOptions, 'workflow' | 'resolveTransition' | 'reopenTransition'>>;
  readonly workflow: FakeWorkflow;

  constructor(options: FakeJiraOptions = {}) {
    super('jira');
    this.opts = {
      email: options.email ?? 'bot@example.com',
      token: options.token ?? 'api-token',
      project: options.project ?? 'OPS',
      otherProjects: options.otherProjects ?? [],
      indexDelayMs: options.indexDelayMs ?? 0,
      honourReconcile: options.honourReconcile ?? true,
      createScreen: options.createScreen ?? CREATE_SCREENS.software,
      createMeta: options.createMeta ?? true,
      issueTypes: options.issueTypes ?? [
        { id: '10001', name: 'Task' },
        { id: '10002', name: 'Bug' },
      ],
      linkTypes: options.linkTypes ?? ['Relates', 'Blocks', 'Cloners', 'Duplicate'],
      priorities: options.priorities ?? ['Highest', 'High', 'Medium', 'Low', 'Lowest'],
      attachmentMaxBytes: options.attachmentMaxBytes ?? 10 * 1024 * 1024,
    };
    const base = typeof options.workflow === 'object' ? options.workflow : WORKFLOWS[options.workflow ?? 'simple'];
    this.workflow = {
      ...base,
      resolve: { ...base.resolve, name: options.resolveTransition ?? base.resolve.name },
      reopen: { ...base.reopen, name: options.reopenTransition ?? base.reopen.name },
    };
    this.server.faults.rateLimitHeaders = () => ({
      'Retry-After': '1',
      'X-RateLimit-Reset': new Date(Date.now() + 1000).toISOString(),
      'X-RateLimit-Limit': '100',
      'X-RateLimit-Remaining': '0',
    });
  }

  set indexDelayMs(ms: number) {
    this.opts.indexDelayMs = ms;
  }

  // ---- inspection and agent actions ---------------------------------------------------

  list(): FakeJiraIssue[] {
    return [...this.issues.values()];
  }
  withLabel(label: string): FakeJiraIssue[] {
    return this.list()
      .filter((i) => i.fields.labels.includes(label))
      .sort((a, b) => Number(b.id) - Number(a.id));
  }
  get(idOrKey: string): FakeJiraIssue {
    const issue = this.find(idOrKey);
    if (!issue) throw new Error(`no issue ${idOrKey}`);
    return issue;
  }

  /**
   * An agent moves the issue: to a done status with a resolution (e.g. "Won't Do"), or without
   * one (`null`: a workflow whose done status sets none), or back to an open one. As in Jira,
   * the resolution date comes with the resolution, not with the status.
   */
  setStatus(idOrKey: string, status: keyof typeof STATUS | FakeStatus, resolution?: string | null): void {
    const issue = this.get(idOrKey);
    const to = typeof status === 'string' ? STATUS[status] : status;
    const done = to.statusCategory.key === 'done';
    if (resolution === undefined) resolution = done ? 'Done' : null;
    if (issue.fields.status.statusCategory.key !== to.statusCategory.key) issue.fields.statuscategorychangedate = jiraTime(Date.now());
    issue.fields.status = structuredClone(to);
    issue.fields.resolution = done && resolution ? { name: resolution } : null;
    issue.fields.resolutiondate = issue.fields.resolution ? jiraTime(Date.now()) : null;
    this.touch(issue);
  }

  /** Makes every pending index update visible now. */
  flushIndex(): void {
    for (const snaps of this.index.values()) for (const s of snaps) s.at = 0;
  }

  // ---- internals -----------------------------------------------------------------------

  private find(idOrKey: string): FakeJiraIssue | undefined {
    return this.issues.get(idOrKey) ?? this.list().find((i) => i.key === idOrKey);
  }

  private touch(issue: FakeJiraIssue): void {
    issue.fields.updated = jiraTime(Date.now());
    const snaps = this.index.get(issue.id) ?? [];
    snaps.push({ at: Date.now() + this.opts.indexDelayMs, issue: structuredClone(issue) });
    this.index.set(issue.id, snaps);
  }

  private indexed(id: string, now: number): FakeJiraIssue | null {
    const visible = (this.index.get(id) ?? []).filter((s) => s.at <= now);
    return visible.at(-1)?.issue ?? null;
  }

  protected route(req: FakeRequest): FakeReply {
    const auth = basicAuth(req.headers);
    if (!auth || auth.user !== this.opts.email || auth.password !== this.opts.token) {
      return err(401, ['You are not authenticated. Authentication required to perform this operation.']);
    }
    const p = req.path;
    if (req.method === 'POST' && p === '/rest/api/3/search/jql') return this.search(req);
    if (req.method === 'POST' && p === '/rest/api/3/issue') return this.create(req);
    if (req.method === 'POST' && p === '/rest/api/3/issueLink') return this.link(req);
    if (p === '/rest/api/2/issue' || p.startsWith('/rest/api/3/search') && p !== '/rest/api/3/search/jql') {
      return err(410, ['The requested API has been removed. Please migrate to the /rest/api/3/search/jql API.']);
    }
    let m = /^\/rest\/api\/3\/project\/([^/]+)$/.exec(p);
    if (m && req.method === 'GET') {
      // GET /rest/api/3/project/{projectIdOrKey}: the project with its issue types (syncdesk doctor)
      if (!this.hasProject(m[1]!)) return err(404, [`No project could be found with key '${m[1]}'.`]);
      return { status: 200, body: { id: '10000', key: m[1], name: m[1], issueTypes: this.opts.issueTypes } };
    }
    m = /^\/rest\/api\/3\/issue\/createmeta\/([^/]+)\/issuetypes(?:\/([^/]+))?$/.exec(p);
    if (m && req.method === 'GET') return this.opts.createMeta ? this.createMeta(m[1]!, m[2], req.query) : err(404, [`No route for ${req.method} ${p}`]);
    m = /^\/rest\/api\/3\/issue\/([^/]+)$/.exec(p);
    if (m && req.method === 'GET') return this.getIssue(req, m[1]!);
    if (m && req.method === 'PUT') return this.edit(req, m[1]!);
    m = /^\/rest\/api\/3\/issue\/([^/]+)\/comment$/.exec(p);
    if (m && req.method === 'POST') return this.comment(req, m[1]!);
    m = /^\/rest\/api\/3\/issue\/([^/]+)\/attachments$/.exec(p);
    if (m && req.method === 'POST') return this.attach(req, m[1]!);
    m = /^\/rest\/api\/3\/issue\/([^/]+)\/transitions$/.exec(p);
    if (m && req.method === 'GET') return this.transitions(req, m[1]!);
    if (m && req.method === 'POST') return this.transition(req, m[1]!);
    return err(404, [`No route for ${req.method} ${p}`]);
  }

  private view(issue: FakeJiraIssue, fields: string[] | undefined): Record<string, unknown> {
    const all = issue.fields as unknown as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const f of fields ?? Object.keys(all)) if (f in all) out[f] = all[f];
    return { id: issue.id, key: issue.key, self: `${this.server.url}/rest/api/3/issue/${issue.id}`, fields: out };
  }

  private search(req: FakeRequest): FakeReply {
    const body = (req.body ?? {}) as { jql?: unknown; fields?: unknown; maxResults?: unknown; nextPageToken?: unknown; reconcileIssues?: unknown };
    if (typeof body.jql !== 'string') return err(400, ['Invalid request payload. Refer to the REST API documentation and try again.']);
    // SearchAndReconcileRequestBean: "Accepts max 50 ids" (the error text is inferred)
    if (Array.isArray(body.reconcileIssues) && body.reconcileIssues.length > 50) return err(400, ['reconcileIssues accepts at most 50 issue ids.']);
    const parsed = /^(.*?)(?:\s+ORDER BY\s+(\w+)\s*(ASC|DESC)?)?\s*$/i.exec(body.jql.trim())!;
    // each condition: a field and the values it may equal (`=` one, `in (…)` several)
    const conditions: Array<[string, string[]]> = [];
    const VALUE = /\s*(?:"((?:[^"\\]|\\.)*)"|([\w.-]+))\s*/y;
    for (const part of parsed[1]!.split(/\s+AND\s+/i)) {
      const c = /^(\w+)\s*(?:=\s*(?:"((?:[^"\\]|\\.)*)"|([\w.-]+))|\s+in\s*\((.*)\))$/i.exec(part.trim());
      const values: string[] = [];
      if (c?.[4] !== undefined) {
        for (const item of c[4].split(',')) {
          VALUE.lastIndex = 0;
          const v = VALUE.exec(item);
          if (!v || VALUE.lastIndex !== item.length) return err(400, [`Error in the JQL Query: cannot parse '${part.trim()}'.`]);
          values.push((v[1] ?? v[2]!).replace(/\\(.)/g, '$1'));
        }
      } else if (c) values.push((c[2] ?? c[3]!).replace(/\\(.)/g, '$1'));
      if (!c) return err(400, [`Error in the JQL Query: cannot parse '${part.trim()}'.`]);
      conditions.push([c[1]!.toLowerCase(), values]);
    }
    for (const [field] of conditions) {
      if (field !== 'project' && field !== 'labels') return err(400, [`Field '${field}' is not supported by this fake.`]);
    }
    const now = Date.now();
    const reconcile = new Set(
      this.opts.honourReconcile && Array.isArray(body.reconcileIssues) ? (body.reconcileIssues as unknown[]).map(String) : [],
    );
    const candidates: FakeJiraIssue[] = [];
    for (const id of new Set([...this.index.keys(), ...reconcile])) {
      const issue = reconcile.has(id) ? (this.issues.get(id) ?? null) : this.indexed(id, now);
      if (!issue) continue;
      const ok = conditions.every(([field, values]) =>
        values.some((value) =>
          field === 'project'
            ? issue.fields.project.key.toLowerCase() === value.toLowerCase()
            : // JQL compares labels case-insensitively.
              issue.fields.labels.some((l) => l.toLowerCase() === value.toLowerCase()),
        ),
      );
      if (ok) candidates.push(issue);
    }
    const desc = (parsed[3] ?? 'ASC').toUpperCase() === 'DESC';
    candidates.sort((a, b) => (Number(a.id) - Number(b.id)) * (desc ? -1 : 1));
    const max = Math.min(Number(body.maxResults ?? 50) || 50, 100);
    const start = typeof body.nextPageToken === 'string' ? Number(Buffer.from(body.nextPageToken, 'base64url').toString()) : 0;
    const page = candidates.slice(start, start + max);
    const fields = Array.isArray(body.fields) ? (body.fields as string[]) : [];
    const result: Record<string, unknown> = {
      issues: page.map((i) => (fields.length ? this.view(i, fields) : { id: i.id })),
    };
    if (start + max < candidates.length) result.nextPageToken = Buffer.from(String(start + max)).toString('base64url');
    return { status: 200, body: result };
  }

  private hasProject(key: string): boolean {
    return key === this.opts.project || this.opts.otherProjects.includes(key);
  }

  private create(req: FakeRequest): FakeReply {
    const f = ((req.body as { fields?: Record<string, unknown> })?.fields ?? {}) as Record<string, unknown>;
    const errors: Record<string, string> = {};
    const projectKey = (f.project as { key?: string } | undefined)?.key;
    if (!projectKey || !this.hasProject(projectKey)) errors.project = 'valid project is required';
    const summary = f.summary;
    if (typeof summary !== 'string' || !summary.trim()) errors.summary = 'You must specify a summary of the issue.';
    else if (summary.length > 255) errors.summary = 'Summary must be less than 255 characters.';
    else if (/[\r\n]/.test(summary)) errors.summary = 'The summary is invalid because it contains newline characters.';
    for (const id of Object.keys(f)) {
      if (id !== 'project' && id !== 'issuetype' && !this.opts.createScreen.includes(id)) errors[id] = notOnScreen(id);
    }
    const typeName = (f.issuetype as { name?: string; id?: string } | undefined) ?? {};
    const issueType = this.opts.issueTypes.find((t) => t.name === typeName.name || t.id === typeName.id);
    if (!issueType) errors.issuetype = 'Specify a valid issue type';
    if (f.description !== undefined && adfProblem(f.description)) {
      errors.description = 'Operation value must be an Atlassian Document (see the Atlassian Document Format)';
    } else if (f.description !== undefined && JSON.stringify(f.description).length > JIRA_BODY_LIMIT) errors.description = TOO_LONG;
    const priority = f.priority === undefined || errors.priority ? null : this.priorityOf(f.priority);
    if (f.priority !== undefined && !errors.priority && !priority) errors.priority = 'The priority selected is invalid.';
    const labels = f.labels ?? [];
    if (!Array.isArray(labels) || labels.some((l) => typeof l !== 'string')) errors.labels = 'labels must be strings';
    else for (const l of labels as string[]) if (/\s/.test(l)) errors.labels = `The label '${l}' contains spaces which is invalid.`;
    if (Object.keys(errors).length) return err(400, [], errors);
    this.seq++;
    this.num++;
    const now = Date.now();
    const issue: FakeJiraIssue = {
      id: String(this.seq),
      key: `${projectKey}-${this.num}`,
      fields: {
        project: { key: projectKey! },
        issuetype: { name: issueType?.name ?? 'Task' },
        summary: summary as string,
        description: f.description ?? null,
        labels: [...(labels as string[])],
        priority,
        status: structuredClone(this.workflow.initial),
        resolution: null,
        resolutiondate: null,
        statuscategorychangedate: jiraTime(now),
        created: jiraTime(now),
        updated: jiraTime(now),
      },
      comments: [],
      links: [],
      attachments: [],
    };
    this.issues.set(issue.id, issue);
    this.touch(issue);
    return { status: 201, body: { id: issue.id, key: issue.key, self: `${this.server.url}/rest/api/3/issue/${issue.id}` } };
  }

  private notFound(): FakeReply {
    return err(404, ['Issue does not exist or you do not have permission to see it.']);
  }

  private getIssue(req: FakeRequest, idOrKey: string): FakeReply {
    const issue = this.find(idOrKey);
    if (!issue) return this.notFound();
    const fields = req.query.get('fields')?.split(',').filter(Boolean);
    return { status: 200, body: this.view(issue, fields) };
  }

  private edit(req: FakeRequest, idOrKey: string): FakeReply {
    const issue = this.find(idOrKey);
    if (!issue) return this.notFound();
    const f = ((req.body as { fields?: Record<string, unknown> })?.fields ?? {}) as Record<string, unknown>;
    if ('summary' in f) {
      const s = f.summary;
      if (typeof s !== 'string' || !s.trim() || s.length > 255 || /[\r\n]/.test(s)) return err(400, [], { summary: 'invalid summary' });
      issue.fields.summary = s;
    }
    if ('description' in f) {
      if (adfProblem(f.description)) return err(400, [], { description: 'Operation value must be an Atlassian Document (see the Atlassian Document Format)' });
      issue.fields.description = f.description;
    }
    this.touch(issue);
    return { status: 204 };
  }

  private comment(req: FakeRequest, idOrKey: string): FakeReply {
    const issue = this.find(idOrKey);
    if (!issue) return this.notFound();
    const body = (req.body as { body?: unknown; properties?: unknown } | undefined) ?? {};
    const problem = adfProblem(body.body);
    if (problem) return err(400, [], { comment: `Comment body is not valid! Operation value must be an Atlassian Document (${problem})` });
    if (JSON.stringify(body.body).length > JIRA_BODY_LIMIT) return err(400, [], { comment: TOO_LONG });
    const c = { id: String(this.commentSeq++), body: body.body, properties: body.properties, created: jiraTime(Date.now()) };
    issue.comments.push(c);
    this.touch(issue);
    return { status: 201, body: { id: c.id, body: c.body, created: c.created, self: `${this.server.url}/rest/api/3/issue/${issue.id}/comment/${c.id}` } };
  }

  private available(issue: FakeJiraIssue): Array<{ id: string; name: string; to: FakeStatus; screen: Screen }> {
    const wf = this.workflow;
    if (FINAL_STATUSES.has(issue.fields.status.name)) return [];
    if (issue.fields.status.statusCategory.key === 'done') {
      // Classic workflows let a Closed issue be reopened too; syncdesk chooses not to.
      return [{ id: '31', name: wf.reopen.name, to: wf.initial, screen: wf.reopen.screen }];
    }
    const out = [{ id: '21', name: wf.resolve.name, to: wf.resolve.to, screen: wf.resolve.screen }];
    if (wf.start && issue.fields.status.name === wf.initial.name) out.unshift({ id: '11', name: wf.start, to: STATUS.progress, screen: {} });
    return out;
  }

  private transitions(req: FakeRequest, idOrKey: string): FakeReply {
    const issue = this.find(idOrKey);
    if (!issue) return this.notFound();
    const withFields = (req.query.get('expand') ?? '').split(',').includes('transitions.fields');
    const transitions = this.available(issue).map(({ screen, ...t }) => ({
      ...t,
      hasScreen: Object.keys(screen).length > 0,
      ...(withFields ? { fields: Object.fromEntries(Object.entries(screen).map(([id, f]) => [id, fieldMeta(id, f)])) } : {}),
    }));
    return { status: 200, body: { expand: 'transitions', transitions } };
  }

  private transition(req: FakeRequest, idOrKey: string): FakeReply {
    const issue = this.find(idOrKey);
    if (!issue) return this.notFound();
    const body = (req.body ?? {}) as { transition?: { id?: unknown }; fields?: Record<string, unknown> };
    const t = this.available(issue).find((x) => x.id === String(body.transition?.id));
    if (!t) return err(400, [`Transition id '${String(body.transition?.id)}' is not valid for this issue.`]);
    const fields = body.fields ?? {};
    const problem = checkScreen(t.screen, fields);
    if (problem) return { status: 400, body: problem };
    const resolution = resolutionOf(t.screen, fields);
    if (t.id === '31' && this.workflow.reopen.refusesResolution && issue.fields.resolution && resolution !== null) {
      return err(400, ['The issue cannot be reopened while its resolution is set.']);
    }
    // no screen: a post-function sets Done, unless the workflow was built without one
    if (t.id === '21') this.setStatus(issue.id, t.to, resolution ?? (this.workflow.resolve.setsNoResolution ? null : 'Done'));
    else if (t.id === '31') this.setStatus(issue.id, t.to, null);
    else this.setStatus(issue.id, t.to);
    return { status: 204 };
  }

  /** Both createmeta lists page as Atlassian's OpenAPI says: `startAt`, `maxResults` (default 50, at most 200), `total`. */
  private createMeta(project: string, issueTypeId: string | undefined, query: URLSearchParams): FakeReply {
    if (!this.hasProject(project)) return err(404, [`No project could be found with key '${project}'.`]);
    const startAt = Math.max(0, Number(query.get('startAt') ?? 0) || 0);
    const maxResults = Math.min(200, Math.max(1, Number(query.get('maxResults') ?? 50) || 50));
    const page = <T>(name: string, all: T[]): FakeReply => ({ status: 200, body: { [name]: all.slice(startAt, startAt + maxResults), maxResults, startAt, total: all.length } });
    if (issueTypeId === undefined) {
      return page('issueTypes', this.opts.issueTypes.map((t) => ({ ...t, subtask: false, self: `${this.server.url}/rest/api/3/issuetype/${t.id}` })));
    }
    if (!this.opts.issueTypes.some((t) => t.id === issueTypeId)) return err(404, ['Issue type with the given id does not exist.']);
    const ids = ['issuetype', 'project', ...this.opts.createScreen];
    const fields = ids.map((id) =>
      fieldMeta(id, { required: id === 'summary' || id === 'issuetype' || id === 'project', ...(id === 'priority' ? { allowedValues: this.opts.priorities } : {}) }),
    );
    return page('fields', fields);
  }

  /** A priority given by name or id (ids as createmeta lists them), or null when the scheme has no such one. */
  private priorityOf(value: unknown): { id: string; name: string } | null {
    const v = (value ?? {}) as { name?: unknown; id?: unknown };
    const i = this.opts.priorities.findIndex((name, n) => name === v.name || String(10000 + n) === v.id);
    return i < 0 ? null : { id: String(10000 + i), name: this.opts.priorities[i]! };
  }

  /**
   * `POST /rest/api/3/issue/{issueIdOrKey}/attachments` (addAttachment): multipart/form-data
   * whose files are parts named `file`, and the header `X-Atlassian-Token: no-check` or the
   * request is blocked (403, XSRF); 200 with the list of attachments; 413 above the size limit.
   */
  private attach(req: FakeRequest, idOrKey: string): FakeReply {
    if (String(req.headers['x-atlassian-token'] ?? '').toLowerCase() !== 'no-check') return { status: 403, body: 'XSRF check failed' };
    const issue = this.find(idOrKey);
    if (!issue) return this.notFound();
    const boundary = /^multipart\/form-data;.*boundary="?([^";]+)"?/i.exec(String(req.headers['content-type'] ?? ''))?.[1];
    if (!boundary) return { status: 415, body: { errorMessages: ['Unsupported Media Type: multipart/form-data expected'], errors: {} } };
    const files = multipartFiles(req.rawBytes, boundary).filter((f) => f.name === 'file');
    if (!files.length) return err(400, ["No attachment in the request: the multipart parameter must be named 'file'."]);
    if (files.some((f) => f.bytes.length > this.opts.attachmentMaxBytes)) return err(413, ['The attachments exceed the maximum attachment size for issues.']);
    const added = files.map((f) => ({ id: String(++this.seq), filename: f.filename, mimeType: f.contentType, size: f.bytes.length, bytes: f.bytes }));
    issue.attachments.push(...added);
    const created = jiraTime(Date.now());
    return {
      status: 200,
      body: added.map((a) => ({ self: `${this.server.url}/rest/api/3/attachment/${a.id}`, id: a.id, filename: a.filename, created, size: a.size, mimeType: a.mimeType, content: `${this.server.url}/rest/api/3/attachment/content/${a.id}` })),
    };
  }

  private link(req: FakeRequest): FakeReply {
    const b = (req.body ?? {}) as { type?: { name?: string }; inwardIssue?: { id?: string; key?: string }; outwardIssue?: { id?: string; key?: string } };
    const type = b.type?.name;
    if (!type || !this.opts.linkTypes.includes(type)) return err(404, [`No issue link type with name '${String(type)}' found.`]);
    const inward = this.find(b.inwardIssue?.id ?? b.inwardIssue?.key ?? '');
    const outward = this.find(b.outwardIssue?.id ?? b.outwardIssue?.key ?? '');
    if (!inward || !outward) return this.notFound();
    inward.links.push({ type, inward: inward.id, outward: outward.id });
    outward.links.push({ type, inward: inward.id, outward: outward.id });
    return { status: 201 };
  }
}
