import type { AxiosInstance } from 'axios';
import type { Config } from '../../schemas/config.schema.ts';
import { PermanentError } from '../errors.ts';
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

export async function checkJiraCreateScreen(api: AxiosInstance, jira: Config['ticket']['jira']): Promise<CheckResult> {
  const check = 'desk jira create screen';
  const project = jira.project!;
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

/** Zendesk's system ticket fields; only custom ones can be "required to solve" in a way syncdesk cannot fill. */
const SYSTEM_FIELDS = new Set(['subject', 'description', 'status', 'custom_status', 'tickettype', 'priority', 'group', 'assignee', 'brand']);

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
  if (zd.assigneeEmail) return pass(check, `no field is required to solve; tickets are assigned to ${zd.assigneeEmail}`);
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
