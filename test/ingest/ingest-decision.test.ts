import { describe, expect, it } from 'vitest';
import type { ParseOutcome } from '../../schemas/report.schema.ts';
import { decideIngest, describeDecision, plannedLookups, runCopyKey, type DecisionInput, type IngestLookups } from '../../src/ingest/ingest-decision.ts';
import type { LedgerEntry, ReportClaim } from '../../src/ingest/ledger.ts';
import type { TrustVerdict } from '../../src/ingest/sender-trust.ts';

/** The one decision of ingest and dry run, step by step, over in-memory lookups that record what was asked. */

const report = (messageId: string | null, errors = 0) => ({ messageId, errors: Array.from({ length: errors }, () => ({})) }) as unknown as Extract<ParseOutcome, { ok: true }>['reports'][number];
const ok = (...ids: Array<string | null>): ParseOutcome => ({ ok: true, reports: ids.map((id) => report(id)) });
/** One report of `errors` errors. */
const reading = (messageId: string, errors: number): ParseOutcome => ({ ok: true, reports: [report(messageId, errors)] });
/** A report of a run as a mail carries it: `messageId` is the carrier's own when it was forwarded inline. */
const runReport = (messageId: string, run: { reportedAt?: string | null; trackingId?: string | null; tenant?: string; fingerprints?: string[]; inline?: boolean } = {}) =>
  ({
    messageId,
    ...(run.inline && { inline: true }),
    reportedAt: run.reportedAt === undefined ? '2026-03-03T23:54:02.000Z' : run.reportedAt,
    trackingId: run.trackingId ?? null,
    tenant: { id: null, domain: null, name: run.tenant ?? 'Fabrikam, Inc.' },
    errors: (run.fingerprints ?? ['a'.repeat(32), 'b'.repeat(32)]).map((fingerprint) => ({ fingerprint })),
  }) as unknown as Extract<ParseOutcome, { ok: true }>['reports'][number];
const notReport: ParseOutcome = { ok: false, rejection: { reason: 'not-a-report', detail: 'not a sync error report' } };
const unreadable: ParseOutcome = { ok: false, rejection: { reason: 'unreadable', detail: 'bad MIME' } };
const verdict = (trusted: boolean): TrustVerdict => ({ trusted, reason: trusted ? 'Microsoft sender, DMARC pass' : 'no DMARC pass', sender: null, checks: { dmarc: 'none', dkim: 'none', serverAuth: null, arc: 'none' } });
const entry = (status: LedgerEntry['status']): LedgerEntry => ({ mailId: 'm1', status, origin: 'imap', firstSeen: '2026-05-01T00:00:00.000Z', updatedAt: '2026-05-01T00:00:00.000Z', rerun: null, duplicateOf: null, reason: null });

/** `owners`: a mail id alone is a claim made before error counts were kept. */
function lookups(options: { entry?: LedgerEntry | null; owners?: Record<string, string | ReportClaim>; outcome?: ParseOutcome; trusted?: boolean } = {}): IngestLookups & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    entry: async () => (asked.push('ledger'), options.entry ?? null),
    reportOwner: async (id) => {
      asked.push(`owner ${id}`);
      const owner = options.owners?.[id];
      return typeof owner === 'string' ? { mailId: owner, errors: null } : (owner ?? null);
    },
    parse: async () => (asked.push('parse'), { outcome: options.outcome ?? ok('<r1>'), documents: null }),
    trust: async () => (asked.push('trust'), verdict(options.trusted ?? true)),
  };
}

const input = (extra: Partial<DecisionInput> = {}): DecisionInput => ({ raw: Buffer.from('mail'), mailId: 'm1', maxMailBytes: 100, ...extra });
const outcomeOf = async (look: IngestLookups, extra: Partial<DecisionInput> = {}) => describeDecision(await decideIngest(input(extra), look)).outcome;

