import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { contractViolations } from '../contracts/openapi-contract.ts';
import { loadConfig } from '../../src/config.ts';
import { probeDesk } from '../../src/ticket/sinks/index.ts';
import type { CheckResult } from '../../src/doctor/check.ts';
import { createLogger } from '../../src/logger.ts';
import { createJiraTicketSink } from '../../src/ticket/sinks/jira-ticket-sink.ts';
import { FakeJira, type FakeJiraOptions } from '../fakes/jira.ts';
import { CREATE_SCREENS, STATUS, WORKFLOWS } from '../fakes/jira-workflow.ts';
import { FakeServiceNow, SN_CLOSE_CODES_PRE_TOKYO } from '../fakes/servicenow.ts';
import { FakeZendesk, type FakeZendeskOptions } from '../fakes/zendesk.ts';

/**
 * `syncdesk doctor` against desks configured to refuse: each misconfiguration that would make
 * a later create or resolve fail is named, with its fix, before any ticket needs it.
 */

/** The fakes a test started (some start several), stopped after it. */
const started: Array<{ stop(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((f) => f.stop()));
});

const row = (results: CheckResult[], check: string) => results.find((r) => r.check === check);

describe('doctor: ServiceNow close code', () => {
  async function run(options: ConstructorParameters<typeof FakeServiceNow>[0], env: Record<string, string> = {}) {
    const fake = new FakeServiceNow(options);
    await fake.start();
    started.push(fake);
    return { fake, results: await probeDesk(loadConfig({ TICKET_SINK: 'servicenow', SERVICENOW_URL: fake.url, SERVICENOW_USER: 'syncdesk', SERVICENOW_PASSWORD: 'secret', ...env }), 5_000) };
  }

  it('an assignment group no group has the name or sys_id of: fails before the first create does (blind32 V3); one by name or by sys_id passes', async () => {
    const groups = [{ sys_id: 'a'.repeat(32), name: 'Identity' }];
    expect(row((await run({ groups }, { SERVICENOW_ASSIGNMENT_GROUP: 'Nope' })).results, 'desk servicenow assignment group')).toMatchObject({
      status: 'fail',
      detail: 'SERVICENOW_ASSIGNMENT_GROUP "Nope" names no group: every incident create fails',
    });
    expect(row((await run({ groups }, { SERVICENOW_ASSIGNMENT_GROUP: 'Identity' })).results, 'desk servicenow assignment group')).toMatchObject({ status: 'pass', detail: `incidents go to 'Identity' (${'a'.repeat(32)})` });
    expect(row((await run({ groups }, { SERVICENOW_ASSIGNMENT_GROUP: 'a'.repeat(32) })).results, 'desk servicenow assignment group')).toMatchObject({ status: 'pass' });
    expect(row((await run({ groups })).results, 'desk servicenow assignment group')).toBeUndefined();
  });

  it('a pre-Tokyo code on a current instance: fails, naming the key and a valid code', async () => {
    const { results } = await run({}, { SERVICENOW_CLOSE_CODE: 'Solved (Permanently)' });
    expect(row(results, 'desk servicenow close code')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining("'Solved (Permanently)' is not in the instance's choice list"),
      fix: expect.stringMatching(/SERVICENOW_CLOSE_CODE.*'Solution provided'/),
    });
  });

  it('the default code on a pre-Tokyo instance: fails the other way round', async () => {
    const { results } = await run({ closeCodes: SN_CLOSE_CODES_PRE_TOKYO });
    expect(row(results, 'desk servicenow close code')).toMatchObject({ status: 'fail', fix: expect.stringContaining("'Solved (Work Around)'") });
  });

  it('an instance answering 200 with HTML (hibernating): named, not read as "no incidents"', async () => {
    const fake = new FakeServiceNow();
    await fake.start();
    started.push(fake);
    fake.server.faults.htmlPage = true;
    const [r] = await probeDesk(loadConfig({ TICKET_SINK: 'servicenow', SERVICENOW_URL: fake.url, SERVICENOW_USER: 'syncdesk', SERVICENOW_PASSWORD: 'secret' }), 5_000);
    expect(r).toMatchObject({ status: 'fail', detail: expect.stringContaining('not JSON'), fix: expect.stringContaining('hibernating') });
  });
});

