import type { Refresh, ReportRef } from '../../schemas/jobs.schema.ts';
import { isCloudOnlyCredentialChange, objectLabel, type SyncError } from '../../schemas/report.schema.ts';
import type { Holder, OnPremHolder, OnPremSide, RecommendedAction, Resolution, Verdict } from '../../schemas/resolution.schema.ts';
import type { ContentBlock, DeskTicket, ProblemScope, TicketDraft } from '../../schemas/ticket.schema.ts';
import { cloudLabel, connectFirst } from '../clouds.ts';
import { adObjectByAnchorCommand, anchorGuid, oneGraphSearch } from '../resolve/powershell.ts';
import { keyDisplay } from './correlation-key.ts';
import { formatCharsShown, lookAlikes, spelledOut } from '../look-alikes.ts';
import { docLink } from './doc-links.ts';
import { problemTitle } from './problem-title.ts';
import { runText } from '../parse/report-ref.ts';

/**
 * Ticket content, desk-neutral (ContentBlocks). Each adapter renders and escapes it in
 * its own markup. The content hash covers only the facts of the problem, never the
 * "seen N times" counters, so a plain repeat never produces a note.
 */

export interface ReportSighting {
  reportId: string;
  subject: string;
  coversAt: string;
}

export interface SeenInfo {
  firstSeen: string;
  lastSeen: string;
  seenCount: number;
  /** The latest reports it was in, newest last (capped). */
  reports: ReportSighting[];
}

/** One problem of one report: its first error with that key and its resolution (Graph, snapshot or AD). */
export interface ProblemView {
  key: string;
  report: ReportRef;
  error: SyncError;
  resolution: Resolution | undefined;
}

const VERDICT_TEXT: Record<Verdict, string> = {
  'cloud-only-holder': 'A cloud-only object holds the value: fix it in Microsoft 365 (change or remove the value there).',
  'synced-holder': 'An object synced from on-premises AD holds the value: the duplicate lives in on-premises AD, fix it there.',
  'onprem-duplicate': 'Another object in on-premises AD holds the value: the duplicate lives in AD, fix it there (the objects are named by DN below).',
  'soft-deleted-holder': 'A soft-deleted object holds the value: hard-delete it (or restore it if it is still needed).',
  'same-object': 'The value is held by the reported object itself (its cloud object is already matched to it): nothing else holds it, so the conflict is gone or was with an object since removed.',
  'holder-sync-unknown': 'An object holds the value, but the export the directory snapshot came from does not say whether it is synced from on-premises AD or cloud-only: read that first (the step that reads its OnPremisesSyncEnabled), then follow the steps for what it is.',
  'no-holder': 'Nobody holds the value any more, as far as Graph can see: the next sync cycle should succeed (the note below says what could not be searched).',
  'holder-unknown': 'No holder found, but what was searched cannot show every object that could hold this value (the note below says what is missing): run the searches below before concluding anything.',
  'not-applicable': 'This error names no conflicting value: follow the steps below.',
  unresolved: 'Not looked up in Microsoft Graph.',
};

/** The tenant as titles name it: as the configuration knows it, else as the report states it. */
export function tenantLabel(report: ReportRef): string {
  return report.tenantName ?? report.tenant.name ?? report.tenant.domain ?? report.tenant.id ?? report.tenantKey;
}

/** The tenant's row: its name, domain and id, and the report's own name for it where that differs from the configuration's. */
function tenantRow(report: ReportRef): string {
  const { tenant, tenantName } = report;
  const named = [tenantName ?? tenant.name, tenant.domain, tenant.id].filter(Boolean).join(' / ') || report.tenantKey;
  const stated = tenantName && tenant.name && tenant.name.trim().toLowerCase() !== tenantName.trim().toLowerCase();
  const cloud = report.cloud ? `, in the ${cloudLabel(report.cloud)} cloud` : '';
  return `${stated ? `${named} (the report names it "${tenant.name}")` : named}${cloud}`;
}

function holderKind(h: Holder): string {
  if (h.syncStateUnknown) return 'synced or cloud-only: not known';
  if (h.onPremisesSyncEnabled === true) return 'synced';
  if (h.onPremisesSyncEnabled === false) return 'formerly synced, now cloud-mastered';
  return 'cloud-only';
}

