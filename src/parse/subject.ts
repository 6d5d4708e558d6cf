/**
 * Report subjects: "Directory Synchronization Error Report" (and "Identity …"), and the
 * Connect Health digest "We detected synchronization errors in your directory" (a report
 * when it lists objects, real-reports.md §4), with an optional ": <date>" suffix, behind
 * any number of reply/forward prefixes in many languages.
 */

const PREFIX_RE = /^\s*(?:(?:re|fw|fwd|wg|tr|rv|aw|sv|vs|vb|enc|fs|antw|doorst|ynt|odp|pd|r|i)\s*(?:\[\d+\])?\s*[:：]\s*|\[(?:external|ext)\]\s*)+/i;
const REPORT_RE =
  /^(?:(?:Microsoft\s+)?(?:Directory|Identity)\s+Synchroni[sz]ation\s+Error\s+Report|We\s+detected\s+synchroni[sz]ation\s+errors\s+in\s+your\s+directory)\b\s*(?:[:\-–—,]\s*(?<date>.*))?$/i;

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

/** Words only a report's own body uses (a newsletter about sync errors does not say them). */
export const REPORT_TITLE_RE =
  /(?:Directory|Identity)\s+Synchroni[sz]ation\s+Error\s+Report|We\s+detected\s+synchroni[sz]ation\s+errors\s+in\s+your\s+directory|Directory\s+Synchroni[sz]ation\s+batch\s+run|following\s+errors\s+occurred\s+during\s+synchroni[sz]ation/i;
