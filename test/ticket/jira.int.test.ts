import { afterEach, expect } from 'vitest';
import type { DeskStatus } from '../../schemas/ticket.schema.ts';
import { createLogger } from '../../src/logger.ts';
import { adfText } from '../../src/ticket/sinks/jira-adf.ts';
import { createJiraTicketSink } from '../../src/ticket/sinks/jira-ticket-sink.ts';
import { FakeJira, type FakeJiraIssue, type FakeJiraOptions } from '../fakes/jira.ts';
import { contractViolations } from '../contracts/openapi-contract.ts';
import { runTicketScenarios, type InspectedTicket } from './scenarios.ts';

/**
 * The shared scenario table against the Jira adapter and its loopback fake: with an instantly
 * consistent search; with a search that lags 1.5 s behind every write and ignores
 * `reconcileIssues`, so only the adapter's own memory and direct reads keep it honest; and with
 * the stricter workflows, classic (a required Resolution on "Resolve Issue", a reopen refused
 * while the resolution is set) and Jira Service Management ("Resolve this issue").
 */

const fakes: FakeJira[] = [];
afterEach(async () => {
  const stopped = fakes.splice(0);
  await Promise.all(stopped.map((f) => f.stop()));
  // Every request the adapter sent in the scenario, against the vendor's published description.
  for (const f of stopped) expect(await contractViolations('jira', f.server.calls)).toEqual([]);
});

function deskStatus(issue: FakeJiraIssue): DeskStatus {
  const f = issue.fields;
  if (f.status.statusCategory.key !== 'done') return 'open';
  if (f.resolution?.name === "Won't Do") return 'wontfix';
  return f.status.name === 'Closed' ? 'closed' : 'resolved';
}

function inspect(issue: FakeJiraIssue): InspectedTicket {
  return {
    id: issue.id,
    name: issue.key,
    status: deskStatus(issue),
    summary: issue.fields.summary,
    notes: issue.comments.length,
    linkedTo: issue.links.filter((l) => l.inward === issue.id).map((l) => l.outward),
    text: adfText(issue.fields.description as never),
  };
}

function scenarios(name: string, options: FakeJiraOptions, issueType = 'Task'): void {
  runTicketScenarios(name, async () => {
    const fake = new FakeJira(options);
    fakes.push(fake);
    await fake.start();
    const sink = createJiraTicketSink(
      {
        url: fake.url,
        email: 'bot@example.com',
        token: 'api-token',
        project: 'OPS',
        issueType,
        resolveTransitions: ['Done', 'Resolve Issue', 'Resolve this issue'],
        reopenTransitions: ['Reopen', 'Reopen Issue', 'To Do'],
        resolution: 'Done',
        wontFixResolutions: ["Won't Fix", "Won't Do"],
        closedStatuses: ['Closed'],
        linkType: 'Relates',
      },
      { logger: createLogger({ level: 'silent' }), http: { sleep: async () => {} } },
    );
    return {
      sink,
      inspect: {
        async tickets(key) {
          return fake.withLabel(key).map(inspect);
        },
        async ticket(id) {
          return inspect(fake.get(id));
        },
        async setStatus(id, status) {
          if (status === 'resolved') fake.setStatus(id, 'done', 'Done');
          else if (status === 'wontfix') fake.setStatus(id, 'done', "Won't Do");
          else fake.setStatus(id, 'closed', 'Done');
        },
      },
    };
  });
}

scenarios('Jira Cloud (loopback fake, consistent search)', {});
scenarios('Jira Cloud (loopback fake, search lags 1.5 s, reconcileIssues ignored)', { indexDelayMs: 1500, honourReconcile: false });
scenarios('Jira Cloud (loopback fake, classic workflow: Resolution required, reopen refused while resolved)', { workflow: 'classic' });
scenarios('Jira Service Management (loopback fake, "Resolve this issue")', { workflow: 'jsm', issueTypes: [{ id: '10201', name: 'Service Request' }] }, 'Service Request');