function holderShort(h: Holder): string {
  const kind = h.deleted ? 'deleted ' : h.syncStateUnknown ? '' : h.onPremisesSyncEnabled === true ? 'synced ' : h.onPremisesSyncEnabled === false ? 'formerly synced ' : 'cloud-only ';
  const name = h.displayName ?? h.userPrincipalName ?? h.mail ?? h.id;
  return `${kind}${h.type === 'unknown' ? 'object' : h.type} ${name}`;
}

const GROUP_KIND = { microsoft365: 'Microsoft 365 group', 'mail-enabled security': 'mail-enabled security group', distribution: 'distribution group', security: 'security group' } as const;

function holderLine(h: Holder): string {
  const name = h.displayName ?? '(no display name)';
  const ids = [h.userPrincipalName, h.mail && h.mail !== h.userPrincipalName ? h.mail : null].filter(Boolean).join(', ');
  const type = h.type === 'group' && h.groupKind ? GROUP_KIND[h.groupKind] : h.type === 'user' && h.recipientTypeDetails ? `user (${h.recipientTypeDetails})` : h.type;
  const parts = [`${type} ${name}${ids ? ` (${ids})` : ''}`, holderKind(h)];
  if (h.accountEnabled === false && !h.recipientTypeDetails) parts.push('sign-in blocked (as for a shared or resource mailbox, or a disabled account)');
  if (h.onPremisesSyncEnabled === false && h.onPremisesImmutableId) parts.push(`still carries the anchor (ImmutableId) ${h.onPremisesImmutableId} of the object it was synced from`);
  if (h.deleted) parts.push('deleted (in the recycle bin)');
  if (h.onPremisesDistinguishedName) parts.push(`on-premises DN ${h.onPremisesDistinguishedName}`);
  else if (h.onPremisesSecurityIdentifier) parts.push(`on-premises SID ${h.onPremisesSecurityIdentifier}${h.onPremisesDomainName ? ` in ${h.onPremisesDomainName}` : ''}`);
  if (h.matched.length) parts.push(`holds ${h.matched.map((m) => `${m.attribute} ${m.value}`).join(', ')}`);
  parts.push(`object id ${h.id}`);
  return parts.join(' — ');
}

/**
 * The smallest subject limit among the desks (ServiceNow short_description, 160): a summary
 * that fits keeps its tail (holder, tenant) in every desk instead of losing it to a cut.
 */
