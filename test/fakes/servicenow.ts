import { randomBytes } from 'node:crypto';
import { basicAuth, FakeDesk, type FakeReply, type FakeRequest } from './saas-desk-server.ts';

/**
 * A ServiceNow instance's Table API for `incident`, as far as syncdesk uses it, on loopback.
 * Shapes follow the Table API docs: records under `result`, all values strings, reference
 * fields as `{link, value}` unless `sysparm_exclude_reference_link=true`; v2 answers an empty
 * list with 200 and `[]` (v1 with 404); errors as `{error:{message,detail},status:"failure"}`.
 * Its pitfalls are reproduced too: invalid query parts are ignored (so a bad field returns
 * every row) and `correlation_id=` with an empty value matches every incident without one.
 * Resolving needs a close code from the instance's choice list (readable in `sys_choice`); a
 * code outside it is stored as given (`closeCodePolicy: 'store'`, the platform's behaviour) or
 * refused with 403 by a customer's data policy (`'refuse'`, the default, so tests see it).
 * `close_notes` is cut at 4,000 characters, as the out-of-box column is.
 * Reference fields (`assignment_group`, `caller_id`, `parent_incident`) take sys_ids: a name
 * is stored as given and resolves to nothing, unless the request says
 * `sysparm_input_display_value=true`. Parent and child incidents keep their states in step
 * (ServiceNow's "Synchronization between a parent and a child incident"): a parent going to
 * In Progress or reopened takes its children to In Progress, a resolved parent resolves its
 * active children with its close code and notes, a closed parent leaves them alone. Closed
 * and Canceled incidents are read-only unless the API user is an admin.
 */

/** A group or user record a reference field can point at. */
export interface FakeReference {
  sys_id: string;
  name: string;
}

/** The out-of-box incident close codes of current releases (Tokyo and later). */
export const SN_CLOSE_CODES = [
  'Solution provided',
  'Workaround provided',
  'Resolved by caller',
  'Resolved by change',
  'Resolved by problem',
  'Resolved by request',
  'Duplicate',
  'Known error',
  'No resolution provided',
];
/** The pre-Tokyo list, for an old instance. */
export const SN_CLOSE_CODES_PRE_TOKYO = ['Solved (Work Around)', 'Solved (Permanently)', 'Solved Remotely (Work Around)', 'Solved Remotely (Permanently)', 'Not Solved (Not Reproducible)', 'Not Solved (Too Costly)', 'Closed/Resolved by Caller'];

export interface FakeIncident {
  sys_id: string;
  number: string;
  short_description: string;
  description: string;
  correlation_id: string;
  correlation_display: string;
  state: string;
  close_code: string;
  close_notes: string;
  assignment_group: string;
  /** core_company reference: the customer the incident is for. */
  company: string;
  caller_id: string;
  parent_incident: string;
  sys_created_on: string;
  resolved_at: string;
  closed_at: string;
  reopen_count: string;
  /** 1 High, 2 Medium, 3 Low. */
  impact: string;
  urgency: string;
  /** Derived from impact and urgency by the out-of-box priority lookup (1 Critical … 5 Planning). */
  priority: string;
}

/** An incident's attachment (sys_attachment), as the Attachment API stored it. */
export interface FakeAttachment {
  sys_id: string;
  file_name: string;
  content_type: string;
  bytes: Buffer;
}

export interface JournalEntry {
  element: 'work_notes' | 'comments';
  value: string;
  sys_created_on: string;
}

export interface FakeServiceNowOptions {
  user?: string;
  password?: string;
  /** Columns the instance treats as invalid (query parts on them are ignored). */
  invalidFields?: string[];
  /** Clock for sys_created_on / resolved_at. */
  now?: () => Date;
  /** The instance's active close_code choices. @defaultValue SN_CLOSE_CODES */
  closeCodes?: string[];
  /** A close code outside the list: stored as given, or refused by a data policy. @defaultValue 'refuse' */
  closeCodePolicy?: 'store' | 'refuse';
  /** `sys_user_group` rows (assignment_group points at one). */
  groups?: FakeReference[];
  /** `sys_user` rows (caller_id points at one); `name` is the display value. */
  users?: FakeReference[];
  /** `core_company` rows (company points at one). */
  companies?: FakeReference[];
  /** The API user has the admin role: Closed and Canceled incidents stay writable. @defaultValue false */
  admin?: boolean;
}

