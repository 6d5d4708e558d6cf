import { afterEach } from 'vitest';
import type { DeskStatus } from '../../schemas/ticket.schema.ts';
import { createLogger } from '../../src/logger.ts';
import { createServiceNowTicketSink } from '../../src/ticket/sinks/servicenow-ticket-sink.ts';
import { FakeServiceNow, type FakeIncident } from '../fakes/servicenow.ts';
import { runTicketScenarios, type InspectedTicket } from './scenarios.ts';

/**
 * The shared scenario table against the ServiceNow adapter and its loopback fake (real Redis
 * for the use case's state). The inspector reads the fake's records, not the adapter.
 */

const fakes: FakeServiceNow[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.stop()));
});

const STATES: Record<'resolved' | 'closed' | 'wontfix', string> = { resolved: '6', closed: '7', wontfix: '8' };

function deskStatus(state: string): DeskStatus {
  return state === '6' ? 'resolved' : state === '7' ? 'closed' : state === '8' ? 'wontfix' : 'open';
}

function inspect(fake: FakeServiceNow, rec: FakeIncident): InspectedTicket {
  return {
    id: rec.sys_id,
    name: rec.number,
    status: deskStatus(rec.state),
    summary: rec.short_description,
    // Work notes plus each resolution note (close_notes, as the incident's audit history has them).
    notes: fake.workNotes(rec.sys_id).length + fake.closeNotesHistory(rec.sys_id).length,
    // a child of a Closed incident, or (a follow-up of a Resolved one, never its child) named in a work note
    linkedTo: [
      ...(rec.parent_incident ? [rec.parent_incident] : []),
      ...fake.workNotes(rec.sys_id).flatMap((n) => /^Follow-up of incident [^(]*\(\S*?([0-9a-f]{32})\b/.exec(n)?.[1] ?? []),
    ],
    text: rec.description,
  };
}

runTicketScenarios('ServiceNow (loopback fake)', async () => {
  const fake = new FakeServiceNow();
  fakes.push(fake);
  await fake.start();
  const sink = createServiceNowTicketSink(
    { url: fake.url, user: 'syncdesk', password: 'secret', closeCode: 'Solution provided' },
    { logger: createLogger({ level: 'silent' }), http: { sleep: async () => {} } },
  );
  return {
    sink,
    setClock: (now) => fake.setClock(now),
    inspect: {
      async tickets(key) {
        return fake
          .byKey(key)
          .sort((a, b) => (a.number < b.number ? 1 : -1))
          .map((r) => inspect(fake, r));
      },
      async ticket(id) {
        return inspect(fake, fake.incidents.get(id)!);
      },
      async setStatus(id, status) {
        fake.setState(id, STATES[status]);
      },
    },
  };
});
