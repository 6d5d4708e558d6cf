import { describe, expect, it } from 'vitest';
import { correlationKey } from '../../src/ticket/correlation-key.ts';
import { categoryOfTitle } from '../../src/ticket/problem-title.ts';
import { contentHash } from '../../src/ticket/content-hash.ts';
import { renderDraft, renderSummary, reopenNote, type ProblemView } from '../../src/ticket/render.ts';
import { toText } from '../helpers/ticket-text.ts';
import { holder, resolution, syncError, ticketJob } from './builders.ts';

function view(overrides: Partial<ProblemView> = {}): ProblemView {
  const error = syncError();
  const job = ticketJob('contoso.onmicrosoft.com', 1, [error]);
  return { key: correlationKey('contoso.onmicrosoft.com', error), report: job.report, error, resolution: resolution(error), ...overrides };
}

const seen = {
  firstSeen: '2026-11-01T06:00:00.000Z',
  lastSeen: '2026-11-03T06:00:00.000Z',
  seenCount: 3,
  reports: [{ reportId: '<r3@microsoft.com>', subject: 'Report 3', coversAt: '2026-11-03T06:00:00.000Z' }],
};

describe('renderSummary', () => {
  it('reads like the example an agent scans', () => {
    expect(renderSummary(view())).toBe('[Duplicate UserPrincipalName] john@contoso.com — held by cloud-only user John Smith — tenant contoso');
  });
  it('names the object when the value is another (proxy address on a user) and the synced holder', () => {
    const error = syncError({ attribute: 'ProxyAddresses', value: 'smtp:sales@contoso.com', identity: 'jane@contoso.com' });
    const v = view({ error, resolution: resolution(error, 'synced-holder', [holder({ type: 'group', displayName: 'Sales', onPremisesSyncEnabled: true })]) });
    expect(renderSummary(v)).toBe('[Duplicate ProxyAddresses] smtp:sales@contoso.com on jane@contoso.com — held by synced group Sales — tenant contoso');
  });
  it('says when nothing was looked up, and stays within 255 characters', () => {
    const long = syncError({ value: `${'x'.repeat(300)}@contoso.com` });
    const s = renderSummary(view({ error: long, resolution: undefined }));
    expect(s.length).toBeLessThanOrEqual(255);
    expect(s.startsWith('[Duplicate UserPrincipalName] xxx')).toBe(true);
  });
  it('keeps the holder and the tenant when the value is long: the value gives way, the summary fits every desk', () => {
    const long = syncError({ value: `${'x'.repeat(300)}@contoso.com` });
    const s = renderSummary(view({ error: long }));
    expect(s.length).toBeLessThanOrEqual(160);
    expect(s).toMatch(/^\[Duplicate UserPrincipalName\] x+… — held by cloud-only user John Smith — tenant contoso$/);
  });
  it("titles a tenant the configuration names by that name, and the body keeps the report's own beside it (blind47 J4)", () => {
    const base = view();
    const report = { ...base.report, tenant: { name: 'Pay Now At evil.example', domain: 'contoso.onmicrosoft.com', id: null }, tenantName: 'Contoso Ltd (customer 114)' };
    const v = { ...base, report };
    expect(renderSummary(v)).toMatch(/ — tenant Contoso Ltd \(customer 114\)$/);
    const body = toText(renderDraft(v, seen).body);
    expect(body).toMatch(/^Tenant +: Contoso Ltd \(customer 114\) \/ contoso\.onmicrosoft\.com \(the report names it "Pay Now At evil\.example"\)$/m);
    // the same name, written otherwise, is not said twice
    const same = toText(renderDraft({ ...base, report: { ...report, tenant: { ...report.tenant, name: 'CONTOSO LTD (customer 114)' } } }, seen).body);
    expect(same).toMatch(/^Tenant +: Contoso Ltd \(customer 114\) \/ contoso\.onmicrosoft\.com$/m);
  });
  it('a tenant-level error (quota) shows the first sentence of its text, and the tenant', () => {
    const quota = syncError({ category: 'QuotaExceeded', identity: null });
    const error = { ...quota, attributes: [], message: 'Error 016: Synchronization has been stopped. This company has exceeded the number of objects that can be synchronized. Contact Microsoft Online Services Support.' };
    expect(renderSummary(view({ error, resolution: undefined }))).toBe('[Quota exceeded] Error 016: Synchronization has been stopped. — tenant contoso');
  });
  it('an object row whose name cell is empty is named by its source anchor, never taken for the whole tenant (blind27 M2)', () => {
    const error = syncError({ attribute: 'ProxyAddresses', value: 'SMTP:sales@negev-solar.co.il', identity: null, onPremisesObjectId: 'c2FsZXNDb250YWN0TmVnZXY=' });
    const draft = renderDraft(view({ error, resolution: undefined }), seen);
    expect(toText(draft.body)).toMatch(/^Object +: \(no name in the report; source anchor c2FsZXNDb250YWN0TmVnZXY=\)$/m);
    expect(draft.scope).toBe('object');
  });
  it('a value set aside (resiliency notice) is titled so, apart from a blocking duplicate, and status still counts it a duplicate (blind30 T10)', () => {
    const error = syncError({ attribute: 'ProxyAddresses', value: 'SMTP:frank@contoso.com', identity: 'frank@contoso.com', valueQuarantined: true });
    const summary = renderSummary(view({ error, resolution: undefined }));
    expect(summary).toMatch(/^\[Duplicate ProxyAddresses, value set aside\] SMTP:frank@contoso\.com/);
    expect(categoryOfTitle(/^\[([^\]]+)\]/.exec(summary)![1]!)).toBe('DuplicateAttribute');
  });
  it('a password refused for a cloud-only user is not titled a delete, though Microsoft files it with the delete (blind27 M1)', () => {
    const error = syncError({
      category: 'DeletingCloudOnlyObject',
      attributes: [],
      identity: 'b.ortiz@adventure-works.com',
      onPremisesObjectId: 'k2Vx1yqHk0G9m0f8k3vW7A==',
      message: "Unable to process this update because one or more cloud-only users' credential update is included in the current request.",
    });
    expect(renderSummary(view({ error, resolution: undefined }))).toMatch(/^\[Cloud-only password change\] b\.ortiz@adventure-works\.com/);
    // its object is looked for where it lives, not among deleted ones
    expect(toText(renderDraft(view({ error, resolution: resolution(error, 'not-applicable', []) }), seen).body)).not.toContain('-IncludeDeletedObjects');
  });
});

