import { describe, expect, it } from 'vitest';
import type { RecordedCall } from '../fakes/saas-desk-server.ts';
import { contractViolations } from './openapi-contract.ts';

/**
 * The contract check itself must be able to fail: requests that break the vendor's published
 * description are reported, the adapter's usual ones are not.
 */

function call(method: string, path: string, body?: unknown, query: Record<string, string> = {}): RecordedCall {
  return { method, path, query, headers: { 'content-type': 'application/json' }, body, status: 200 };
}

const adf = { type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text: 'x' }] }] };

describe('Jira Cloud platform REST v3 contract', () => {
  it('accepts the requests the adapter sends', async () => {
    expect(
      await contractViolations('jira', [
        call('POST', '/rest/api/3/search/jql', { jql: 'project = "OPS"', fields: ['labels'], maxResults: 50, reconcileIssues: [10001] }),
        call('POST', '/rest/api/3/issue', { fields: { project: { key: 'OPS' }, issuetype: { name: 'Task' }, summary: 's', description: adf, labels: ['k'] } }),
        call('GET', '/rest/api/3/issue/10001/transitions', undefined, { expand: 'transitions.fields' }),
        call('POST', '/rest/api/3/issue/10001/transitions', { transition: { id: '21' }, fields: { resolution: { name: 'Done' } } }),
        call('POST', '/rest/api/3/issue/10001/comment', { body: adf, properties: [{ key: 'sd.public.comment', value: { internal: true } }] }),
        call('POST', '/rest/api/3/issueLink', { type: { name: 'Relates' }, inwardIssue: { id: '1' }, outwardIssue: { id: '2' } }),
        call('GET', '/rest/api/3/issue/createmeta/OPS/issuetypes/10001', undefined, { maxResults: '200' }),
      ]),
    ).toEqual([]);
  });

  it('reports a wrong type, a missing required member and an unknown operation', async () => {
    const problems = await contractViolations('jira', [
      call('POST', '/rest/api/3/search/jql', { jql: 'x', maxResults: 'fifty' }),
      call('POST', '/rest/api/3/issueLink', { inwardIssue: { id: '1' }, outwardIssue: { id: '2' } }),
      call('POST', '/rest/api/3/search', { jql: 'x' }),
    ]);
    expect(problems).toEqual([
      expect.stringMatching(/^searchAndReconsileIssuesUsingJqlPost .*maxResults must be integer/),
      expect.stringMatching(/^linkIssues .*must have required property 'type'/),
      'POST /rest/api/3/search: not an operation of the jira contract',
    ]);
  });
});

describe('Zendesk Support contract', () => {
  it('accepts the requests the adapter sends', async () => {
    expect(
      await contractViolations('zendesk', [
        call('GET', '/api/v2/tickets', undefined, { external_id: 'aadsync-1' }),
        call('GET', '/api/v2/tickets.json', undefined, { external_id: 'aadsync-1', page: '2', per_page: '100' }),
        call('POST', '/api/v2/tickets', { ticket: { subject: 's', comment: { html_body: '<p>x</p>', public: false }, external_id: 'k', tags: ['syncdesk'], assignee_email: 'a@example.com', group_id: 360001 } }),
        call('PUT', '/api/v2/tickets/101', { ticket: { status: 'solved', comment: { html_body: '<p>x</p>', public: false } } }),
        call('GET', '/api/v2/tickets/101/metrics'),
        call('GET', '/api/v2/ticket_fields'),
        call('GET', '/api/v2/account/settings'),
      ]),
    ).toEqual([]);
  });

  it('reports an unknown status, a misspelt member, a create without a comment and a non-numeric id', async () => {
    const problems = await contractViolations('zendesk', [
      call('PUT', '/api/v2/tickets/101', { ticket: { status: 'resolved' } }),
      call('PUT', '/api/v2/tickets/101', { ticket: { assignee_emial: 'a@example.com' } }),
      call('POST', '/api/v2/tickets', { ticket: { subject: 's' } }),
      call('GET', '/api/v2/tickets/abc'),
    ]);
    expect(problems).toHaveLength(4);
    expect(problems[0]).toMatch(/^UpdateTicket .*status must be equal to one of the allowed values/);
    expect(problems[1]).toMatch(/^UpdateTicket .*must NOT have additional properties/);
    expect(problems[2]).toMatch(/^CreateTicket .*must have required property 'comment'/);
    expect(problems[3]).toMatch(/^ShowTicket /);
  });
});