describe('decideIngest', () => {
  it('hands sender trust the documents the parse decoded: the mail is decoded once', async () => {
    const documents = [{ depth: 0 }] as never;
    let heard: unknown;
    const look: IngestLookups = { ...lookups(), parse: async () => ({ outcome: ok('<r1>'), documents }), trust: async (_raw, meta) => ((heard = meta.documents), verdict(true)) };
    expect((await decideIngest(input(), look)).step).toBe('queue');
    expect(heard).toBe(documents);
  });

  it('a mail the ledger knows is a duplicate (or a known non-report), asked nothing more', async () => {
    const look = lookups({ entry: entry('queued') });
    expect(await outcomeOf(look)).toBe('duplicate');
    expect(look.asked).toEqual(['ledger']);
    expect(await outcomeOf(lookups({ entry: entry('quarantined') }))).toBe('duplicate');
    expect(await outcomeOf(lookups({ entry: entry('not-a-report') }))).toBe('not-a-report');
  });

  it('a mail claimed but never queued (a crash) is finished as new; --force runs a known one again as forced', async () => {
    expect(await outcomeOf(lookups({ entry: entry('pending') }))).toBe('new');
    const forced = lookups({ entry: entry('queued'), owners: { '<r1>': 'other' } });
    const d = await decideIngest(input({ force: true }), forced);
    expect(describeDecision(d).outcome).toBe('forced');
    // a re-run takes no report id, and is no duplicate of the mail that has it
    expect(d).toMatchObject({ step: 'queue', claims: [] });
    expect(forced.asked).not.toContain('owner <r1>');
    expect(await outcomeOf(lookups(), { force: true })).toBe('new');
  });

  it('too large before reading it; not a report before asking sender trust', async () => {
    const big = lookups();
    expect(await outcomeOf(big, { raw: Buffer.alloc(101) })).toBe('too-large');
    expect(big.asked).toEqual(['ledger']);
    const other = lookups({ outcome: notReport, trusted: false });
    expect(await outcomeOf(other)).toBe('not-a-report');
    expect(other.asked).toEqual(['ledger', 'parse']);
  });

  it('sender trust before anything else about a report: an unreadable or duplicate report of a forger is quarantined', async () => {
    expect(await outcomeOf(lookups({ outcome: unreadable, trusted: false }))).toBe('quarantined');
    const forged = lookups({ trusted: false, owners: { '<r1>': 'genuine' } });
    expect(await outcomeOf(forged)).toBe('quarantined');
    expect(forged.asked).not.toContain('owner <r1>');
    expect(await outcomeOf(lookups({ outcome: unreadable }))).toBe('rejected');
  });

  it('an admin who vouches replaces sender trust, and is the reason', async () => {
    const look = lookups({ trusted: false });
    const d = await decideIngest(input({ vouched: 'replayed by an admin from a.eml' }), look);
    expect(describeDecision(d)).toEqual({ outcome: 'new', status: 'queued', reason: 'replayed by an admin from a.eml' });
    expect(look.asked).not.toContain('trust');
  });

  it('a report id another mail carried leaves that report out; with none left the mail is a duplicate; its own id is fine', async () => {
    const some = await decideIngest(input(), lookups({ outcome: ok('<r0>', '<r1>', null), owners: { '<r1>': 'm0' } }));
    expect(some).toMatchObject({ step: 'queue', reports: [{ messageId: '<r0>' }, { messageId: null }], claims: [{ messageId: '<r0>' }] });
    expect(describeDecision(some)).toEqual({ outcome: 'new', status: 'queued', reason: 'Microsoft sender, DMARC pass; left out report <r1> already ingested as m0' });
    const all = describeDecision(await decideIngest(input(), lookups({ outcome: ok('<r0>', '<r1>'), owners: { '<r0>': 'm0', '<r1>': 'm2' } })));
    expect(all).toEqual({ outcome: 'duplicate', status: 'duplicate', reason: 'report <r0> already ingested as m0' });
    expect(await outcomeOf(lookups({ owners: { '<r1>': 'm1' } }))).toBe('new');
  });

  it('a copy of a report that reads more of its errors than the mail that carried it is new; as many, or a count never kept, a duplicate', async () => {
    const fuller = await decideIngest(input(), lookups({ outcome: reading('<r1>', 5), owners: { '<r1>': { mailId: 'm0', errors: 3 } } }));
    expect(fuller).toMatchObject({ step: 'queue', claims: [{ messageId: '<r1>', errors: 5 }] });
    expect(describeDecision(fuller)).toEqual({ outcome: 'new', status: 'queued', reason: 'Microsoft sender, DMARC pass; reads 5 error(s) of report <r1>, m0 read 3' });
    expect(await outcomeOf(lookups({ outcome: reading('<r1>', 3), owners: { '<r1>': { mailId: 'm0', errors: 3 } } }))).toBe('duplicate');
    expect(await outcomeOf(lookups({ outcome: reading('<r1>', 2), owners: { '<r1>': { mailId: 'm0', errors: 3 } } }))).toBe('duplicate');
    expect(await outcomeOf(lookups({ outcome: reading('<r1>', 5), owners: { '<r1>': 'm0' } }))).toBe('duplicate');
  });
});

