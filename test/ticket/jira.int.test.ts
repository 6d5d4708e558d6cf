import { afterEach } from 'vitest';
import type { DeskStatus } from '../../schemas/ticket.schema.ts';
import { createLogger } from '../../src/logger.ts';
import { adfText } from '../../src/ticket/sinks/jira-adf.ts';
import { createJiraTicketSink } from '../../src/ticket/sinks/jira-ticket-sink.ts';
import { FakeJira, type FakeJiraIssue, type FakeJiraOptions } from '../fakes/jira.ts';
import { runTicketScenarios, type InspectedTicket } from './scenarios.ts';

/**
 * The shared scenario table against the Jira adapter and its loopback fake, twice: with an
 * instantly consistent search, and with a search that lags 1.5 s behind every write and
 * ignores `reconcileIssues`, so only the adapter's own memory and direct reads keep it honest.
 */

const fakes: FakeJira[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.stop()));
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
    status: deskStatus(issue),
    summary: issue.fields.summary,
    notes: issue.comments.length,
    linkedTo: issue.links.filter((l) => l.inward === issue.id).map((l) => l.outward),
    text: adfText(issue.fields.description as never),
  };
}

function scenarios(name: string, options: FakeJiraOptions): void {
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
        issueType: 'Task',
        resolveTransitions: ['Done', 'Resolve Issue'],
        reopenTransitions: ['Reopen', 'To Do'],
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