const SUMMARY_FIT = 160;
/** A tenant-level error has only its text to show: its first sentence, at most this long. */
const MESSAGE_SUBJECT_MAX = 80;

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, Math.max(1, max - 1))}…` : text;
}

/** "Error 016: Synchronization has been stopped. This company …" → "Error 016: Synchronization has been stopped." */
function firstSentence(message: string): string {
  const flat = message.replace(/\s+/g, ' ').trim();
  const m = /^.*?[.!?](?=\s|$)/.exec(flat);
  return clip(m ? m[0] : flat, MESSAGE_SUBJECT_MAX);
}

/** "[Duplicate UserPrincipalName] john@contoso.com — held by cloud-only user John Smith — tenant contoso" */
export function renderSummary(view: ProblemView): string {
  const { error, resolution } = view;
  const value = error.attributes.find((a) => a.value)?.value ?? null;
  let subject = value ?? error.identity ?? firstSentence(error.message);
  if (value && error.identity && normal(value) !== normal(error.identity)) subject += ` on ${error.identity}`;
  const tail: string[] = [];
  const v = resolution?.verdict;
  if (resolution && resolution.holders.length && (v === 'cloud-only-holder' || v === 'synced-holder' || v === 'soft-deleted-holder' || v === 'holder-sync-unknown')) {
    const first = verdictHolder(resolution.holders, v, error);
    const more = resolution.holders.length > 1 ? ` (+${resolution.holders.length - 1})` : '';
    tail.push(`held by ${holderShort(first)}${more}`);
  } else if (v === 'onprem-duplicate' && resolution?.onPremises?.holders.length) {
    const ad = resolution.onPremises.holders;
    tail.push(`held by on-premises ${ad[0]!.kind} ${rdnValue(ad[0]!.dn)}${ad.length > 1 ? ` (+${ad.length - 1})` : ''}`);
  } else if (v === 'same-object') tail.push('held by the object itself');
  else if (v === 'no-holder') tail.push('no current holder');
  else if (v === 'holder-unknown') tail.push('holder not known');
  tail.push(`tenant ${tenantLabel(view.report)}`);
  // an invisible character as its code: a bidi override would make a queue list show "Evepdf.exe"
  const oneLine = (s: string) => formatCharsShown(s).replace(/\s+/g, ' ');
  const head = oneLine(`[${problemTitle(error)}] ${subject}`);
  const rest = oneLine(tail.map((t) => ` — ${t}`).join(''));
  // a long value gives way first, so the holder and the tenant stay readable in every desk
  const line = head.length + rest.length > SUMMARY_FIT ? `${clip(head, Math.max(40, SUMMARY_FIT - rest.length))}${rest}` : head + rest;
  return clip(line, 255);
}

/** The holder the verdict is about (a report's other values may have found holders of other kinds too). */
function verdictHolder(holders: Holder[], verdict: Verdict, error: SyncError): Holder {
  const self = error.onPremisesObjectId?.trim().toLowerCase();
  const kind: Record<string, (h: Holder) => boolean> = {
    'cloud-only-holder': (h) => !h.deleted && h.onPremisesSyncEnabled !== true,
    'synced-holder': (h) => !h.deleted && h.onPremisesSyncEnabled === true && (!self || h.onPremisesImmutableId?.toLowerCase() !== self),
    'soft-deleted-holder': (h) => h.deleted,
    'holder-sync-unknown': (h) => !h.deleted && !!h.syncStateUnknown,
  };
  return holders.find(kind[verdict] ?? (() => true)) ?? holders[0]!;
}

/** `CN=Smith\\, John,OU=Users,…` → `Smith, John`. */
function rdnValue(dn: string): string {
  const m = /^[^=]+=((?:\\.|[^,\\])*)/.exec(dn);
  return m ? m[1]!.replace(/\\(.)/g, '$1') : dn;
}

function onPremHolderLine(h: OnPremHolder): string {
  const holds = h.matched.length ? ` — holds ${h.matched.map((m) => `${m.attribute} ${m.value}`).join(', ')}` : '';
  return `${h.kind} ${h.dn}${h.disabled ? ' (account disabled)' : ''}${holds}`;
}

/** The on-premises side: the failing object with its DN and values, every other AD holder by DN, or why it is missing. */
function onPremBlocks(side: OnPremSide): ContentBlock[] {
  const blocks: ContentBlock[] = [{ kind: 'heading', text: 'On-premises AD' }];
  if (side.status === 'unavailable') {
    blocks.push({ kind: 'paragraph', text: `The on-premises side is missing: ${side.note ?? 'AD could not be read'}. Everything else on this ticket comes from Entra ID; the next report reads AD again.` });
    return blocks;
  }
  const o = side.object;
  if (o) {
    const rows: Array<[string, string]> = [['DN', o.dn], ['Object class', o.disabled ? `${o.kind} (account disabled)` : o.kind], ['objectGUID', o.objectGuid]];
    if (o.sourceAnchor && o.sourceAnchor !== o.objectGuid) rows.push(['Source anchor', o.sourceAnchor]);
    rows.push(['userPrincipalName', o.userPrincipalName ?? '(none)'], ['mail', o.mail ?? '(none)'], ['proxyAddresses', o.proxyAddresses.join(', ') || '(none)']);
    if (o.sipAddress) rows.push(['msRTCSIP-PrimaryUserAddress', o.sipAddress]);
    if (o.whenChanged) rows.push(['whenChanged', o.whenChanged]);
    blocks.push({ kind: 'paragraph', text: 'The failing object:' }, { kind: 'fields', rows });
  }
  if (side.note) blocks.push({ kind: 'paragraph', text: side.note });
  if (side.candidates.length) blocks.push({ kind: 'list', items: side.candidates });
  if (side.holders.length) blocks.push({ kind: 'paragraph', text: 'Other objects in AD holding its values:' }, { kind: 'list', items: side.holders.map(onPremHolderLine) });
  else if (side.searched.length) blocks.push({ kind: 'paragraph', text: `No other object in AD${side.base ? ` under ${side.base}` : ''} holds ${side.searched.join(', ')}${side.base ? ' (objects outside it were not searched)' : ''}.` });
  return blocks;
}

function normal(s: string): string {
  return s.trim().toLowerCase().replace(/^smtp:/, '');
}

/** The blocks that describe the problem itself: error, object, holders, verdict, steps. */
function factBlocks(view: ProblemView): ContentBlock[] {
  const { error, resolution, report } = view;
  const rows: Array<[string, string]> = [['Category', error.category]];
  if (error.errorCode) rows.push(['Error code', error.errorCode]);
  for (const a of error.attributes) rows.push([`Attribute ${a.name}`, a.value ?? '(no value in the report)']);
  rows.push(['Object', objectLabel(error)]);
  if (error.objectType) rows.push(['Object type', error.objectType]);
  rows.push(['On-premises object id', error.onPremisesObjectId ?? '(not in the report)']);
  rows.push(['Tenant', tenantRow(report)]);
  const blocks: ContentBlock[] = [
    // the report's words, not ours: whoever can write a value or a mail can write this text
    { kind: 'heading', text: 'Error, as the report states it' },
    { kind: 'paragraph', text: error.message },
    { kind: 'fields', rows },
    ...lookAlikeWarnings(error, resolution),
  ];
  // no holder to speak of for a tenant-level error or one that names no value (quota, size)
  if (resolution?.verdict !== 'not-applicable' && !isTenantLevel(error)) {
    blocks.push({ kind: 'heading', text: resolution?.onPremises ? 'Who holds the value in Entra ID' : 'Who holds the value' });
    blocks.push(holderBlock(resolution));
  }
  if (resolution?.onPremises) blocks.push(...onPremBlocks(resolution.onPremises));
  // an error that names no value: its note says what is wrong, a line saying so would be noise
  const noteIsVerdict = resolution?.verdict === 'not-applicable' && !!resolution.note;
  blocks.push({ kind: 'heading', text: 'Verdict' }, { kind: 'paragraph', text: noteIsVerdict ? resolution.note! : verdictText(resolution, error) });
  if (resolution?.note && !noteIsVerdict) blocks.push({ kind: 'paragraph', text: resolution.note });
  const steps = [...anchorSteps(view), ...mergedSteps(resolution?.actions ?? [])];
  if (steps.length && report.cloud) steps.unshift(connectFirst(report.cloud, report.tenant.id ?? report.tenant.domain));
  if (steps.length) {
    blocks.push({ kind: 'heading', text: 'Recommended steps' });
    steps.forEach((a, i) => {
      blocks.push({ kind: 'paragraph', text: `${i + 1}. ${a.step}` });
      if (a.command) blocks.push({ kind: 'code', text: a.command });
    });
  }
  blocks.push({ kind: 'paragraph', text: `Microsoft's documentation of this error: ${docLink(error)}` });
  if (error.valueQuarantined) blocks.push({ kind: 'paragraph', text: QUARANTINE_STAYS_OPEN });
  return blocks;
}