describe('another copy of the same run (blind31 R5)', () => {
  const original = runReport('<dirsync-1@microsoftonline.com>');
  const runKey = runCopyKey(original)!;

  it('an inline forward (a Message-ID of its own) of a report already in is a duplicate, and says of which run', async () => {
    const forward = { ok: true as const, reports: [runReport('<fw-by-erik@mail.gmail.com>', { fingerprints: ['b'.repeat(32), 'a'.repeat(32)], inline: true })] };
    const d = describeDecision(await decideIngest(input({ mailId: 'm2' }), lookups({ outcome: forward, owners: { [runKey]: { mailId: 'm1', errors: 2 } } })));
    expect(d).toEqual({ outcome: 'duplicate', status: 'duplicate', reason: 'a copy of the report of run 2026-03-03T23:54:02.000Z (2 error(s), the same ones) already ingested as m1' });
  });

  it('the original after its inline forward is a duplicate too; a mail claims both its keys', async () => {
    const first = await decideIngest(input(), lookups({ outcome: { ok: true, reports: [original] } }));
    expect(first).toMatchObject({ step: 'queue', claims: [{ messageId: '<dirsync-1@microsoftonline.com>', errors: 2 }, { messageId: runKey, errors: 2 }] });
  });

  it('two mails Microsoft sent (each with a Message-ID of its own) are two reports, whatever they list', async () => {
    const second = { ok: true as const, reports: [runReport('<dirsync-2@microsoftonline.com>')] };
    const d = await decideIngest(input({ mailId: 'm2' }), lookups({ outcome: second, owners: { [runKey]: { mailId: 'm1', errors: 2 } } }));
    expect(describeDecision(d)).toMatchObject({ outcome: 'new', reason: 'Microsoft sender, DMARC pass' });
  });

  it('is another report when the tenant, the run or an error differs, or when the report states no run time nor tracking id', () => {
    expect(runCopyKey(runReport('<x>', { tenant: 'Fabrikam EU' }))).not.toBe(runKey);
    expect(runCopyKey(runReport('<x>', { reportedAt: '2026-03-04T23:54:02.000Z' }))).not.toBe(runKey);
    expect(runCopyKey(runReport('<x>', { fingerprints: ['a'.repeat(32)] }))).not.toBe(runKey);
    expect(runCopyKey(runReport('<x>', { fingerprints: ['a'.repeat(32), 'c'.repeat(32)] }))).not.toBe(runKey);
    expect(runCopyKey(runReport('<x>', { reportedAt: null }))).toBeNull();
    // a layout that states no run: when Microsoft sent it, to the minute (an Outlook "Sent:" has no seconds: blind42 K6)
    const sent = (at: string, inline = true) => runCopyKey({ ...runReport('<fw>', { reportedAt: null, inline }), sentAt: at });
    expect(sent('2026-02-11T06:05:00.000Z')).toBe(sent('2026-02-11T06:05:00.000Z'));
    expect(sent('2026-02-11T06:05:23.000Z', false)).toBe(sent('2026-02-11T06:05:00.000Z'));
    expect(sent('2026-02-12T06:05:00.000Z')).not.toBe(sent('2026-02-11T06:05:00.000Z'));
    expect(sent('2026-02-11T06:05:00.000Z')).toMatch(/^run-copy sent 2026-02-11T06:05\|2\|/);
    expect(runCopyKey(runReport('<x>', { reportedAt: null, trackingId: 'a1b2c3d4-5739-4d70-9b2e-4f10d87598a0' }))).toMatch(/^run-copy tracking a1b2c3d4/);
    expect(runCopyKey(runReport('<x>', { tenant: ' FABRIKAM, INC. ' }))).toBe(runKey);
  });

  it('--force calls a mail whose report another mail carried forced, not new (blind31 R8)', async () => {
    const look = lookups({ outcome: { ok: true, reports: [original] }, owners: { '<dirsync-1@microsoftonline.com>': 'm0' } });
    expect(await outcomeOf(look, { force: true })).toBe('forced');
    expect(await outcomeOf(lookups({ outcome: { ok: true, reports: [original] }, owners: { [runKey]: 'm0' } }), { force: true })).toBe('forced');
    expect(await outcomeOf(lookups({ outcome: { ok: true, reports: [original] }, owners: { [runKey]: 'm1' } }), { force: true })).toBe('new');
  });
});

describe('plannedLookups: a dry run remembers what it would have written', () => {
  it('the same mail, or the same report in another mail, later in the run is a duplicate', async () => {
    const look = plannedLookups(lookups());
    const first = await decideIngest(input(), look);
    look.remember(first, 'replay-file');
    expect(describeDecision(await decideIngest(input(), look)).outcome).toBe('duplicate');
    const other = await decideIngest(input({ mailId: 'm2' }), look);
    expect(other).toMatchObject({ step: 'duplicate-report', ownerMailId: 'm1' });
  });

  it('a fuller copy of a report later in the run is new, and then owns the report id', async () => {
    const look = plannedLookups(lookups({ outcome: reading('<r1>', 3) }));
    look.remember(await decideIngest(input(), look), 'replay-file');
    expect(await look.reportOwner('<r1>')).toEqual({ mailId: 'm1', errors: 3 });
    const fuller = await decideIngest(input({ mailId: 'm2' }), { ...look, parse: async () => ({ outcome: reading('<r1>', 5), documents: null }) });
    expect(fuller).toMatchObject({ step: 'queue', fuller: { owner: { mailId: 'm1', errors: 3 } } });
    look.remember(fuller, 'replay-file');
    expect(await look.reportOwner('<r1>')).toEqual({ mailId: 'm2', errors: 5 });
  });

  it('a quarantined mail seen again in the run is a duplicate, as the ledger would say', async () => {
    const look = plannedLookups(lookups({ trusted: false }));
    look.remember(await decideIngest(input(), look), 'replay-file');
    expect(describeDecision(await decideIngest(input(), look))).toMatchObject({ outcome: 'duplicate', reason: expect.stringContaining('(quarantined)') });
  });
});
