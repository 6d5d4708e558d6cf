import type { AxiosInstance } from 'axios';
import type { Config, DESK_REQUIRED } from '../../schemas/config.schema.ts';
import { fail, pass, skip, warn, type CheckResult } from './check.ts';
import { http, httpProblem, networkProblem } from './desk-http.ts';
import type { DeskRoute } from '../../schemas/ticket.schema.ts';
import { loadConfiguredTenants, tenantLabel } from '../resolve/tenants.ts';
import {
  checkJiraCreateScreen,
  checkJiraResolveScreen,
  checkServiceNowCloseCode,
  checkServiceNowReference,
  checkServiceNowRoutes,
  checkZendeskGroup,
  checkZendeskSolve,
  configuredGroup,
} from './desk-rules-check.ts';
import { checkWritableDir } from './store-check.ts';
import { checkDeskSettings, deskBaseUrl, listNames, type DeskName } from '../ticket/sinks/desk-kit.ts';

/**
 * The service desk: the login, and the field syncdesk keeps its correlation key in.
 * RT: the ticket custom field exists and applies to the queue. ServiceNow: a
 * `correlation_id` query on incidents works. Jira: the project and issue type exist and the
 * configured transitions can be found. Zendesk: the API token is accepted and the
 * `external_id` lookup works. Then each desk's rules that only the instance can answer
 * (desk-rules-check.ts). Each desk's entry in src/ticket/sinks/index.ts names its probe here.
 */

const PROBE_KEY = 'syncdesk-doctor-probe';

/** A desk's config with its required settings present. */
type Ready<D extends DeskName> = Config['ticket'][D] & { [K in (typeof DESK_REQUIRED)[D][number]]: string };

/**
 * What every desk probe does first and last: name the missing settings (from the config
 * schema's list), and name a network failure at `endpoint(base)`; `run` checks the desk.
 */
async function probeFrame<D extends DeskName>(
  desk: D,
  config: Config['ticket'][D],
  fix: string,
  run: (ready: Ready<D>, base: string) => Promise<CheckResult[]>,
  endpoint: (base: string) => string = (base) => base,
): Promise<CheckResult[]> {
  const checked = checkDeskSettings(desk, config as Partial<Record<(typeof DESK_REQUIRED)[D][number], unknown>>);
  if ('missing' in checked) return [fail(`desk ${desk}`, `missing ${listNames(checked.missing)}`, fix)];
  const ready = checked.ready as unknown as Ready<D>;
  const base = deskBaseUrl((ready as { url: string }).url);
  try {
    return await run(ready, base);
  } catch (err) {
    return [networkProblem(`desk ${desk}`, endpoint(base), err)];
  }
}

/**
 * Each value the tenants file routes tickets to on this desk (`desk.<desk>`), with the tenants
 * that use it: checked as the desk's own settings are, since a wrong one fails every create of
 * those customers' tickets. A tenants file that cannot be read is the config check's to report.
 */
function routedValues<D extends keyof DeskRoute, V>(config: Config, desk: D, valueOf: (part: NonNullable<DeskRoute[D]>) => V | undefined): Array<{ value: V; tenants: string }> {
  let entries;
  try {
    entries = loadConfiguredTenants(config)?.tenants ?? [];
  } catch {
    return [];
  }
  const byValue = new Map<V, string[]>();
  for (const t of entries) {
    const part = t.desk?.[desk];
    const value = part ? valueOf(part) : undefined;
    if (value !== undefined) byValue.set(value, [...(byValue.get(value) ?? []), tenantLabel(t)]);
  }
  return [...byValue].map(([value, names]) => ({ value, tenants: names.join(', ') }));
}

const rest2Of = (base: string): string => (/\/REST\/2\.0$/.test(base) ? base : `${base}/REST/2.0`);

export function probeRt(config: Config, timeoutMs: number): Promise<CheckResult[]> {
  return probeFrame('rt', config.ticket.rt, 'set RT_URL (ticket.rt.url) and RT_TOKEN_FILE (an auth token of the syncdesk RT user)', (rt, base) => checkRt(config, rt, base, timeoutMs), rest2Of);
}

async function checkRt(config: Config, rt: Ready<'rt'>, base: string, timeoutMs: number): Promise<CheckResult[]> {
  const rest2 = rest2Of(base);
  const api = http(rest2, timeoutMs, undefined, { Authorization: `token ${rt.token}` });
  const authFix = 'check RT_TOKEN (ticket.rt.token): create an auth token for the syncdesk user (Logged in as → Settings → Auth Tokens)';
  const who = await api.get('/rt');
  const bad = httpProblem('desk rt', `GET ${rest2}/rt`, who, authFix);
  if (bad) return [bad];
  const results: CheckResult[] = [pass('desk rt', `${base}: RT ${String((who.data as { Version?: string })?.Version ?? '?')}, token accepted`)];
  results.push(await checkRtQueue(api, rt, { queue: rt.queue, check: 'desk rt key field', setting: 'RT_QUEUE (ticket.rt.queue)' }, authFix));
  for (const { value, tenants } of routedValues(config, 'rt', (r) => r.queue)) {
    if (value === rt.queue) continue;
    results.push(await checkRtQueue(api, rt, { queue: value, check: `desk rt queue of ${tenants}`, setting: `desk.rt.queue of ${tenants} in the tenants file` }, authFix));
  }
  return results;
}