describe('doctor: Jira screens', () => {
  const env = { TICKET_SINK: 'jira', JIRA_EMAIL: 'bot@example.com', JIRA_TOKEN: 'api-token', JIRA_PROJECT: 'OPS' };

  async function run(options: FakeJiraOptions, extra: Record<string, string> = {}, withIssue = false) {
    const fake = new FakeJira(options);
    await fake.start();
    started.push(fake);
    const config = loadConfig({ ...env, JIRA_URL: fake.url, ...extra });
    if (withIssue) {
      // An issue to read the workflow's transitions from, created as an agent would (not through syncdesk).
      await createJiraTicketSink({ ...config.ticket.jira }, { logger: createLogger({ level: 'silent' }) }).create({ key: 'k1', summary: 's', keyDisplay: 'k1', body: [{ kind: 'paragraph', text: 'x' }] }, { idempotencyKey: 'doctor' });
    }
    return probeDesk(config, 5_000);
  }

  it('a create screen without Labels (a JSM request type): fails with where to add it', async () => {
    const results = await run({ createScreen: CREATE_SCREENS.jsm });
    expect(row(results, 'desk jira create screen')).toMatchObject({ status: 'fail', detail: expect.stringContaining('no Labels field'), fix: expect.stringContaining('Add Labels to the screen') });
  });

  it('a create screen without Description: a warning (the text goes in as a comment)', async () => {
    const results = await run({ createScreen: ['summary', 'labels'] });
    expect(row(results, 'desk jira create screen')).toMatchObject({ status: 'warn', fix: expect.stringContaining('Description') });
  });

  it('a resolve screen with a required field syncdesk cannot fill: fails with the field and the fix', async () => {
    const resolve = { name: 'Resolve Issue', to: STATUS.resolved, screen: { customfield_10050: { required: true } } };
    const results = await run({ workflow: { ...WORKFLOWS.classic, resolve } }, {}, true);
    expect(row(results, 'desk jira resolve screen')).toMatchObject({ status: 'fail', detail: expect.stringContaining('customfield_10050'), fix: expect.stringContaining('optional') });
  });

  it('a required Resolution is fine; a configured resolution the screen lacks is a warning', async () => {
    expect(row(await run({ workflow: 'classic' }, {}, true), 'desk jira resolve screen')).toMatchObject({ status: 'pass', detail: expect.stringContaining('Resolution Done') });
    expect(row(await run({ workflow: 'classic' }, { JIRA_RESOLUTION: 'Fixed' }, true), 'desk jira resolve screen')).toMatchObject({ status: 'warn', fix: expect.stringContaining('JIRA_RESOLUTION') });
  });
});