describe('renderDraft', () => {
  it('carries the error text, object, holders, verdict, steps with commands and the reports', () => {
    const error = syncError({ onPremisesObjectId: 'k2Vx1yqHk0G9m0f8k3vW7A==' });
    const text = toText(renderDraft(view({ error, resolution: resolution(error) }), seen).body);
    expect(text).toContain(error.message);
    expect(text).toContain('k2Vx1yqHk0G9m0f8k3vW7A==');
    expect(text).toContain('user John Smith (john@contoso.com) — cloud-only');
    expect(text).toContain('A cloud-only object holds the value');
    expect(text).toContain("Update-MgUser -UserId 6f1f9e1e-0000-4000-8000-000000000001 -UserPrincipalName 'john.old@contoso.onmicrosoft.com'");
    expect(text).toMatch(/Times seen\s+: 3/);
    expect(text).toContain('Report 3 — covers 2026-11-03T06:00:00.000Z — <r3@microsoft.com>');
  });
  it('says which characters of a value or a holder do not show as what they are, spelled out; a plain value gets no such line (blind35 S7)', () => {
    const error = syncError({ attribute: 'ProxyAddresses', value: 'SMTP:b1\u202emoc.live@\u202c@contoso.com', identity: '\u0430dmin@contoso.com' });
    const text = toText(renderDraft(view({ error, resolution: resolution(error, 'cloud-only-holder', [holder({ displayName: 'Admin\u2066x\u2069', userPrincipalName: 'b6\uff20contoso.com' })]) }), seen).body);
    expect(text).toContain('Look closely: SMTP:b1[U+202E]moc.live@[U+202C]@contoso.com holds characters a screen does not show as what they are: U+202E (right-to-left override) at 8, U+202C (pop directional formatting) at 18.');
    expect(text).toContain('Look closely: [U+0430]dmin@contoso.com holds characters a screen does not show as what they are: U+0430 (Cyrillic \u0430) at 1.');
    expect(text).toContain('Look closely: Admin[U+2066]x[U+2069] holds');
    expect(text).toContain('U+FF20 (fullwidth @) at 3');
    expect(toText(renderDraft(view(), seen).body)).not.toContain('Look closely');
    // the title, which queue lists and mails show without the body's warning, spells them out too (blind47 J3)
    const title = renderDraft(view({ error }), seen).summary;
    expect(title).toContain('SMTP:b1[U+202E]moc.live@[U+202C]@contoso.com');
    expect(title).not.toMatch(/\p{Cf}/u);
    // a name in another script is no look-alike: only beside Latin letters
    const russian = syncError({ attribute: 'ProxyAddresses', value: 'SMTP:ivan@contoso.com' });
    expect(toText(renderDraft(view({ error: russian, resolution: resolution(russian, 'cloud-only-holder', [holder({ displayName: 'Иван Петров' })]) }), seen).body)).not.toContain('Look closely');
  });

  it('says "not looked up" when the directory was not asked, "no object" only when it was, and has no holder section for a tenant-level error', () => {
    const error = syncError();
    const body = (r: ReturnType<typeof resolution> | undefined, e = error) => toText(renderDraft(view({ error: e, resolution: r }), seen).body);
    expect(body(resolution(error, 'unresolved', []))).toContain('Not looked up (see below why)');
    expect(body(resolution(error, 'unresolved', []))).not.toContain('No object found');
    expect(body(resolution(error, 'no-holder', []))).toContain('No object found holding the value.');
    const quota = syncError({ category: 'QuotaExceeded', identity: null, attributes: [], message: 'Error 016: Synchronization has been stopped.' });
    expect(body(resolution(quota, 'not-applicable', []), quota)).not.toContain('Who holds the value');
  });
  it('an error that names no value says what is wrong as its verdict, once; a delete error looks for its object among deleted ones', () => {
    const large = syncError({ category: 'LargeObject', attributes: [], message: 'The provisioned object is too large.', onPremisesObjectId: 'k2Vx1yqHk0G9m0f8k3vW7A==' });
    const note = 'The object exceeds a size limit; no other object is involved.';
    const text = toText(renderDraft(view({ error: large, resolution: { ...resolution(large, 'not-applicable', []), note } }), seen).body);
    expect(text).not.toContain('names no conflicting value');
    expect(text.split(note)).toHaveLength(2);
    expect(text).not.toContain('-IncludeDeletedObjects');
    const gone = syncError({ category: 'DeletingCloudOnlyObject', attributes: [], message: 'This synchronization operation, Delete, is not valid.', onPremisesObjectId: 'k2Vx1yqHk0G9m0f8k3vW7A==' });
    expect(toText(renderDraft(view({ error: gone, resolution: resolution(gone, 'not-applicable', []) }), seen).body)).toContain(' -IncludeDeletedObjects ');
  });
  it('says what a holder is: a group by its kind, a user who cannot sign in, and one synced once is not called cloud-only', () => {
    const error = syncError({ attribute: 'ProxyAddresses', value: 'smtp:tax@contoso.com', identity: 'jane@contoso.com' });
    const group = holder({ type: 'group', displayName: 'Tax Team', userPrincipalName: null, groupKind: 'mail-enabled security' });
    expect(toText(renderDraft(view({ error, resolution: resolution(error, 'cloud-only-holder', [group]) }), seen).body)).toContain('mail-enabled security group Tax Team');
    const shared = holder({ accountEnabled: false });
    expect(toText(renderDraft(view({ error, resolution: resolution(error, 'cloud-only-holder', [shared]) }), seen).body)).toContain('sign-in blocked (as for a shared or resource mailbox, or a disabled account)');
    const formerly = holder({ onPremisesSyncEnabled: false, onPremisesImmutableId: 'b2xkQW5jaG9y' });
    const v = view({ error, resolution: resolution(error, 'cloud-only-holder', [formerly]) });
    expect(renderSummary(v)).toContain('held by formerly synced user John Smith');
    const text = toText(renderDraft(v, seen).body);
    expect(text).toContain('still carries the anchor (ImmutableId) b2xkQW5jaG9y of the object it was synced from');
    expect(text).toContain('An object synced from on-premises AD once, and mastered in the cloud since, holds the value');
    expect(text).not.toContain('A cloud-only object holds the value');
  });

  it('the object itself holding the value is not told to be matched: it is; "nobody" says as far as Graph can see', () => {
    const error = syncError();
    const self = toText(renderDraft(view({ error, resolution: resolution(error, 'same-object', [holder({ onPremisesSyncEnabled: true })]) }), seen).body);
    expect(self).toContain('its cloud object is already matched to it');
    expect(self).not.toContain('need to be matched');
    expect(toText(renderDraft(view({ error, resolution: resolution(error, 'no-holder', []) }), seen).body)).toContain('Nobody holds the value any more, as far as Graph can see');
  });

  it('a reopen note says when the problem was resolved in the time that decided it: the run that no longer listed it, or the desk\'s own resolve', () => {
    const ours = toText(reopenNote(view(), seen, { byReportCovering: '2026-05-05T06:00:00.000Z', at: '2026-12-05T10:18:38.000Z' }));
    expect(ours).toContain('after syncdesk resolved it when the report covering 2026-05-05T06:00:00.000Z no longer listed it');
    expect(ours).not.toContain('2026-12-05');
    expect(toText(reopenNote(view(), seen, { byReportCovering: null, at: '2026-11-02T09:00:00.000Z' }))).toContain('after it was resolved in the desk on 2026-11-02T09:00:00.000Z');
  });

  it("links Microsoft's page for the error: its stated name's section, the resiliency page for a value set aside, Error Type 114's procedure, else its category's", () => {
    const link = (e: ReturnType<typeof syncError>) => /Microsoft's documentation of this error: (\S+)/.exec(toText(renderDraft(view({ error: e, resolution: resolution(e) }), seen).body))?.[1];
    const page = 'https://learn.microsoft.com/en-us/entra/identity/hybrid/connect/tshoot-connect-sync-errors';
    expect(link(syncError())).toBe(`${page}#attributevaluemustbeunique`);
    expect(link(syncError({ errorCode: 'InvalidSoftMatch' }))).toBe(`${page}#invalidsoftmatch`);
    expect(link(syncError({ valueQuarantined: true, errorCode: null }))).toBe('https://learn.microsoft.com/en-us/entra/identity/hybrid/connect/how-to-connect-syncservice-duplicate-attribute-resiliency');
    const gone = { category: 'DeletingCloudOnlyObject' as const, errorCode: null, attributes: [] };
    expect(link(syncError({ ...gone, message: 'This synchronization operation, Delete, is not valid. Contact Technical Support.' }))).toBe(`${page}#resolve-error-type-114`);
    expect(link(syncError({ ...gone, message: "Unable to process this update because one or more cloud-only users' credential update is included in the current request." }))).toBe(
      `${page}#deletion-access-violation-and-password-access-violation-errors`,
    );
    expect(link(syncError({ category: 'LargeObject', errorCode: null, attributes: [] }))).toBe(`${page}#largeobject-or-exceededallowedlength`);
  });
  it('tells that its sightings are as of the entry: a report listing the problem unchanged adds nothing to the ticket', () => {
    const text = toText(renderDraft(view(), seen).body);
    expect(text).toContain('Seen in reports (as of this entry)');
    expect(text).toContain('a later report that lists it unchanged adds nothing here');
  });
  it('marks soft-deleted holders', () => {
    const error = syncError();
    const r = resolution(error, 'soft-deleted-holder', [holder({ deleted: true })]);
    expect(toText(renderDraft(view({ error, resolution: r }), seen).body)).toContain('deleted (in the recycle bin)');
  });
});