/** A queue tickets are created in exists, and the key field applies to it (RT_QUEUE's, or a tenant's). */
async function checkRtQueue(api: AxiosInstance, rt: Ready<'rt'>, where: { queue: string; check: string; setting: string }, authFix: string): Promise<CheckResult> {
  const { queue: name, check, setting } = where;
  const queue = await api.get(`/queue/${encodeURIComponent(name)}`);
  if (queue.status === 404 || queue.status === 403) {
    return fail(check, `queue '${name}' not found or not visible to this user`, `create the queue or set ${setting}; grant the syncdesk user SeeQueue, ShowTicket, CreateTicket, ModifyTicket, CommentOnTicket, SeeCustomField and ModifyCustomField on it`);
  }
  const qbad = httpProblem(check, `GET queue '${name}'`, queue, authFix);
  if (qbad) return qbad;
  const fields = ((queue.data as { TicketCustomFields?: Array<{ name: string }> }).TicketCustomFields ?? []).map((f) => f.name);
  if (fields.includes(rt.keyField)) return pass(check, `custom field '${rt.keyField}' applies to queue '${name}'`);
  // Not on the queue: say whether it exists at all, so the fix is the right one.
  const search = await api.post('/customfields', [{ field: 'Name', value: rt.keyField }], { headers: { 'Content-Type': 'application/json' } });
  const exists = search.status === 200 && Number((search.data as { count?: number; total?: number }).count ?? 0) > 0;
  return fail(
    check,
    exists ? `custom field '${rt.keyField}' exists but does not apply to queue '${name}'` : `no ticket custom field '${rt.keyField}' on queue '${name}' (queue fields: ${fields.join(', ') || 'none'})`,
    exists
      ? `Admin → Custom Fields → ${rt.keyField} → Applies to: tick queue '${name}'`
      : `create a ticket custom field '${rt.keyField}' (Enter one value) applied to queue '${name}', or set RT_KEY_FIELD (ticket.rt.keyField) to an existing one`,
  );
}

export function probeServiceNow(config: Config, timeoutMs: number): Promise<CheckResult[]> {
  return probeFrame('servicenow', config.ticket.servicenow, 'set them (the password through SERVICENOW_PASSWORD_FILE)', (sn, base) => checkServiceNow(config, sn, base, timeoutMs));
}

async function checkServiceNow(config: Config, sn: Ready<'servicenow'>, base: string, timeoutMs: number): Promise<CheckResult[]> {
  const api = http(base, timeoutMs, { username: sn.user, password: sn.password });
  const res = await api.get('/api/now/v2/table/incident', { params: { sysparm_query: `correlation_id=${PROBE_KEY}`, sysparm_limit: '1', sysparm_fields: 'sys_id,correlation_id' } });
  const bad = httpProblem('desk servicenow', `${base}: correlation_id query on incident`, res, 'check SERVICENOW_USER and SERVICENOW_PASSWORD (a local user with the itil role; SSO users have no basic auth)');
  if (bad) return [bad];
  if (!Array.isArray((res.data as { result?: unknown }).result)) return [fail('desk servicenow', `${base}: the answer is not a Table API result`, 'check SERVICENOW_URL (https://<instance>.service-now.com)')];
  return [
    pass('desk servicenow', `${base}: login ok, correlation_id query on incident works`),
    await checkServiceNowCloseCode(api, sn),
    ...(sn.assignmentGroup ? [await checkServiceNowReference(api, configuredGroup(sn.assignmentGroup))] : []),
    ...(await checkServiceNowRoutes(api, routedValues(config, 'servicenow', (r) => r.assignmentGroup), { key: 'assignmentGroup', table: 'sys_user_group', what: 'group' })),
    ...(await checkServiceNowRoutes(api, routedValues(config, 'servicenow', (r) => r.company), { key: 'company', table: 'core_company', what: 'company' })),
  ];
}

export function probeJira(config: Config, timeoutMs: number): Promise<CheckResult[]> {
  return probeFrame('jira', config.ticket.jira, 'set them (the token through JIRA_TOKEN_FILE)', (jira, base) => checkJira(config, jira, base, timeoutMs));
}