/** The verdict in a sentence; a holder synced once and now cloud-mastered is not called cloud-only. */
function verdictText(resolution: Resolution | undefined, error: SyncError): string {
  const verdict = resolution?.verdict ?? 'unresolved';
  if (verdict === 'cloud-only-holder' && resolution!.holders.length && verdictHolder(resolution!.holders, verdict, error).onPremisesSyncEnabled === false) {
    return 'An object synced from on-premises AD once, and mastered in the cloud since, holds the value: sync no longer manages it, so fix it in Microsoft 365 (change or remove the value there), or take it over from AD as the steps say.';
  }
  return VERDICT_TEXT[verdict];
}

/** An error that names neither an object nor a value: about the whole tenant (quota, sync stopped). */
function isTenantLevel(error: SyncError): boolean {
  return error.identity === null && error.onPremisesObjectId === null && !error.attributes.some((a) => a.value);
}

/**
 * Who holds the value, saying "nobody" only when somebody looked: an unasked directory is
 * not an empty one. The resolver marks an on-premises duplicate whose cloud side was not
 * looked up with a note `Entra ID: <why>` (src/resolve/verdict.ts).
 */
/** A paragraph per value or name that holds characters not shown as what they are (look-alikes.ts). */
function lookAlikeWarnings(error: SyncError, resolution: Resolution | undefined): ContentBlock[] {
  const shown = [error.identity, ...error.attributes.map((a) => a.value), ...(resolution?.holders ?? []).flatMap((h) => [h.displayName, h.userPrincipalName, h.mail])];
  return [...new Set(shown.filter((v): v is string => !!v))].flatMap((value) => {
    const found = lookAlikes(value);
    if (!found.length) return [];
    const text = `Look closely: ${spelledOut(value)} holds characters a screen does not show as what they are: ${found.join(', ')}. It may read as another value; the commands use it as it is (an invisible character written as its code, [char]0x…). Compare it character by character before changing anything.`;
    return [{ kind: 'paragraph' as const, text }];
  });
}

