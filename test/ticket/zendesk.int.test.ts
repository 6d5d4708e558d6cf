import { afterEach, expect } from 'vitest';
import type { DeskStatus } from '../../schemas/ticket.schema.ts';
import { createLogger } from '../../src/logger.ts';
import { createZendeskTicketSink } from '../../src/ticket/sinks/zendesk-ticket-sink.ts';
import { FakeZendesk, type FakeZendeskOptions, type FakeZendeskTicket } from '../fakes/zendesk.ts';
import { contractViolations } from '../contracts/openapi-contract.ts';
import { runTicketScenarios, type InspectedTicket } from './scenarios.ts';

/**
 * The shared scenario table against the Zendesk adapter and its loopback fake. Zendesk links
 * tickets only as follow-ups of closed ones (`via_followup_source_id`); a follow-up of a
 * solved ticket names it in its first comment, which the inspector reads as the link. Run twice:
 * an account with Zendesk's defaults, and a strict one (auto-assign on solve off, account update
 * limit) where only the configured assignee lets tickets be solved.
 */

const fakes: FakeZendesk[] = [];
afterEach(async () => {
  const stopped = fakes.splice(0);
  await Promise.all(stopped.map((f) => f.stop()));
  // Every request the adapter sent in the scenario, against the vendor's published description.
  for (const f of stopped) expect(await contractViolations('zendesk', f.server.calls)).toEqual([]);
});

function deskStatus(t: FakeZendeskTicket): DeskStatus {
  if (t.tags.includes('wont_fix')) return 'wontfix';
  return t.status === 'solved' ? 'resolved' : t.status === 'closed' ? 'closed' : 'open';
}

function inspect(t: FakeZendeskTicket): InspectedTicket {
  const linked = new Set<string>();
  if (t.via_followup_source_id) linked.add(String(t.via_followup_source_id));
  for (const m of t.description.matchAll(/Follow-up of ticket (\d+)/g)) linked.add(m[1]!);
  for (const c of t.comments.slice(1)) for (const m of c.body.matchAll(/Related ticket #(\d+)/g)) linked.add(m[1]!);
  return {
    id: String(t.id),
    status: deskStatus(t),
    summary: t.subject,
    // The first comment is the description; every later one is a note.
    notes: t.comments.length - 1,
    linkedTo: [...linked],
    text: t.description,
  };
}

function scenarios(name: string, options: FakeZendeskOptions, assigneeEmail?: string): void {
  runTicketScenarios(name, async () => {
    const fake = new FakeZendesk(options);
    fakes.push(fake);
    await fake.start();
    const sink = createZendeskTicketSink(
      { url: fake.url, email: 'agent@example.com', token: 'zd-token', tag: 'syncdesk', wontFixTag: 'wont_fix', assigneeEmail },
      { logger: createLogger({ level: 'silent' }), http: { sleep: async () => {} } },
    );
    return {
      sink,
      inspect: {
        async tickets(key) {
          return fake.byExternalId(key).map(inspect);
        },
        async ticket(id) {
          return inspect(fake.get(id));
        },
        async setStatus(id, status) {
          if (status === 'resolved') fake.setStatus(id, 'solved');
          else if (status === 'closed') fake.setStatus(id, 'closed');
          else fake.setStatus(id, 'solved', ['wont_fix']);
        },
      },
    };
  });
}

scenarios('Zendesk (loopback fake)', {});
scenarios('Zendesk (loopback fake, auto-assign on solve off, 100 updates/min, assignee configured)', { autoAssignOnSolve: false, updatesPerMinute: 100 }, 'identity-team@example.com');