const COLUMNS = new Set([
  'sys_id',
  'number',
  'short_description',
  'description',
  'correlation_id',
  'correlation_display',
  'state',
  'close_code',
  'close_notes',
  'assignment_group',
  'company',
  'caller_id',
  'parent_incident',
  'sys_created_on',
  'resolved_at',
  'closed_at',
  'reopen_count',
  'impact',
  'urgency',
  'work_notes',
  'comments',
]);
const REFERENCE_FIELDS = new Set(['assignment_group', 'caller_id', 'company', 'parent_incident']);
const REFERENCE_TABLE: Record<string, string> = { assignment_group: 'sys_user_group', caller_id: 'sys_user', company: 'core_company', parent_incident: 'incident' };
/** The tables a reference field points at besides incident, read by name or sys_id. */
type ReferenceTable = 'sys_user_group' | 'sys_user' | 'core_company';
const ACTIVE = new Set(['1', '2', '3']);
const MAX_LENGTH: Record<string, number> = { short_description: 160, correlation_id: 100, correlation_display: 100, description: 4000, close_notes: 4000 };

/** The out-of-box priority lookup: impact × urgency → priority ("Priority is calculated from impact and urgency"). */
const PRIORITY_OF: Record<string, string> = { '1/1': '1', '1/2': '2', '1/3': '3', '2/1': '2', '2/2': '3', '2/3': '4', '3/1': '3', '3/2': '4', '3/3': '5' };