function holderBlock(resolution: Resolution | undefined): ContentBlock {
  if (!resolution) return { kind: 'paragraph', text: 'Not looked up: no lookup result reached the ticket.' };
  if (resolution.verdict === 'unresolved') return { kind: 'paragraph', text: 'Not looked up (see below why); the steps below search for it.' };
  if (resolution.holders.length) return { kind: 'list', items: resolution.holders.map(holderLine) };
  if (resolution.verdict === 'onprem-duplicate' && resolution.note?.startsWith('Entra ID: ')) {
    return { kind: 'paragraph', text: 'Not looked up in Entra ID (see the note below why).' };
  }
  return { kind: 'paragraph', text: resolution.verdict === 'onprem-duplicate' ? 'No object found in Entra ID holding the value.' : 'No object found holding the value.' };
}

/** First step when the report carries the object's source anchor and AD was not read: open it on-premises. */
function anchorSteps(view: ProblemView): RecommendedAction[] {
  const anchor = view.error.onPremisesObjectId;
  if (!anchor || view.resolution?.onPremises?.object) return [];
  const deleted = view.error.category === 'DeletingCloudOnlyObject' && !isCloudOnlyCredentialChange(view.error);
  const command = adObjectByAnchorCommand(anchor, deleted);
  if (!command) return [];
  const where = deleted ? ' (among deleted objects too: sync was deleting it)' : '';
  return [{ step: `Open the on-premises object from its source anchor ${anchor} (GUID ${anchorGuid(anchor)}): it is the object with that objectGUID or ms-DS-ConsistencyGuid${where}. Run it in the object's domain.`, command }];
}

/**
 * Consecutive steps saying the same thing are one step. The per-type searches the resolver
 * writes for one value (Get-MgUser, Get-MgGroup, Get-MgContact) become one command that
 * searches every type; anything else keeps its commands, one per line.
 */
export function mergedSteps(actions: RecommendedAction[]): RecommendedAction[] {
  const out: Array<{ step: string; commands: string[] }> = [];
  for (const a of actions) {
    const last = out.at(-1);
    if (last && last.step === a.step && a.command && last.commands.length) last.commands.push(a.command);
    else out.push({ step: a.step, commands: a.command ? [a.command] : [] });
  }
  return out.map(({ step, commands }) => ({ step, command: commands.length ? (oneGraphSearch(commands) ?? commands.join('\n')) : null }));
}

/**
 * What a problem stops: the whole tenant's sync (quota exceeded, synchronization stopped,
 * any error that names no object nor value), or one object. Desks map it to their priority
 * through the configuration (TICKET_PRIORITY_TENANT, TICKET_PRIORITY_OBJECT).
 */
export function problemScope(error: SyncError): ProblemScope {
  if (error.category === 'QuotaExceeded') return 'tenant';
  if (/synchroni[sz]ation (?:has been|was|is) stopped/i.test(error.message)) return 'tenant';
  return isTenantLevel(error) ? 'tenant' : 'object';
}

/**
 * Microsoft lists a value set aside once, when it sets it aside (duplicate attribute
 * resiliency): later reports that lack it say nothing of it, so such a ticket is never
 * resolved for missing from them (apply-report.ts).
 */
const QUARANTINE_STAYS_OPEN =
  'Microsoft reports a value set aside only once, when it sets it aside: later reports will not list it again, so syncdesk does not resolve this ticket when they lack it. Resolve it once the value is applied (the step that reads its provisioning errors shows whether it still waits).';

/**
 * The sightings as of this entry: a report that lists the problem unchanged adds nothing to the
 * ticket (a note per problem per daily report would bury the desk), so the entry says so rather
 * than pass its counts off as current.
 */