describe('doctor: Zendesk solve', () => {
  async function run(options: FakeZendeskOptions, extra: Record<string, string> = {}, check = 'desk zendesk solve') {
    const fake = new FakeZendesk(options);
    await fake.start();
    started.push(fake);
    const results = await probeDesk(loadConfig({ TICKET_SINK: 'zendesk', ZENDESK_URL: fake.url, ZENDESK_EMAIL: 'agent@example.com', ZENDESK_TOKEN: 'zd-token', ...extra }), 5_000);
    // what doctor asks is checked against Zendesk's published operations too
    expect(await contractViolations('zendesk', fake.server.calls)).toEqual([]);
    return row(results, check);
  }

  it('auto-assign on solve off and no assignee configured: fails, naming both fixes', async () => {
    expect(await run({ autoAssignOnSolve: false })).toMatchObject({ status: 'fail', fix: expect.stringMatching(/ZENDESK_ASSIGNEE_EMAIL.*Auto-assign tickets upon solve/) });
  });

  it('auto-assign off with an assignee configured: passes', async () => {
    expect(await run({ autoAssignOnSolve: false }, { ZENDESK_ASSIGNEE_EMAIL: 'identity-team@example.com' })).toMatchObject({ status: 'pass' });
  });

  it('a field required to solve: fails, naming the field (auto-assign cannot help then)', async () => {
    expect(await run({ requiredToSolve: [{ id: 5001, title: 'Root cause' }] }, { ZENDESK_ASSIGNEE_EMAIL: 'identity-team@example.com' })).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('Root cause (5001)'),
      fix: expect.stringContaining('Required to solve a ticket'),
    });
  });

  it('an assignee who is no agent (or nobody): fails before the first create does (blind32 V4)', async () => {
    expect(await run({ endUsers: ['customer@example.com'] }, { ZENDESK_ASSIGNEE_EMAIL: 'customer@example.com' })).toMatchObject({
      status: 'fail',
      detail: 'ZENDESK_ASSIGNEE_EMAIL customer@example.com: that user is an end-user, not an agent; every ticket create is refused with 422 (only an agent can be assigned)',
    });
    expect(await run({}, { ZENDESK_ASSIGNEE_EMAIL: 'nobody@example.com' })).toMatchObject({ status: 'fail', detail: expect.stringContaining('no user has that address') });
    expect(await run({}, { ZENDESK_ASSIGNEE_EMAIL: 'Identity-Team@example.com' })).toMatchObject({ status: 'pass', detail: expect.stringContaining('(an agent)') });
  });

  it('a group id the account does not have: fails, naming ZENDESK_GROUP_ID; one it has passes; none set, no check', async () => {
    expect(await run({ groups: [360001] }, { ZENDESK_GROUP_ID: '42' }, 'desk zendesk group')).toMatchObject({ status: 'fail', fix: expect.stringContaining('ZENDESK_GROUP_ID') });
    expect(await run({ groups: [360001] }, { ZENDESK_GROUP_ID: '360001' }, 'desk zendesk group')).toMatchObject({ status: 'pass', detail: 'tickets go to group 360001 (Group 360001)' });
    expect(await run({}, {}, 'desk zendesk group')).toBeUndefined();
  });

  it("Zendesk's defaults: passes", async () => {
    expect(await run({})).toMatchObject({ status: 'pass', detail: expect.stringContaining('auto-assign upon solve is on') });
  });
});