describe('contentHash', () => {
  it('ignores lookup time, last-sync time and holder order', () => {
    const error = syncError();
    const h1 = holder({ id: 'a' });
    const h2 = holder({ id: 'b', displayName: 'Other' });
    const r = resolution(error, 'cloud-only-holder', [h1, h2]);
    const same = { ...r, holders: [{ ...h2, onPremisesLastSyncDateTime: '2026-11-02T00:00:00Z' }, h1], resolvedAt: '2026-11-09T00:00:00Z' };
    expect(contentHash(view({ error, resolution: same }))).toBe(contentHash(view({ error, resolution: r })));
  });
  it('is the same for an error straight from the parser and for the same error read back from a job payload', () => {
    const error = syncError();
    const r = resolution(error);
    // the parser builds its records in its own key order; a worker reads them in the schema's
    const shuffled = Object.fromEntries(Object.entries(error).reverse()) as typeof error;
    expect(contentHash(view({ error: shuffled, resolution: r }))).toBe(contentHash(view({ error, resolution: r })));
  });
  it('changes when the holder, verdict or message changes', () => {
    const base = contentHash(view());
    const error = syncError();
    expect(contentHash(view({ resolution: resolution(error, 'synced-holder', [holder({ onPremisesSyncEnabled: true })]) }))).not.toBe(base);
    expect(contentHash(view({ resolution: resolution(error, 'no-holder', []) }))).not.toBe(base);
    expect(contentHash(view({ error: { ...error, message: 'new text' } }))).not.toBe(base);
  });
});