function seenBlocks(seen: SeenInfo): ContentBlock[] {
  return [
    { kind: 'heading', text: 'Seen in reports (as of this entry)' },
    {
      kind: 'paragraph',
      text: 'syncdesk writes to this ticket when the problem changes, is resolved or comes back; a later report that lists it unchanged adds nothing here.',
    },
    seenFields(seen),
    { kind: 'list', items: seen.reports.map((r) => `${r.subject} — covers ${runText(r.coversAt)} — ${r.reportId}`) },
  ];
}

function seenFields(seen: SeenInfo): ContentBlock {
  return { kind: 'fields', rows: [['First seen', runText(seen.firstSeen)], ['Last seen', runText(seen.lastSeen)], ['Times seen', String(seen.seenCount)]] };
}

/**
 * `newerRun`: the sync run of the newest report applied for the tenant, when this draft comes
 * from an older one (a replay of an older archive after a newer one): that report did not
 * list the problem, which may be fixed already.
 */
export function renderDraft(view: ProblemView, seen: SeenInfo, followUp?: FollowUp, newerRun?: string): TicketDraft {
  const body: ContentBlock[] = [];
  if (newerRun) {
    body.push({
      kind: 'paragraph',
      text: `Made from a report older than the newest one applied for this tenant (it covers ${runText(view.report.coversAt)}; the newest covers ${newerRun}), which did not list this problem: it may be fixed already. Check before working on it.`,
    });
  }
  if (followUp) body.push({ kind: 'paragraph', text: followUpText(followUp) });
  body.push(...factBlocks(view), ...seenBlocks(seen));
  return { key: view.key, summary: renderSummary(view), body, keyDisplay: keyDisplay(view.error), scope: problemScope(view.error), ...mailOf(view.report) };
}

/**
 * The ticket a new one follows, and why: it `continues` the object's open ticket (other values
 * now); the problem is `back` after its ticket was resolved or closed; the ticket was closed in
 * the desk while reports still listed the problem (`closed-while-listed`); or it is `gone` from
 * the desk (deleted, moved away).
 */
export interface FollowUp {
  ticket: DeskTicket;
  why: 'continues' | 'back' | 'closed-while-listed' | 'gone';
}

function followUpText({ ticket, why }: FollowUp): string {
  const name = shownName(ticket);
  switch (why) {
    case 'continues':
      return `Continues ticket ${name}: the report lists this object's conflict with other values now (or values syncdesk reads otherwise since an upgrade); that ticket is resolved in favour of this one.`;
    case 'back':
      return `Follow-up of ticket ${name} (${ticket.status}): the problem came back.`;
    case 'closed-while-listed':
      return `Follow-up of ticket ${name}, ${ticket.status} in the desk while the reports still listed the problem, which this report lists too.`;
    case 'gone':
      return `Follows ticket ${name}, which is no longer in the desk (deleted, or moved where syncdesk cannot find it): the report lists the problem.`;
  }
}

/** A ticket as its desk shows it to agents (a Jira issue id or a ServiceNow sys_id means nothing to them). */
function shownName(t: DeskTicket): string {
  return t.name ?? t.id;
}

function reportLine(report: ReportRef): string {
  return `report "${report.subject}" (covers ${runText(report.coversAt)}, id ${report.reportId})`;
}

/** `refresh`: the same report looked up again (`failed retry`, `replay --force`), not a new report. */
export function changedNote(view: ProblemView, seen: SeenInfo, refresh?: Refresh): ContentBlock[] {
  const why =
    refresh === 'relookup'
      ? `Looked up again for ${reportLine(view.report)}, after the first lookup failed`
      : refresh === 'forced'
        ? `Looked up again for ${reportLine(view.report)}, run again by an admin`
        : `The problem changed in ${reportLine(view.report)}`;
  return [
    { kind: 'paragraph', text: `${why}. Current state:` },
    ...factBlocks(view),
    ...seenBlocks(seen),
  ];
}

/**
 * `resolved`: when syncdesk resolved it, the run of the report that no longer listed it (report
 * time, as the reopen window counts it); else when the desk says it was resolved.
 */
