import { describe, expect, it } from 'vitest';
import { PermanentError, TransientError } from '../../src/errors.ts';
import type { TicketSink } from '../../src/ticket/ticket-sink.ts';
import { readTickets } from '../pipeline/helpers.ts';
import { resolution, resolutionsFor, syncError, ticketJob, uniqueTenant } from './builders.ts';
import { useFileDesk } from './file-desk-stage.ts';

/**
 * A chunk holds up to 50 problems and fails with the first desk refusal: `failed list` shows
 * that failure alone, so it must say which problem the desk refused (blind32 V6), and still be
 * the error the queue acts on (its class, code and retry time).
 */
describe('ticket stage: a desk failure names its problem', () => {
  const desk = useFileDesk({ resolveAfterMissing: 0 });

  /** The file desk, refusing with `error` each create whose summary mentions `value`. */
  const refusing = (value: string, error: () => Error): TicketSink => ({
    ...desk.sink(),
    create: async (draft, options) => {
      if (draft.summary.includes(value)) throw error();
      return desk.sink().create(draft, options);
    },
  });
  const apply = (sink: TicketSink) => desk.applierFor(sink).applyReport;

  it('a refusal names the object, the value and the key, keeps its code; the chunk\'s other problems are created', async () => {
    const errors = ['ann@contoso.com', 'carol@contoso.com', 'dan@contoso.com'].map((value) => syncError({ value }));
    const run = apply(refusing('carol@contoso.com', () => new PermanentError('jira: POST /rest/api/3/issue: HTTP 400 (summary: "Field summary is invalid")', 'desk_rejected')));
    const failure = await run(ticketJob(uniqueTenant(), 1, errors), resolutionsFor(...errors.map((e) => resolution(e)))).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(PermanentError);
    expect((failure as PermanentError).code).toBe('desk_rejected');
    expect((failure as Error).message).toMatch(/^problem \[Duplicate UserPrincipalName\] carol@contoso\.com.* \(key aadsync-[0-9a-f]+\): jira: POST \/rest\/api\/3\/issue: HTTP 400/);
    expect(readTickets(desk.dir()).map((t) => t.summary).sort()).toEqual([expect.stringContaining('ann@contoso.com'), expect.stringContaining('dan@contoso.com')]);
  });

  it('a transient failure keeps its retry time', async () => {
    const error = syncError({ value: 'erin@contoso.com' });
    const run = apply(refusing('erin@contoso.com', () => new TransientError('zendesk: 429', 'rate_limited', 30_000)));
    const failure = (await run(ticketJob(uniqueTenant(), 1, [error]), resolutionsFor(resolution(error))).catch((err: unknown) => err)) as TransientError;
    expect(failure).toBeInstanceOf(TransientError);
    expect([failure.code, failure.retryAfterMs]).toEqual(['rate_limited', 30_000]);
    expect(failure.message).toMatch(/^problem \[Duplicate UserPrincipalName\] erin@contoso\.com.*: zendesk: 429$/);
  });
});
