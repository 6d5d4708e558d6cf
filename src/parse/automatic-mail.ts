import type { MailDocument } from './mail-tree.ts';
import { FORWARD_PREFIX_RE, isMicrosoftSender, REPLY_PREFIX_RE, reportSubject } from './subject.ts';

/**
 * Mail that must not become a report even when it quotes one: automatic replies (an
 * out-of-office answer to a report quotes all of it), list and bulk mail (newsletters quote
 * Microsoft's example errors), and Connect Health alerts that name no object. Each check
 * gives the reason the admin reads in the rejection, or null.
 */

/** "Automatic reply:" and its translations, as Outlook, Exchange and common clients write them. */
const AUTO_REPLY_SUBJECT_RE = new RegExp(
  '^\\s*(?:' +
    [
      'automatic reply',
      'auto(?:matic)?[ -]?reply',
      'auto[ -]?response',
      'out of (?:the )?office(?: autoreply)?',
      'abwesenheitsnotiz',
      'automatische antwort',
      'réponse automatique',
      'absence du bureau',
      'respuesta automática',
      'fuera de la oficina',
      'risposta automatica',
      'automatisch antwoord',
      'resposta automática',
      'automatiskt svar',
      'automatisk svar',
      'automaattinen vastaus',
      'automatyczna odpowiedź',
      '自動応答',
      '自动回复',
      '不在',
    ].join('|') +
    ')\\s*[:：]',
  'iu',
);

/** Connect Health and sync-health notices: same sender as the digest, but they name no object. */
const HEALTH_NOTICE_RE =
  /you have an? (?:important |critical )?alert from (?:azure active directory|microsoft entra)|health service data is not up to date|your identity synchronization from on-premises is unhealthy|(?:azure ad|microsoft entra) connect health/i;

const first = (doc: MailDocument, name: string): string | null => doc.headers.get(name)?.[0] ?? null;

/** The reason this mail is an automatic reply, or null. */
function automaticReplyReason(doc: MailDocument): string | null {
  const subject = doc.subject ?? '';
  const autoSubmitted = first(doc, 'auto-submitted')?.toLowerCase().split(/[\s;]/)[0] ?? null;
  if (AUTO_REPLY_SUBJECT_RE.test(subject)) return `an automatic reply (subject "${subject.slice(0, 80)}")`;
  if (autoSubmitted === 'auto-replied') return 'an automatic reply (Auto-Submitted: auto-replied)';
  for (const name of ['x-autoreply', 'x-autorespond', 'x-autoresponder']) {
    const value = first(doc, name);
    if (value !== null && !/^(?:no|false|0)$/i.test(value)) return `an automatic reply (${name}: ${value.slice(0, 40)})`;
  }
  if (/^auto[_-]?reply$/i.test(first(doc, 'precedence') ?? '')) return 'an automatic reply (Precedence: auto_reply)';
  // RFC 3834 "auto-generated" also fits Microsoft's own report, an admin's auto-forward rule
  // (which writes "FW:") and a relay that passes the report on under its own subject, so it
  // rejects only mail that is none of them (a desk's acknowledgement: "[Desk] Re: FW: …").
  const relayed = FORWARD_PREFIX_RE.test(subject) || (reportSubject(subject).isReport && !REPLY_PREFIX_RE.test(subject));
  if (autoSubmitted && autoSubmitted !== 'no' && autoSubmitted !== 'auto-forwarded' && !isMicrosoftSender(doc.from) && !relayed) {
    return `an automatic mail (Auto-Submitted: ${autoSubmitted})`;
  }
  // Exchange stamps X-Auto-Response-Suppress on many ordinary mails: only with a reply sign.
  if (first(doc, 'x-auto-response-suppress') !== null && first(doc, 'in-reply-to') !== null && !FORWARD_PREFIX_RE.test(subject) && !isMicrosoftSender(doc.from)) {
    return 'an automatic reply (X-Auto-Response-Suppress on a reply)';
  }
  return null;
}

/**
 * The reason this mail is list or bulk mail, or null. A report relayed by a distribution
 * list (Google Groups adds List-Id) keeps its report subject, original or forwarded: that
 * one still counts.
 */
export function bulkMailReason(doc: MailDocument): string | null {
  const precedence = first(doc, 'precedence')?.toLowerCase() ?? '';
  const sign =
    (doc.headers.has('list-unsubscribe') && 'List-Unsubscribe') ||
    (doc.headers.has('list-id') && 'List-Id') ||
    (/^(?:bulk|list|junk)\b/.test(precedence) && `Precedence: ${precedence}`) ||
    null;
  if (!sign) return null;
  const subject = withoutListTag(doc.subject, first(doc, 'list-id'));
  // a tag other than the list's own (a desk's "[Ticket#…]") or a gateway's: mail about a report, relayed in bulk
  const relayedReport = reportSubject(subject).isReport && !REPLY_PREFIX_RE.test(subject) && !FOREIGN_TAG_RE.test(subject);
  return relayedReport ? null : `list or bulk mail (${sign})`;
}

const FOREIGN_TAG_RE = /^\s*\[(?!(?:external|ext)\])/i;

/**
 * The subject without the tag a list puts before it: Mailman's subject_prefix "[It-alerts] "
 * (or "[It-alerts 123] " with a post number) names the list its List-Id names ("IT alerts
 * <it-alerts.lists.example.com>"). Only the list's own name is a tag: "[Ticket#123]" before a
 * report's name is a desk's, not a relay's.
 */
function withoutListTag(subject: string, listId: string | null): string {
  const id = /<([^.>]+)/.exec(listId ?? '')?.[1]?.toLowerCase();
  const tag = /^\s*\[([^\]]{1,64})\]\s*/.exec(subject);
  const name = tag?.[1]!.trim().toLowerCase().replace(/\s+/g, '-');
  return id && name && (name === id || name.startsWith(`${id}-`)) ? subject.slice(tag![0].length) : subject;
}

/** The reason the subject names a health alert or notice rather than an error report, or null. */
export function healthNoticeReason(subject: string | null | undefined): string | null {
  return subject && HEALTH_NOTICE_RE.test(subject) ? `a health alert or notice, not an error report (subject "${subject.slice(0, 80)}")` : null;
}

/** Why the outer mail is not a report whatever it quotes, or null when it may be one. */
export function notAReportReason(doc: MailDocument): string | null {
  return automaticReplyReason(doc) ?? bulkMailReason(doc);
}
