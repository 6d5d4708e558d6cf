import type { AxiosInstance } from 'axios';
import type { Config } from '../../schemas/config.schema.ts';
import { PermanentError } from '../errors.ts';
import { SYS_ID, type SnReference } from '../ticket/sinks/servicenow-ticket-sink.ts';
import { chooseTransition, createScreenOf, labelsMissing, transitionFields, type JiraTransition } from '../ticket/sinks/jira-screens.ts';
import { fail, pass, warn, type CheckResult } from './check.ts';
import { httpProblem } from './desk-http.ts';

/**
 * The rules of each desk that only the real instance can answer, checked before the first
 * ticket needs them: Jira's create screen has Labels and Description and the resolve
 * transition's required fields can be filled; ServiceNow's close code is in the instance's
 * choice list; Zendesk can solve what syncdesk creates (an assignee, or auto-assign on solve
 * with no field required to solve). Each failure names its fix.
 */

/** A PermanentError's "what; how to fix it" split for a check row. */
function asFailure(check: string, err: PermanentError): CheckResult {
  const [detail, ...fix] = err.message.replace(/^jira: /, '').split('; ');
  return fail(check, detail!, fix.join('; ') || 'see the README section for this desk');
}

/** The create screen of `project` (JIRA_PROJECT, or a tenant's `desk.jira.project`) for the configured issue type. */
export async function checkJiraCreateScreen(api: AxiosInstance, jira: Config['ticket']['jira'], project = jira.project!): Promise<CheckResult> {
  const check = project === jira.project ? 'desk jira create screen' : `desk jira create screen (${project})`;
  const meta = `/rest/api/3/issue/createmeta/${encodeURIComponent(project)}/issuetypes`;
  const types = await api.get(meta);
  const bad = httpProblem(check, `createmeta of ${project}`, types, 'check JIRA_EMAIL and JIRA_TOKEN');
  if (bad) return bad;
  const type = ((types.data as { issueTypes?: Array<{ id: string; name: string }> }).issueTypes ?? []).find((t) => t.name.toLowerCase() === jira.issueType.toLowerCase());
  if (!type) return fail(check, `no issue type '${jira.issueType}' can be created in ${project}`, 'set JIRA_ISSUE_TYPE (ticket.jira.issueType) to a type the account may create');
  const fields = await api.get(`${meta}/${encodeURIComponent(type.id)}`, { params: { maxResults: 200 } });
  const fbad = httpProblem(check, `createmeta of ${project} / ${jira.issueType}`, fields, 'check JIRA_EMAIL and JIRA_TOKEN');
  if (fbad) return fbad;
  const screen = createScreenOf((fields.data as { fields?: Array<{ fieldId?: string }> }).fields ?? []);
  if (!screen.labels) return asFailure(check, labelsMissing(project, jira.issueType));
  if (!screen.description) {
    return warn(check, `the create screen of ${project} / ${jira.issueType} has no Description: the ticket text goes in as the first comment`, `add Description to the create screen of ${jira.issueType}`);
  }
  return pass(check, `${project} / ${jira.issueType}: Labels and Description are on the create screen`);
}

