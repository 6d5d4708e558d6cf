/**
 * Report subjects: "Directory Synchronization Error Report" (and "Identity …"), and the
 * Connect Health digest "We detected synchronization errors in your directory" (a report
 * when it lists objects, real-reports.md §4), with an optional ": <date>" suffix, behind
 * any number of reply/forward prefixes in many languages. A suffix without a digit is no
 * date: "Directory Synchronization Error Report - why do we keep getting these?" is a
 * colleague's question about a report.
 */

/**
 * What mail clients put before a forwarded subject, in their languages: the subject fixtures
 * of crisp-oss/email-forward-parser (FW, WG, TR, RV, I, PD, ENC, VB, VS, VL, İLT, Videresend,
 * Redir) and the prefix lists other mail tools keep (ΠΡΘ, Továbbítás, 转发, 轉寄, TRS, YML).
 * Danish "VS:" forwards; Finnish "VS:" answers: either way it is a prefix.
 */
const FORWARD_PREFIXES = ['fw', 'fwd', 'wg', 'tr', 'trs', 'rv', 'i', 'pd', 'enc', 'vb', 'vs', 'vl', 'fs', 'doorst', 'İlt', 'ilt', 'yml', 'videresend', 'redir', 'πρθ', 'továbbítás', '转发', '轉寄'];
/** What they put before an answered one: RE, AW, SV, Antw, Odp, YNT, R, RIF, ΑΠ, ΣΧΕΤ, Vá, НА, 回复, 回覆. */
const REPLY_PREFIXES = ['re', 'aw', 'sv', 'antw', 'odp', 'ynt', 'r', 'rif', 'ref', 'res', 'atb', 'bls', 'απ', 'σχετ', 'vá', 'на', '回复', '回覆'];

// "Redir.:" ends in a dot; "RE[2]:" counts
const prefixRe = (words: readonly string[]): string => `(?:${words.join('|')})\\.?\\s*(?:\\[\\d+\\])?\\s*[:：]`;
/**
 * What gateways, transport rules and lists write before a subject: a bracketed,
 * parenthesised or braced tag of any words ("[EXTERNAL]", "[IT-alerts]", "[SUSPICIOUS MESSAGE]",
 * "(EXTERNAL)", "{Spam?}"), a starred one ("*EXTERNAL*"), or a gateway word with a colon
 * ("EXTERNAL:", "SPAM:"). A report's own subject starts with none of them, so any is a tag.
 */
const SUBJECT_TAG = String.raw`(?:\[[^\]\r\n]{1,60}\]|\([^)\r\n]{1,40}\)|\{[^}\r\n]{1,40}\}|\*{1,3}[\p{L}\p{N} _-]{1,30}\*{1,3}|(?:external|ext|spam|suspicious|suspected spam|possible spam|bulk|caution|warning|phishing)[ \t]*:)\s*`;
const PREFIX_RE = new RegExp(`^\\s*(?:${prefixRe([...FORWARD_PREFIXES, ...REPLY_PREFIXES])}\\s*|${SUBJECT_TAG})+`, 'iu');
/** A subject a person (or an auto-forward rule) forwarded. */
export const FORWARD_PREFIX_RE = new RegExp(`^\\s*(?:${SUBJECT_TAG})*${prefixRe(FORWARD_PREFIXES)}`, 'iu');
/** A subject of an answer. */
export const REPLY_PREFIX_RE = new RegExp(`^\\s*(?:${SUBJECT_TAG})*${prefixRe(REPLY_PREFIXES)}`, 'iu');
const REPORT_RE =
  /^(?:(?:Microsoft\s+)?(?:Directory|Identity)\s+Synchroni[sz]ation\s+Error\s+Report|We\s+detected\s+synchroni[sz]ation\s+errors\s+in\s+your\s+directory)\b\s*(?:[:\-–—,]\s*(?<date>[^\d]*\d.*))?$/i;

export function stripSubjectPrefixes(subject: string): string {
  return subject.replace(PREFIX_RE, '').replace(/\s+/g, ' ').trim();
}

/** Whether the subject (prefixes stripped) is a report's, and the date suffix if any. */
export function reportSubject(subject: string | null | undefined): { isReport: boolean; date: string | null } {
  if (!subject) return { isReport: false, date: null };
  const m = REPORT_RE.exec(stripSubjectPrefixes(subject));
  return m ? { isReport: true, date: m.groups?.date?.trim() || null } : { isReport: false, date: null };
}

/** Senders Microsoft has used for these reports, per cloud (email-format.md §1.1). */
export const MICROSOFT_SENDERS: readonly string[] = [
  'msonlineservicesteam@microsoftonline.com',
  'msonlineservicesteam@microsoft.com',
  'azure-noreply@microsoft.com',
  'msonlineservicesteam@oe.21vianet.com',
  '21vianetonlineservicesteam@21vianet.com',
  'msonlineservicesteam@azureadnotifications.us',
  'msonlineservicesteam@microsoftonline.us',
];
const SENDER_SET = new Set(MICROSOFT_SENDERS);

export function isMicrosoftSender(address: string | null | undefined): boolean {
  return !!address && SENDER_SET.has(address.trim().toLowerCase());
}

/** Sentences only a report's own text says (a quoted header's "Subject: Directory Synchronization Error Report" is anyone's). */
const REPORT_SENTENCES = String.raw`We\s+detected\s+synchroni[sz]ation\s+errors\s+in\s+your\s+directory|Directory\s+Synchroni[sz]ation\s+batch\s+run|following\s+errors\s+occurred\s+during\s+synchroni[sz]ation`;
export const REPORT_TEXT_RE = new RegExp(REPORT_SENTENCES, 'i');

/**
 * Words only a report's own body uses (a newsletter about sync errors does not say them).
 * The report's name counts only as a title or a header's value, a line of its own
 * ("Subject: Directory Synchronization Error Report: <date>"): a colleague's "in yesterday's
 * Directory Synchronization Error Report I saw…" names a report, it is none.
 */
export const REPORT_TITLE_RE = new RegExp(
  String.raw`^[ \t>*]*(?:[\p{L} ]{1,20}[:：][ \t]*)?(?:Microsoft\s+)?(?:Directory|Identity)\s+Synchroni[sz]ation\s+Error\s+Report[ \t*]*(?:[:\-–—,].*)?$|${REPORT_SENTENCES}`,
  'imu',
);