export function reopenNote(view: ProblemView, seen: SeenInfo, resolved: { byReportCovering: string | null; at: string | null }, sameFacts = false): ContentBlock[] {
  const since = resolved.byReportCovering
    ? ` after syncdesk resolved it when the report covering ${resolved.byReportCovering} no longer listed it`
    : resolved.at
      ? ` after it was resolved in the desk on ${resolved.at}`
      : '';
  const reopened: ContentBlock = { kind: 'paragraph', text: `Reopened: the problem reappeared in ${reportLine(view.report)}${since}.` };
  // a problem that comes and goes every other run would otherwise add the whole ticket each time
  // (103 copies, 793 KB, in eight months): the facts are said again only when they changed
  if (sameFacts) {
    return [
      reopened,
      { kind: 'paragraph', text: 'Nothing about it changed since this ticket last stated it: the error, who holds the value, the verdict and the steps above still hold.' },
      seenFields(seen),
    ];
  }
  return [reopened, ...factBlocks(view), ...seenBlocks(seen)];
}

/** The note that resolves a ticket its family's new one continues (the object's values changed). */
export function continuedNote(view: ProblemView, next: DeskTicket): ContentBlock[] {
  const values = view.error.attributes.filter((a) => a.value).map((a) => `${a.name} ${a.value}`).join(', ');
  return [{ kind: 'paragraph', text: `Continued in ticket ${shownName(next)}: ${reportLine(view.report)} lists this object's conflict with other values (${values}), or values syncdesk reads otherwise since an upgrade. Resolved in favour of that ticket.` }];
}

export function resolveNote(report: ReportRef, missed: number, reopenWithinDays: number): ContentBlock[] {
  return [
    {
      kind: 'paragraph',
      text:
        `Resolved automatically: the problem was absent from the last ${missed} report(s) of tenant ${tenantLabel(report)} ` +
        `(latest: ${reportLine(report)}). It is reopened if it comes back within ${reopenWithinDays} days.`,
    },
  ];
}

/**
 * A note about one problem on a ticket an agent merged syncdesk's ticket into (DeskTicket's
 * mergedFrom): the ticket is about more than the problem, so the note names it first.
 */
export function mergedNote(summary: string, mergedFrom: string, note: ContentBlock[]): ContentBlock[] {
  return [{ kind: 'paragraph', text: `About ${summary} (ticket ${mergedFrom}, which syncdesk made for it and an agent merged into this one):` }, ...note];
}

/** The problem of a merged ticket (mergedNote) is gone: said, and the ticket's status left to its agent. */
export function goneNote(report: ReportRef, missed: number): ContentBlock[] {
  return [
    {
      kind: 'paragraph',
      text:
        `It was absent from the last ${missed} report(s) of tenant ${tenantLabel(report)} (latest: ${reportLine(report)}). ` +
        'This ticket holds more than this problem: its status is left to you.',
    },
  ];
}

/** The problem of a merged ticket, gone before (goneNote), is listed again: said, with its facts as they are now. */
export function backNote(view: ProblemView, seen: SeenInfo): ContentBlock[] {
  return [{ kind: 'paragraph', text: `It is listed again in ${reportLine(view.report)}. Current state:` }, ...factBlocks(view), ...seenBlocks(seen)];
}

/** The one ticket of a report in digest mode: every problem, with its summary and facts. */
export function renderDigest(key: string, report: ReportRef, views: ProblemView[]): TicketDraft {
  const summary = `[Directory sync report] ${views.length} problem(s) — tenant ${tenantLabel(report)} — covers ${runText(report.coversAt)}`;
  const body: ContentBlock[] = [
    { kind: 'paragraph', text: `Problems in ${reportLine(report)}:` },
    { kind: 'list', items: views.map(renderSummary) },
  ];
  for (const view of views) body.push({ kind: 'heading', text: renderSummary(view) }, ...factBlocks(view).slice(1));
  const scope: ProblemScope = views.some((v) => problemScope(v.error) === 'tenant') ? 'tenant' : 'object';
  return { key, summary: summary.slice(0, 255), body, keyDisplay: `digest ${report.reportId}`.slice(0, 100), scope, ...mailOf(report) };
}

/** The report's mail, for desks that attach it (or name where it is kept); none for a Graph poll. */
function mailOf(report: ReportRef): Pick<TicketDraft, 'mailId'> {
  return report.mailId ? { mailId: report.mailId } : {};
}
