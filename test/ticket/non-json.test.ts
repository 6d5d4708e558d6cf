import axios from 'axios';
import type { FakedDesk } from '../helpers/desks.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { TicketConfigSchema } from '../../schemas/config.schema.ts';
import { TransientError } from '../../src/errors.ts';
import { createLogger } from '../../src/logger.ts';
import { createJiraTicketSink } from '../../src/ticket/sinks/jira-ticket-sink.ts';
import { createServiceNowTicketSink } from '../../src/ticket/sinks/servicenow-ticket-sink.ts';
import { createZendeskTicketSink } from '../../src/ticket/sinks/zendesk-ticket-sink.ts';
import type { TicketSink } from '../../src/ticket/ticket-sink.ts';
import { FakeJira } from '../fakes/jira.ts';
import type { FakeDeskServer } from '../fakes/saas-desk-server.ts';
import { FakeServiceNow } from '../fakes/servicenow.ts';
import { FakeZendesk } from '../fakes/zendesk.ts';
import { DESK_KEY, deskDraft } from './builders.ts';

/**
 * A hibernating developer instance or an SSO proxy answers 200 with an HTML page. Read as JSON
 * it has no records, and the ticket stage would create a duplicate: every desk must treat it as
 * a failure worth retrying, never as "nothing found".
 */

interface Desk {
  name: string;
  server: FakeDeskServer;
  sink: TicketSink;
  stored: () => number;
  stop: () => Promise<void>;
  /** One request the real desk would answer with JSON. */
  probe: { url: string; auth: { username: string; password: string } };
}

const http = { sleep: async () => {}, maxRetries: 1 };
const logger = createLogger({ level: 'silent' });

/** The parts of a fake this file needs. */
interface Fake {
  server: FakeDeskServer;
  url: string;
  list(): unknown[];
  stop(): Promise<void>;
}

function deskOf(name: string, fake: Fake, sink: TicketSink, probePath: string, auth: Desk['probe']['auth']): Desk {
  return { name, server: fake.server, sink, stored: () => fake.list().length, stop: () => fake.stop(), probe: { url: `${fake.url}${probePath}`, auth } };
}

async function jira(): Promise<Desk> {
  const fake = new FakeJira();
  await fake.start();
  const config = TicketConfigSchema.parse({ jira: { url: fake.url, email: 'bot@example.com', token: 'api-token', project: 'OPS' } }).jira;
  return deskOf('jira', fake, createJiraTicketSink(config, { logger, http }), '/rest/api/3/issue/1', { username: 'bot@example.com', password: 'api-token' });
}

async function servicenow(): Promise<Desk> {
  const fake = new FakeServiceNow();
  await fake.start();
  const config = TicketConfigSchema.parse({ servicenow: { url: fake.url, user: 'syncdesk', password: 'secret' } }).servicenow;
  return deskOf('servicenow', fake, createServiceNowTicketSink(config, { logger, http }), '/api/now/v2/table/incident', { username: 'syncdesk', password: 'secret' });
}

async function zendesk(): Promise<Desk> {
  const fake = new FakeZendesk();
  await fake.start();
  const config = TicketConfigSchema.parse({ zendesk: { url: fake.url, email: 'agent@example.com', token: 'zd-token' } }).zendesk;
  return deskOf('zendesk', fake, createZendeskTicketSink(config, { logger, http }), '/api/v2/tickets', { username: 'agent@example.com/token', password: 'zd-token' });
}

let desk: Desk | undefined;
afterEach(async () => {
  await desk?.stop();
  desk = undefined;
});

describe.each(Object.entries({ jira, servicenow, zendesk } satisfies Record<FakedDesk, () => Promise<Desk>>))('%s: a 200 with an HTML page', (_name, start) => {
  it('the fake answers 200 with HTML on demand', async () => {
    desk = await start();
    desk.server.htmlNext(1);
    const res = await axios.get(desk.probe.url, { auth: desk.probe.auth, validateStatus: () => true });
    expect(res.status).toBe(200);
    expect(String(res.headers['content-type'])).toContain('text/html');
    expect(String(res.data)).toContain('<html>');
  });

  it('a lookup answered with HTML is a transient failure, not "no tickets"', async () => {
    desk = await start();
    desk.server.faults.htmlPage = true;
    const err = await desk.sink.findByKey(DESK_KEY).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect(err).toMatchObject({ code: 'desk_not_json' });
    expect((err as Error).message).toContain('not JSON');
    // An idempotent lookup is tried again in-process before the job is handed back.
    expect(desk.server.calls.filter((c) => c.fault === 'html').length).toBe(2);
  });

  it('a create answered with HTML is a transient failure', async () => {
    desk = await start();
    desk.server.faults.htmlPage = true;
    const err = await desk.sink.create(deskDraft(), { idempotencyKey: 'k' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect(err).toMatchObject({ code: 'desk_not_json' });
    expect(desk.stored()).toBe(0);
  });
});