/** The resolve transition offered from `issueId`, and whether syncdesk can fill its screen. */
export async function checkJiraResolveScreen(api: AxiosInstance, jira: Config['ticket']['jira'], issueId: string, issueKey: string): Promise<CheckResult> {
  const check = 'desk jira resolve screen';
  const res = await api.get(`/rest/api/3/issue/${encodeURIComponent(issueId)}/transitions`, { params: { expand: 'transitions.fields' } });
  const bad = httpProblem(check, `transitions of ${issueKey}`, res, 'check JIRA_EMAIL and JIRA_TOKEN');
  if (bad) return bad;
  const chosen = chooseTransition((res.data as { transitions?: JiraTransition[] }).transitions ?? [], jira.resolveTransitions);
  if (!chosen) return warn(check, `no resolve transition offered from ${issueKey}'s status`, 'checked again from an open issue; set JIRA_RESOLVE_TRANSITIONS to the workflow’s resolve transition');
  try {
    const fields = transitionFields(chosen, 'resolve', jira.resolution);
    const resolution = (fields.resolution as { name?: string } | undefined)?.name;
    if (resolution && resolution.toLowerCase() !== jira.resolution.toLowerCase()) {
      return warn(check, `'${chosen.name}' does not offer resolution '${jira.resolution}': syncdesk sets '${resolution}'`, `set JIRA_RESOLUTION (ticket.jira.resolution) to one the screen offers`);
    }
    return pass(check, `'${chosen.name}'${resolution ? ` with Resolution ${resolution}` : ' (no screen)'}`);
  } catch (err) {
    if (err instanceof PermanentError) return asFailure(check, err);
    throw err;
  }
}

const CLOSE_CODE_QUERY = 'name=incident^element=close_code^inactive=false';

export async function checkServiceNowCloseCode(api: AxiosInstance, sn: Config['ticket']['servicenow']): Promise<CheckResult> {
  const check = 'desk servicenow close code';
  const res = await api.get('/api/now/table/sys_choice', { params: { sysparm_query: CLOSE_CODE_QUERY, sysparm_fields: 'value,label' } });
  if (res.status === 403) {
    return warn(check, 'sys_choice is not readable by this user: the close code was not checked', `grant the user read on sys_choice, or check by hand that '${sn.closeCode}' is a value of incident.close_code`);
  }
  const bad = httpProblem(check, 'close_code choices', res, 'check SERVICENOW_USER and SERVICENOW_PASSWORD');
  if (bad) return bad;
  const values = ((res.data as { result?: Array<{ value?: string }> }).result ?? []).map((r) => r.value ?? '').filter(Boolean);
  if (values.includes(sn.closeCode)) return pass(check, `'${sn.closeCode}' is an active close_code of incident`);
  return fail(
    check,
    `close code '${sn.closeCode}' is not in the instance's choice list (${values.join(', ') || 'empty'}): resolving stores it anyway, or a data policy refuses it`,
    `set SERVICENOW_CLOSE_CODE (ticket.servicenow.closeCode) to one of them${values[0] ? `, e.g. '${values[0]}'` : ''} ("Solved (Permanently)" is the pre-Tokyo value)`,
  );
}

/** A reference value syncdesk sets on incidents, with the check row that names it. */
export interface ServiceNowReference extends SnReference {
  check: string;
  value: string;
}

/** SERVICENOW_ASSIGNMENT_GROUP as a reference to check. */
export function configuredGroup(value: string): ServiceNowReference {
  return { check: 'desk servicenow assignment group', table: 'sys_user_group', what: 'group', value, setting: 'SERVICENOW_ASSIGNMENT_GROUP' };
}

/**
 * A group or company syncdesk sets (SERVICENOW_ASSIGNMENT_GROUP, a tenant's `desk.servicenow`)
 * is one record, by sys_id or exact name, as the sink looks it up: otherwise every create of
 * its incidents fails.
 */
export async function checkServiceNowReference(api: AxiosInstance, ref: ServiceNowReference): Promise<CheckResult> {
  return (await lookUpServiceNowReference(api, ref)).result;
}

/**
 * The groups or companies tenants route their incidents to (a tenants file's
 * `desk.servicenow.<key>`), one row per record: tenants that name one group by its name and by
 * its sys_id share a row, as they share the group. A value that names no one
 * record keeps a row of its own.
 */