describe("doctor: each tenant's own place on the desk (a tenants file's desk:)", () => {
  /** A tenants file of Contoso and Fabrikam routed as given (YAML flow maps), Tailspin with none. */
  function tenantsFile(contoso: string, fabrikam: string): string {
    const dir = mkdtempSync(join(tmpdir(), 'syncdesk-routes-'));
    const file = join(dir, 'tenants.yaml');
    writeFileSync(
      file,
      `tenants:\n  - { name: Contoso, tenantId: t-1, desk: ${contoso} }\n  - { name: Fabrikam, tenantId: t-2, desk: ${fabrikam} }\n  - { name: Tailspin, tenantId: t-3 }\n`,
    );
    return file;
  }

  it('ServiceNow: a routed group and company the instance has pass; one it lacks fails, naming the tenant and the setting', async () => {
    const fake = new FakeServiceNow({ groups: [{ sys_id: 'a'.repeat(32), name: 'Contoso L2' }], companies: [{ sys_id: 'b'.repeat(32), name: 'Contoso Ltd' }] });
    await fake.start();
    started.push(fake);
    const file = tenantsFile('{ servicenow: { assignmentGroup: Contoso L2, company: Contoso Ltd } }', '{ servicenow: { company: Fabrikam Inc } }');
    const results = await probeDesk(loadConfig({ TICKET_SINK: 'servicenow', SERVICENOW_URL: fake.url, SERVICENOW_USER: 'syncdesk', SERVICENOW_PASSWORD: 'secret', GRAPH_TENANTS_FILE: file }), 5_000);
    expect(row(results, 'desk servicenow group of Contoso')).toMatchObject({ status: 'pass', detail: `incidents go to 'Contoso L2' (${'a'.repeat(32)})` });
    expect(row(results, 'desk servicenow company of Contoso')).toMatchObject({ status: 'pass', detail: `incidents are for 'Contoso Ltd' (${'b'.repeat(32)})` });
    expect(row(results, 'desk servicenow company of Fabrikam')).toMatchObject({
      status: 'fail',
      detail: 'desk.servicenow.company of Fabrikam in the tenants file "Fabrikam Inc" names no company: every incident create fails',
    });
  });

  it('ServiceNow: two tenants that name one group, one by its name and one by its sys_id, share its row (blind39 M7)', async () => {
    const fake = new FakeServiceNow({ groups: [{ sys_id: 'a'.repeat(32), name: 'Shared Ops' }] });
    await fake.start();
    started.push(fake);
    const file = tenantsFile('{ servicenow: { assignmentGroup: Shared Ops } }', `{ servicenow: { assignmentGroup: ${'a'.repeat(32)} } }`);
    const results = await probeDesk(loadConfig({ TICKET_SINK: 'servicenow', SERVICENOW_URL: fake.url, SERVICENOW_USER: 'syncdesk', SERVICENOW_PASSWORD: 'secret', GRAPH_TENANTS_FILE: file }), 5_000);
    const groups = results.filter((r) => r.check.startsWith('desk servicenow group of'));
    expect(groups).toEqual([expect.objectContaining({ check: 'desk servicenow group of Contoso, Fabrikam', status: 'pass', detail: `incidents go to 'Shared Ops' (${'a'.repeat(32)})` })]);
  });

  it("Jira: a routed project's create screen is checked as JIRA_PROJECT's; a project the account cannot see fails", async () => {
    const fake = new FakeJira({ otherProjects: ['CON'] });
    await fake.start();
    started.push(fake);
    const file = tenantsFile('{ jira: { project: CON } }', '{ jira: { project: NOPE } }');
    const results = await probeDesk(loadConfig({ TICKET_SINK: 'jira', JIRA_URL: fake.url, JIRA_EMAIL: 'bot@example.com', JIRA_TOKEN: 'api-token', JIRA_PROJECT: 'OPS', GRAPH_TENANTS_FILE: file }), 5_000);
    expect(row(results, 'desk jira create screen (CON)')).toMatchObject({ status: 'pass' });
    expect(row(results, 'desk jira create screen (NOPE)')).toMatchObject({ status: 'fail', detail: expect.stringContaining('createmeta of NOPE') });
  });

  it('Zendesk: a routed group the account lacks fails before its first ticket does; several tenants of one group are one check', async () => {
    const fake = new FakeZendesk({ groups: [360001, 360002] });
    await fake.start();
    started.push(fake);
    const file = tenantsFile('{ zendesk: { groupId: 360002 } }', '{ zendesk: { groupId: 999 } }');
    const results = await probeDesk(loadConfig({ TICKET_SINK: 'zendesk', ZENDESK_URL: fake.url, ZENDESK_EMAIL: 'agent@example.com', ZENDESK_TOKEN: 'zd-token', GRAPH_TENANTS_FILE: file }), 5_000);
    expect(row(results, 'desk zendesk group of Contoso')).toMatchObject({ status: 'pass' });
    expect(row(results, 'desk zendesk group of Fabrikam')).toMatchObject({ status: 'fail', detail: expect.stringContaining('desk.zendesk.groupId of Fabrikam in the tenants file 999 names no group') });
    const shared = tenantsFile('{ zendesk: { groupId: 360002 } }', '{ zendesk: { groupId: 360002 } }');
    const again = await probeDesk(loadConfig({ TICKET_SINK: 'zendesk', ZENDESK_URL: fake.url, ZENDESK_EMAIL: 'agent@example.com', ZENDESK_TOKEN: 'zd-token', GRAPH_TENANTS_FILE: shared }), 5_000);
    expect(row(again, 'desk zendesk group of Contoso, Fabrikam')).toMatchObject({ status: 'pass' });
  });
});