describe('a tenant in a national cloud (blind63 C2)', () => {
  it('names its cloud and has the agent connect there first, with the environment names Connect-MgGraph and Connect-ExchangeOnline take', () => {
    const v = view();
    const gov = { ...v, report: { ...v.report, cloud: 'usgov' as const, tenant: { ...v.report.tenant, id: '0a0a0a0a-0000-4000-8000-00000000000a' } } };
    const text = toText(renderDraft(gov, seen).body);
    expect(text).toContain('in the US Government (GCC High) cloud');
    expect(text).toMatch(/1\. This tenant is in the US Government \(GCC High\) cloud: connect to it there before running the commands below/);
    expect(text).toMatch(/ +Connect-MgGraph -Environment USGov -TenantId 0a0a0a0a-0000-4000-8000-00000000000a\n +Connect-ExchangeOnline -ExchangeEnvironmentName O365USGovGCCHigh\n/);
    const china = toText(renderDraft({ ...v, report: { ...v.report, cloud: 'china' } }, seen).body);
    expect(china).toContain('Connect-MgGraph -Environment China');
    expect(china).toContain('Support cases for this tenant go to 21Vianet');
    // the global cloud needs no such step: its tickets are as they were
    const global = toText(renderDraft(v, seen).body);
    expect(global).not.toMatch(/Connect-MgGraph|cloud: connect/);
  });
});