export async function checkServiceNowRoutes(
  api: AxiosInstance,
  routes: ReadonlyArray<{ value: string; tenants: string }>,
  kind: Omit<SnReference, 'setting'> & { key: 'assignmentGroup' | 'company' },
): Promise<CheckResult[]> {
  const check = (tenants: string): string => `desk servicenow ${kind.what} of ${tenants}`;
  const found = await Promise.all(
    routes.map(async ({ value, tenants }) => ({
      tenants,
      ...(await lookUpServiceNowReference(api, { check: check(tenants), table: kind.table, what: kind.what, value, setting: `desk.servicenow.${kind.key} of ${tenants} in the tenants file` })),
    })),
  );
  const bySysId = new Map<string, { tenants: string[]; result: CheckResult }>();
  const unresolved: CheckResult[] = [];
  for (const { tenants, result, sysId } of found) {
    const same = sysId === undefined ? undefined : bySysId.get(sysId);
    if (same) same.tenants.push(tenants);
    else if (sysId !== undefined) bySysId.set(sysId, { tenants: [tenants], result });
    else unresolved.push(result);
  }
  return [...[...bySysId.values()].map(({ tenants, result }) => ({ ...result, check: check(tenants.join(', ')) })), ...unresolved];
}

async function lookUpServiceNowReference(api: AxiosInstance, ref: ServiceNowReference): Promise<{ result: CheckResult; sysId?: string }> {
  const { check, table, what, value, setting } = ref;
  const field = SYS_ID.test(value) ? 'sys_id' : 'name';
  if (/[\^\r\n]/.test(value)) return { result: fail(check, `${setting} ${JSON.stringify(value)} cannot be queried`, `give the ${what}'s sys_id or its exact name`) };
  const res = await api.get(`/api/now/v2/table/${table}`, { params: { sysparm_query: `${field}=${value}`, sysparm_fields: 'sys_id,name', sysparm_limit: '2' } });
  if (res.status === 403) {
    return { result: warn(check, `${table} is not readable by this user: the ${what} was not checked`, `grant the user read on ${table}, or check by hand that '${value}' is a ${what}`) };
  }
  const bad = httpProblem(check, table, res, 'check SERVICENOW_USER and SERVICENOW_PASSWORD');
  if (bad) return { result: bad };
  const rows = ((res.data as { result?: Array<{ sys_id?: string; name?: string }> }).result ?? []).filter((r) => r[field] === value);
  if (rows.length === 1) return { result: pass(check, `incidents ${what === 'group' ? 'go to' : 'are for'} '${rows[0]!.name ?? value}' (${rows[0]!.sys_id})`), sysId: rows[0]!.sys_id };
  return {
    result: fail(
      check,
      `${setting} ${JSON.stringify(value)} ${rows.length ? `names several ${what}s` : `names no ${what}`}: every incident create fails`,
      `set ${setting} to the ${what}'s sys_id or its exact name`,
    ),
  };
}

/** Zendesk's system ticket fields; only custom ones can be "required to solve" in a way syncdesk cannot fill. */
const SYSTEM_FIELDS = new Set(['subject', 'description', 'status', 'custom_status', 'tickettype', 'priority', 'group', 'assignee', 'brand']);

/**
 * A group tickets are created in (ZENDESK_GROUP_ID, or a tenant's `desk.zendesk.groupId`)
 * exists: an unknown one fails every create of its tickets with 422.
 */
export async function checkZendeskGroup(api: AxiosInstance, groupId: number, where = { check: 'desk zendesk group', setting: 'ZENDESK_GROUP_ID (ticket.zendesk.groupId)' }): Promise<CheckResult> {
  const { check, setting } = where;
  const res = await api.get(`/api/v2/groups/${encodeURIComponent(String(groupId))}`);
  if (res.status === 404) {
    return fail(check, `${setting} ${groupId} names no group of this account: every ticket create for it is refused with 422`, `set ${setting} to a group id (Admin Center → People → Team → Groups)`);
  }
  const bad = httpProblem(check, `group ${groupId}`, res, 'check ZENDESK_EMAIL and ZENDESK_TOKEN');
  if (bad) return bad;
  const group = (res.data as { group?: { name?: string; deleted?: boolean } }).group;
  if (group?.deleted) return fail(check, `${setting} ${groupId} (${group.name ?? 'no name'}) is deleted`, `set ${setting} to a group that exists`);
  return pass(check, `tickets go to group ${groupId} (${group?.name ?? 'no name'})`);
}