async function checkJira(config: Config, jira: Ready<'jira'>, base: string, timeoutMs: number): Promise<CheckResult[]> {
  const api = http(base, timeoutMs, { username: jira.email, password: jira.token }, { 'Content-Type': 'application/json' });
  const authFix = 'check JIRA_EMAIL and JIRA_TOKEN (an API token of that account, id.atlassian.com → Security → API tokens)';
  const project = await api.get(`/rest/api/3/project/${encodeURIComponent(jira.project)}`);
  if (project.status === 404) return [fail('desk jira', `project '${jira.project}' not found or not visible`, 'set JIRA_PROJECT (ticket.jira.project) to the project key, and give the account Browse/Create/Transition issue rights')];
  const bad = httpProblem('desk jira', `${base}: project ${jira.project}`, project, authFix);
  if (bad) return [bad];
  const types = ((project.data as { issueTypes?: Array<{ name: string }> }).issueTypes ?? []).map((t) => t.name);
  const results: CheckResult[] = [];
  if (types.length && !types.includes(jira.issueType)) {
    results.push(fail('desk jira', `project '${jira.project}' has no issue type '${jira.issueType}' (has: ${types.join(', ')})`, 'set JIRA_ISSUE_TYPE (ticket.jira.issueType) to one listed'));
  } else {
    results.push(pass('desk jira', `${base}: login ok, project '${jira.project}', issue type '${jira.issueType}'`));
  }
  results.push(await checkJiraCreateScreen(api, jira));
  // a tenant's own project: its create screen as the desk's (createmeta answers 404 for a project the account cannot see)
  for (const { value } of routedValues(config, 'jira', (r) => r.project)) if (value !== jira.project) results.push(await checkJiraCreateScreen(api, jira, value));
  // Transitions belong to a workflow and are offered per issue: read them off the project's newest issue.
  const search = await api.post('/rest/api/3/search/jql', { jql: `project = "${jira.project.replace(/"/g, '\\"')}" ORDER BY created DESC`, maxResults: 1, fields: ['status'] });
  const issue = (search.data as { issues?: Array<{ id: string; key?: string }> }).issues?.[0];
  if (search.status !== 200 || !issue) {
    results.push(skip('desk jira transitions', 'no issue in the project to read transitions from: checked when the first ticket is resolved'));
    return results;
  }
  const tr = await api.get(`/rest/api/3/issue/${encodeURIComponent(issue.id)}/transitions`);
  const names = ((tr.data as { transitions?: Array<{ name: string; to?: { name?: string } }> }).transitions ?? []).flatMap((t) => [t.name, t.to?.name ?? '']);
  const known = (list: string[]) => list.filter((n) => names.some((m) => m.toLowerCase() === n.toLowerCase()));
  const resolve = known(jira.resolveTransitions);
  const reopen = known(jira.reopenTransitions);
  if (resolve.length || reopen.length) {
    results.push(pass('desk jira transitions', `from ${issue.key ?? issue.id}: ${[...resolve, ...reopen].join(', ')} available`));
  } else {
    results.push(
      warn(
        'desk jira transitions',
        `none of ${[...jira.resolveTransitions, ...jira.reopenTransitions].join(', ')} is offered from ${issue.key ?? issue.id} (offered: ${[...new Set(names.filter(Boolean))].join(', ') || 'none'})`,
        'set JIRA_RESOLVE_TRANSITIONS and JIRA_REOPEN_TRANSITIONS to the transition names of this project’s workflow',
      ),
    );
  }
  if (resolve.length) results.push(await checkJiraResolveScreen(api, jira, issue.id, issue.key ?? issue.id));
  return results;
}

export function probeZendesk(config: Config, timeoutMs: number): Promise<CheckResult[]> {
  return probeFrame('zendesk', config.ticket.zendesk, 'set them (the token through ZENDESK_TOKEN_FILE)', (zd, base) => checkZendesk(config, zd, base, timeoutMs));
}

async function checkZendesk(config: Config, zd: Ready<'zendesk'>, base: string, timeoutMs: number): Promise<CheckResult[]> {
  const api = http(base, timeoutMs, { username: `${zd.email}/token`, password: zd.token });
  const res = await api.get('/api/v2/tickets', { params: { external_id: PROBE_KEY } });
  const bad = httpProblem('desk zendesk', `${base}: external_id lookup`, res, 'check ZENDESK_EMAIL and ZENDESK_TOKEN (Admin Center → Apps and integrations → Zendesk API → token access enabled)');
  if (bad) return [bad];
  return [
    pass('desk zendesk', `${base}: API token accepted, external_id lookup works`),
    await checkZendeskSolve(api, zd),
    ...(zd.groupId ? [await checkZendeskGroup(api, zd.groupId)] : []),
    ...(await Promise.all(
      routedValues(config, 'zendesk', (r) => r.groupId).map(({ value, tenants }) =>
        checkZendeskGroup(api, value, { check: `desk zendesk group of ${tenants}`, setting: `desk.zendesk.groupId of ${tenants} in the tenants file` }),
      ),
    )),
  ];
}

/** The file desk: its directory can be written. */
export async function probeFileDesk(config: Config): Promise<CheckResult[]> {
  return [await checkWritableDir('desk file', config.ticket.fileDir, 'TICKET_DIR (ticket.fileDir)')];
}