function snTime(d: Date): string {
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

function failure(status: number, message: string, detail: string): FakeReply {
  return { status, body: { error: { message, detail }, status: 'failure' } };
}

export class FakeServiceNow extends FakeDesk {
  readonly incidents = new Map<string, FakeIncident>();
  readonly journal = new Map<string, JournalEntry[]>();
  /** Attachments per incident sys_id. */
  readonly attachments = new Map<string, FakeAttachment[]>();
  /** Values close_notes was set to, per incident (what sys_audit would show). */
  private readonly closeNotes = new Map<string, string[]>();
  private seq = 10000;
  readonly opts: Required<Omit<FakeServiceNowOptions, 'invalidFields'>> & { invalidFields: Set<string> };

  constructor(options: FakeServiceNowOptions = {}) {
    super('servicenow');
    this.opts = {
      user: options.user ?? 'syncdesk',
      password: options.password ?? 'secret',
      now: options.now ?? (() => new Date()),
      invalidFields: new Set(options.invalidFields ?? []),
      closeCodes: options.closeCodes ?? SN_CLOSE_CODES,
      closeCodePolicy: options.closeCodePolicy ?? 'refuse',
      groups: options.groups ?? [],
      users: options.users ?? [],
      companies: options.companies ?? [],
      admin: options.admin ?? false,
    };
    this.server.faults.rateLimitHeaders = () => ({
      'X-RateLimit-Limit': '100',
      'X-RateLimit-Reset': String(Math.ceil(Date.now() / 1000) + 1),
      'X-RateLimit-Rule': 'syncdesk hourly',
    });
  }

  setClock(now: () => Date): void {
    this.opts.now = now;
  }

  closeNotesHistory(sysId: string): string[] {
    return this.closeNotes.get(sysId) ?? [];
  }

  set invalidFields(fields: string[]) {
    this.opts.invalidFields = new Set(fields);
  }

  // ---- inspection and agent actions -------------------------------------------------

  list(): FakeIncident[] {
    return [...this.incidents.values()];
  }

  byKey(key: string): FakeIncident[] {
    return this.list().filter((i) => i.correlation_id === key);
  }

  workNotes(sysId: string): string[] {
    return (this.journal.get(sysId) ?? []).filter((j) => j.element === 'work_notes').map((j) => j.value);
  }

  /** Inserts a record as another integration or an agent would (no validation). */
  insert(fields: Partial<FakeIncident>): FakeIncident {
    const rec = this.newRecord();
    Object.assign(rec, fields);
    this.incidents.set(rec.sys_id, rec);
    return rec;
  }

  /** An agent sets the state (e.g. closes or cancels), bypassing the API's rules but not the business rules. */
  setState(sysId: string, state: string): void {
    const rec = this.mustGet(sysId);
    const before = rec.state;
    rec.state = state;
    const now = snTime(this.opts.now());
    if (state === '6' && !rec.resolved_at) rec.resolved_at = now;
    if (state === '7' || state === '8') rec.closed_at = now;
    this.syncChildren(rec, before);
  }

  /** The children of an incident (parent_incident points at it). */
  children(sysId: string): FakeIncident[] {
    return this.list().filter((i) => i.parent_incident === sysId);
  }

  /** The record a reference field of `rec` points at, or undefined when its value resolves to nothing. */
  referenced(rec: FakeIncident, field: 'assignment_group' | 'caller_id' | 'company' | 'parent_incident'): { sys_id: string } | undefined {
    const value = rec[field];
    if (field === 'parent_incident') return this.incidents.get(value);
    return this.rowsOf(REFERENCE_TABLE[field] as ReferenceTable).find((r) => r.sys_id === value);
  }

  private rowsOf(table: ReferenceTable): FakeReference[] {
    return table === 'sys_user_group' ? this.opts.groups : table === 'sys_user' ? this.opts.users : this.opts.companies;
  }

  /** The state rules between a parent and its children, after `parent` went from `before` to its state. */
  private syncChildren(parent: FakeIncident, before: string): void {
    if (parent.state === before) return;
    const now = snTime(this.opts.now());
    for (const child of this.children(parent.sys_id)) {
      const was = child.state;
      if (parent.state === '2' && child.state !== '2' && (ACTIVE.has(child.state) || child.state === '6')) {
        if (child.state === '6') child.reopen_count = String(Number(child.reopen_count) + 1);
        child.state = '2';
        child.resolved_at = '';
      } else if (parent.state === '6' && ACTIVE.has(child.state)) {
        Object.assign(child, { state: '6', close_code: parent.close_code, close_notes: parent.close_notes, resolved_at: now });
        const entries = this.journal.get(child.sys_id) ?? [];
        entries.push({ element: 'work_notes', value: `Resolved by parent incident ${parent.number}: ${parent.close_notes}`, sys_created_on: now });
        this.journal.set(child.sys_id, entries);
      } else continue;
      this.syncChildren(child, was);
    }
  }

  // ---- HTTP --------------------------------------------------------------------------

  private newRecord(): FakeIncident {
    this.seq++;
    return {
      sys_id: randomBytes(16).toString('hex'),
      number: `INC00${this.seq}`,
      short_description: '',
      description: '',
      correlation_id: '',
      correlation_display: '',
      state: '1',
      close_code: '',
      close_notes: '',
      assignment_group: '',
      company: '',
      caller_id: '',
      parent_incident: '',
      sys_created_on: snTime(this.opts.now()),
      resolved_at: '',
      closed_at: '',
      reopen_count: '0',
      impact: '3',
      urgency: '3',
      priority: '5',
    };
  }

  private mustGet(sysId: string): FakeIncident {
    const rec = this.incidents.get(sysId);
    if (!rec) throw new Error(`no incident ${sysId}`);
    return rec;
  }

  protected route(req: FakeRequest): FakeReply {
    const auth = basicAuth(req.headers);
    if (!auth || auth.user !== this.opts.user || auth.password !== this.opts.password) {
      return failure(401, 'User Not Authenticated', 'Required to provide Auth information');
    }
    if (req.path === '/api/now/attachment/file') return req.method === 'POST' ? this.attach(req) : failure(405, 'Method not Supported', `${req.method} ${req.path}`);
    const m = /^\/api\/now\/(v[12]\/)?table\/([a-z_0-9]+)(?:\/([^/]+))?$/.exec(req.path);
    if (!m) return failure(400, 'Requested URI does not represent any resource', req.path);
    const version = m[1] === 'v1/' ? 'v1' : m[1] === 'v2/' ? 'v2' : 'v1';
    if (m[2] === 'sys_choice' && req.method === 'GET' && !m[3]) return this.choices(req);
    if ((m[2] === 'sys_user_group' || m[2] === 'sys_user' || m[2] === 'core_company') && req.method === 'GET' && !m[3]) return this.references(req, m[2]);
    if (m[2] !== 'incident') return failure(403, 'User Not Authorized', `Not authorized to access table ${m[2]}`);
    const sysId = m[3];
    if (req.method === 'GET' && !sysId) return this.query(req, version);
    if (req.method === 'GET') return this.getOne(req, sysId!);
    if (req.method === 'POST' && !sysId) return this.create(req);
    if ((req.method === 'PATCH' || req.method === 'PUT') && sysId) return this.update(req, sysId);
    return failure(405, 'Method not Supported', `${req.method} ${req.path}`);
  }

  private render(rec: FakeIncident, req: FakeRequest): Record<string, unknown> {
    const wanted = req.query.get('sysparm_fields')?.split(',').map((f) => f.trim()).filter(Boolean);
    const excludeLinks = req.query.get('sysparm_exclude_reference_link') === 'true';
    const out: Record<string, unknown> = {};
    const all = rec as unknown as Record<string, string>;
    for (const field of wanted ?? Object.keys(rec)) {
      // Journal fields read back empty through the Table API; unknown fields are left out.
      if (field === 'work_notes' || field === 'comments') {
        out[field] = '';
        continue;
      }
      if (!(field in all)) continue;
      const value = all[field]!;
      if (REFERENCE_FIELDS.has(field) && value && !excludeLinks) {
        out[field] = { link: `${this.server.url}/api/now/table/sys_${field}/${value}`, value };
      } else out[field] = value;
    }
    return out;
  }

  private query(req: FakeRequest, version: 'v1' | 'v2'): FakeReply {
    let rows = this.list().map((r, i) => ({ r, i }));
    const order: Array<{ field: string; desc: boolean }> = [];
    for (const part of (req.query.get('sysparm_query') ?? '').split('^')) {
      if (!part) continue;
      const ob = /^ORDERBY(DESC)?([a-z_0-9]+)$/.exec(part);
      if (ob) {
        if (COLUMNS.has(ob[2]!) && !this.opts.invalidFields.has(ob[2]!)) order.push({ field: ob[2]!, desc: Boolean(ob[1]) });
        continue;
      }
      const cond = /^([a-z_0-9.]+)(!=|=|STARTSWITH|LIKE)(.*)$/.exec(part);
      // Invalid parts (unknown field, bad syntax) are ignored, as the instance does by default.
      if (!cond || !COLUMNS.has(cond[1]!) || this.opts.invalidFields.has(cond[1]!)) continue;
      const [, field, op, value] = cond as unknown as [string, keyof FakeIncident, string, string];
      rows = rows.filter(({ r }) => {
        const v = String(r[field] ?? '');
        if (op === '=') return v === value;
        if (op === '!=') return v !== value;
        if (op === 'STARTSWITH') return v.startsWith(value);
        return v.includes(value);
      });
    }
    rows.sort((a, b) => {
      for (const { field, desc } of order) {
        const va = String((a.r as unknown as Record<string, string>)[field] ?? '');
        const vb = String((b.r as unknown as Record<string, string>)[field] ?? '');
        if (va !== vb) return (va < vb ? -1 : 1) * (desc ? -1 : 1);
      }
      return a.i - b.i;
    });
    const offset = Number(req.query.get('sysparm_offset') ?? 0);
    const limit = Number(req.query.get('sysparm_limit') ?? 10000);
    const page = rows.slice(offset, offset + limit).map(({ r }) => this.render(r, req));
    if (page.length === 0 && version === 'v1') return failure(404, 'No Record found', "Records matching query not found. Check query parameter or offset parameter");
    const headers: Record<string, string> = {};
    if (req.query.get('sysparm_no_count') !== 'true') headers['X-Total-Count'] = String(rows.length);
    return { status: 200, body: { result: page }, headers };
  }

  /** `sys_choice` rows of incident.close_code, for a query on name, element and inactive (what doctor asks). */
  private choices(req: FakeRequest): FakeReply {
    const query = new Map((req.query.get('sysparm_query') ?? '').split('^').map((p) => p.split('=') as [string, string]));
    const rows = this.opts.closeCodes.map((value, i) => ({ name: 'incident', element: 'close_code', value, label: value, inactive: 'false', sequence: String(i + 1), language: 'en' }));
    const wanted = rows.filter((r) => [...query].every(([k, v]) => !(k in r) || (r as Record<string, string>)[k] === v));
    return { status: 200, body: { result: wanted } };
  }

  /** `sys_user_group` / `sys_user` rows for a query on `name=` (or `sys_id=`), fields sys_id and name. */
  private references(req: FakeRequest, table: ReferenceTable): FakeReply {
    const rows = this.rowsOf(table);
    const conds = (req.query.get('sysparm_query') ?? '').split('^').map((p) => /^(name|sys_id)=(.*)$/.exec(p)).filter((c) => c !== null);
    const wanted = rows.filter((r) => conds.every(([, f, v]) => r[f as 'name' | 'sys_id'] === v));
    return { status: 200, body: { result: wanted.map((r) => ({ sys_id: r.sys_id, name: r.name })) } };
  }

  /**
   * The stored value of a reference field: as given (a sys_id, or a name that resolves to
   * nothing), or with `sysparm_input_display_value=true` the sys_id of the record of that
   * display value ('' when none has it).
   */
  private referenceValue(field: string, value: string, displayInput: boolean): string {
    if (!displayInput || !value) return value;
    const table = REFERENCE_TABLE[field];
    if (table === 'incident') return this.list().find((i) => i.number === value)?.sys_id ?? '';
    const rows = this.rowsOf(table as ReferenceTable);
    return rows.find((r) => r.name === value)?.sys_id ?? '';
  }

  private getOne(req: FakeRequest, sysId: string): FakeReply {
    const rec = this.incidents.get(sysId);
    if (!rec) return failure(404, 'No Record found', "Record doesn't exist or ACL restricts the record retrieval");
    return { status: 200, body: { result: this.render(rec, req) } };
  }

  /** Writes known columns (journal fields append), truncating to the column length; unknown ones are ignored. */
  private apply(rec: FakeIncident, body: Record<string, unknown>, displayInput = false): void {
    for (const [field, raw] of Object.entries(body)) {
      if (!COLUMNS.has(field) || field === 'sys_id' || field === 'number' || field === 'sys_created_on') continue;
      const given = raw === null || raw === undefined ? '' : String(raw);
      const value = REFERENCE_FIELDS.has(field) ? this.referenceValue(field, given, displayInput) : given;
      if (field === 'work_notes' || field === 'comments') {
        if (!value) continue;
        const entries = this.journal.get(rec.sys_id) ?? [];
        entries.push({ element: field, value, sys_created_on: snTime(this.opts.now()) });
        this.journal.set(rec.sys_id, entries);
        continue;
      }
      const max = MAX_LENGTH[field];
      (rec as unknown as Record<string, string>)[field] = max ? value.slice(0, max) : value;
    }
    // the Table API stores impact and urgency as given; priority follows where the lookup knows the pair
    rec.priority = PRIORITY_OF[`${rec.impact}/${rec.urgency}`] ?? rec.priority;
  }

  /**
   * Attachment API, POST /now/attachment/file: the file's bytes as the body, its type in
   * Content-Type, where it goes in table_name, table_sys_id and file_name (all required);
   * 201 with the attachment record under `result`.
   */
  private attach(req: FakeRequest): FakeReply {
    for (const param of ['table_name', 'table_sys_id', 'file_name']) {
      if (!req.query.get(param)) return failure(400, `Missing parameter: ${param}`, 'table_name, table_sys_id and file_name are required');
    }
    const contentType = req.headers['content-type'];
    if (!contentType) return failure(400, 'Content-Type is required', 'Specify the content type of the file');
    if (!req.rawBytes.length) return failure(400, 'Failed to create the attachment', 'The file is empty');
    const table = req.query.get('table_name')!;
    const sysId = req.query.get('table_sys_id')!;
    if (table !== 'incident' || !this.incidents.has(sysId)) return failure(404, 'No Record found', 'Invalid table name or table_sys_id');
    const a: FakeAttachment = { sys_id: randomBytes(16).toString('hex'), file_name: req.query.get('file_name')!, content_type: contentType.split(';')[0]!, bytes: req.rawBytes };
    this.attachments.set(sysId, [...(this.attachments.get(sysId) ?? []), a]);
    return {
      status: 201,
      body: {
        result: {
          sys_id: a.sys_id,
          file_name: a.file_name,
          table_name: table,
          table_sys_id: sysId,
          content_type: a.content_type,
          size_bytes: String(a.bytes.length),
          download_link: `${this.server.url}/api/now/attachment/${a.sys_id}/file`,
        },
      },
      headers: { Location: `${this.server.url}/api/now/attachment/${a.sys_id}` },
    };
  }

  private create(req: FakeRequest): FakeReply {
    if (!req.body || typeof req.body !== 'object') return failure(400, 'Exception while reading request', 'The payload is not valid JSON.');
    const rec = this.newRecord();
    this.apply(rec, req.body as Record<string, unknown>, req.query.get('sysparm_input_display_value') === 'true');
    this.incidents.set(rec.sys_id, rec);
    return {
      status: 201,
      body: { result: this.render(rec, req) },
      headers: { Location: `${this.server.url}/api/now/table/incident/${rec.sys_id}` },
    };
  }

  private update(req: FakeRequest, sysId: string): FakeReply {
    const rec = this.incidents.get(sysId);
    if (!rec) return failure(404, 'No Record found', "Record doesn't exist or ACL restricts the record retrieval");
    if (!req.body || typeof req.body !== 'object') return failure(400, 'Exception while reading request', 'The payload is not valid JSON.');
    // Closed and Canceled incidents are read-only through the usual ACLs (admins pass them).
    if ((rec.state === '7' || rec.state === '8') && !this.opts.admin) {
      return failure(403, 'Operation Failed', 'ACL Exception Update Failed due to security constraints');
    }
    const body = req.body as Record<string, unknown>;
    const next = { ...rec };
    this.apply(next, { ...body, work_notes: undefined, comments: undefined }, req.query.get('sysparm_input_display_value') === 'true');
    if (next.state === '6' && rec.state !== '6') {
      if (!next.close_code || !next.close_notes) {
        return failure(403, 'Operation Failed', 'Data Policy Exception: \n Resolution code, Resolution notes are mandatory');
      }
      if (this.opts.closeCodePolicy === 'refuse' && !this.opts.closeCodes.includes(next.close_code)) {
        return failure(403, 'Operation Failed', `Data Policy Exception: \n Resolution code '${next.close_code}' is not a valid choice`);
      }
      next.resolved_at = snTime(this.opts.now());
    }
    if (rec.state === '6' && next.state !== '6' && next.state !== '7') {
      next.resolved_at = '';
      next.reopen_count = String(Number(rec.reopen_count) + 1);
    }
    if (next.state === '7' && rec.state !== '7') next.closed_at = snTime(this.opts.now());
    if (typeof body.close_notes === 'string' && body.close_notes) {
      this.closeNotes.set(sysId, [...this.closeNotesHistory(sysId), body.close_notes]);
    }
    const before = rec.state;
    Object.assign(rec, next);
    this.apply(rec, { work_notes: body.work_notes, comments: body.comments });
    this.syncChildren(rec, before);
    return { status: 200, body: { result: this.render(rec, req) } };
  }
}
