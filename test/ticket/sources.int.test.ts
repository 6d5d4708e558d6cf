import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportErrors } from '../../schemas/jobs.schema.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { createFileTicketSink } from '../../src/ticket/sinks/file-ticket-sink.ts';
import { createTicketStageFromConfig } from '../../src/ticket/ticket-stage.ts';
import { services } from '../helpers/services.ts';
import { resolution, resolutionsFor, syncError, ticketJob, uniqueTenant } from './builders.ts';

/**
 * Mails and the Graph poll report the same conflicts. They must land on one ticket, and
 * neither may undo what the other decided: a poll at 06:02 does not make the 06:00 mail
 * old, and a poll (which only knows property conflicts) never resolves a mail-only problem.
 */

const poll = (job: ReportErrors, minutes: number): ReportErrors => ({
  ...job,
  report: {
    ...job.report,
    reportId: `poll-${randomUUID()}`,
    source: 'graph',
    coversAt: new Date(Date.parse(job.report.coversAt) + minutes * 60_000).toISOString(),
  },
});

describe('mail reports and the Graph poll (file sink, real Redis)', () => {
  let redis: Redis;
  let dir: string;
  let stage: ReturnType<typeof createTicketStageFromConfig>;
  beforeAll(() => {
    redis = new Redis(services().REDIS_URL!);
    dir = mkdtempSync(join(tmpdir(), 'syncdesk-sources-'));
    const config = loadConfig({ TICKET_SINK: 'file', TICKET_DIR: dir, TICKET_RESOLVE_AFTER_MISSING: '1', REDIS_PREFIX: `test-sources-${randomUUID()}` });
    stage = createTicketStageFromConfig(config, { redis, logger: createLogger({ level: 'silent' }) });
  });
  afterAll(async () => {
    await stage.close();
    await redis.quit();
  });

  it('one conflict seen by a mail and by the poll is one ticket', async () => {
    const tenant = uniqueTenant();
    const dup = syncError({ value: `dup-${randomUUID().slice(0, 6)}@contoso.com` });
    const fromMail = await stage.applyReport(ticketJob(tenant, 1, [dup]), resolutionsFor(resolution(dup)));
    expect(fromMail.map((a) => a.action)).toEqual(['create']);
    const fromPoll = await stage.applyReport(poll(ticketJob(tenant, 1, [dup]), 2), resolutionsFor(resolution(dup)));
    expect(fromPoll).toEqual([expect.objectContaining({ action: 'unchanged', ticketId: fromMail[0]!.ticketId })]);
    expect(await createFileTicketSink({ dir }).findByKey(fromMail[0]!.key)).toHaveLength(1);
  });

  it('a poll just after a mail does not make the mail old, and never resolves what only mails report', async () => {
    const tenant = uniqueTenant();
    const dup = syncError({ value: `dup-${randomUUID().slice(0, 6)}@contoso.com` });
    const large = { ...syncError({ value: `big-${randomUUID().slice(0, 6)}@contoso.com` }), category: 'LargeObject' as const, attributes: [] };
    // the poll of 06:02 comes before the mail of 06:00 is applied
    await stage.applyReport(poll(ticketJob(tenant, 3, [dup]), 2), resolutionsFor(resolution(dup)));
    const mail = await stage.applyReport(ticketJob(tenant, 3, [dup, large]), resolutionsFor(resolution(dup), resolution(large, 'not-applicable', [])));
    // the large object is new; the conflict was already seen newer (by the poll): nothing to do for it
    expect(mail.map((a) => a.action).sort()).toEqual(['create', 'skip-old']);
    // the next poll knows only the property conflict: the large object stays open
    const next = await stage.applyReport(poll(ticketJob(tenant, 4, [dup]), 0), resolutionsFor(resolution(dup)));
    expect(next.map((a) => a.action)).toEqual(['unchanged']);
    // the next mail without the large object resolves it (TICKET_RESOLVE_AFTER_MISSING=1)
    const later = await stage.applyReport(ticketJob(tenant, 5, [dup]), resolutionsFor(resolution(dup)));
    expect(later.map((a) => a.action).sort()).toEqual(['resolve', 'unchanged']);
  });
});