export async function checkZendeskSolve(api: AxiosInstance, zd: Config['ticket']['zendesk']): Promise<CheckResult> {
  const check = 'desk zendesk solve';
  const fields = await api.get('/api/v2/ticket_fields');
  const bad = httpProblem(check, 'ticket fields', fields, 'check ZENDESK_EMAIL and ZENDESK_TOKEN');
  if (bad) return bad;
  const required = ((fields.data as { ticket_fields?: Array<{ id: number; title?: string; type?: string; active?: boolean; required?: boolean }> }).ticket_fields ?? []).filter(
    (f) => f.active !== false && f.required === true && !SYSTEM_FIELDS.has(f.type ?? ''),
  );
  if (required.length) {
    const names = required.map((f) => `${f.title ?? f.id} (${f.id})`).join(', ');
    return fail(
      check,
      `fields required to solve: ${names}; syncdesk cannot fill them, so every solve is refused with 422`,
      `Admin Center → Objects and rules → Tickets → Fields → ${required[0]!.title ?? required[0]!.id}: untick "Required to solve a ticket" (or leave syncdesk's tickets to agents with TICKET_RESOLVE_AFTER_MISSING=0)`,
    );
  }
  if (zd.assigneeEmail) {
    // every create names the assignee: one that is no agent fails them all with 422
    const found = await api.get('/api/v2/users/search', { params: { query: `email:${zd.assigneeEmail}` } });
    const ubad = httpProblem(check, 'user search', found, 'check ZENDESK_EMAIL and ZENDESK_TOKEN');
    if (ubad) return ubad;
    const user = ((found.data as { users?: Array<{ email?: string; role?: string; active?: boolean; suspended?: boolean }> }).users ?? []).find(
      (u) => u.email?.toLowerCase() === zd.assigneeEmail!.toLowerCase(),
    );
    if (!user || user.active === false || user.suspended === true || (user.role !== 'agent' && user.role !== 'admin')) {
      const what = !user ? 'no user has that address' : user.active === false || user.suspended ? 'that user is deleted or suspended' : `that user is an ${user.role ?? 'unknown role'}, not an agent`;
      return fail(
        check,
        `ZENDESK_ASSIGNEE_EMAIL ${zd.assigneeEmail}: ${what}; every ticket create is refused with 422 (only an agent can be assigned)`,
        'set ZENDESK_ASSIGNEE_EMAIL (ticket.zendesk.assigneeEmail) to the address of an agent or admin',
      );
    }
    return pass(check, `no field is required to solve; tickets are assigned to ${zd.assigneeEmail} (an ${user.role})`);
  }
  const settings = await api.get('/api/v2/account/settings');
  const sbad = httpProblem(check, 'account settings', settings, 'check ZENDESK_EMAIL and ZENDESK_TOKEN');
  if (sbad) return sbad;
  const autoAssign = (settings.data as { settings?: { tickets?: { assign_tickets_upon_solve?: boolean } } }).settings?.tickets?.assign_tickets_upon_solve;
  if (autoAssign === false) {
    return fail(
      check,
      '"Auto-assign tickets upon solve" is off and no ZENDESK_ASSIGNEE_EMAIL is set: Zendesk refuses to solve a ticket without an assignee (422)',
      'set ZENDESK_ASSIGNEE_EMAIL (ticket.zendesk.assigneeEmail) to an agent, or turn on Admin Center → Objects and rules → Tickets → Settings → Auto-assign tickets upon solve',
    );
  }
  return pass(check, 'no field is required to solve; auto-assign upon solve is on');
}
