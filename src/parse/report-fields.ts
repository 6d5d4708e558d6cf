import type { Tenant } from '../../schemas/report.schema.ts';
import { parseLooseDate } from './dates.ts';
import { unwrapProtectedLinks } from './protected-links.ts';

/**
 * Report-level facts: the tenant, the time of the sync run the report covers, and its
 * tracking id. Old DirSync reports state them in sentences ("…batch run was completed on
 * Tuesday, 03 January 2012 23:54:02 GMT for tenant Fabrikam, Inc.."); newer layouts may
 * use labelled fields, so both are read.
 */
export interface ReportFields {
  tenant: Tenant;
  /** Whether a sentence or a label of the text states the tenant (not only an onmicrosoft.com address somewhere in it). */
  tenantStated: boolean;
  reportedAt: string | null;
  trackingId: string | null;
}

const GUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
const TRACKING_LINE_RE = new RegExp(`(?:^|\\n)Tracking\\s+I[Dd]\\s*:?\\s*(${GUID})`);
// DirSync era: "…for tenant Fabrikam, Inc.."; Azure AD era: "…for directory broadarc [broadarc.onmicrosoft.com].",
// where the stop comes after the domain, so a name's own dot ("A.Ş. [x.onmicrosoft.com]") is the name's;
// the sentence's stop is no initial's dot ("for tenant A. Datum Corporation.", "A.B. Dick Company.")
const TENANT_NAME = '([^\\[\\n]{1,120}?\\s\\[(?:https?://)?[a-z0-9][a-z0-9.-]*/?\\]|.+?(?<!(?:^|[\\s.])[A-Z]))\\.(?=\\s|$)';
const BATCH_RE = new RegExp(`batch\\s+run\\s+was\\s+completed\\s+on\\s+(.{6,80}?)\\s+for\\s+(?:the\\s+)?(?:tenant|directory)\\s+${TENANT_NAME}`, 'is');
const TENANT_SENTENCE_RE = new RegExp(`\\bfor\\s+(?:the\\s+)?(?:tenant|directory)\\s+${TENANT_NAME}|\\bin\\s+your\\s+directory\\s+(\\S{1,60}\\s+\\[[a-z0-9.-]+\\])`, 'is');
/** "broadarc [broadarc.onmicrosoft.com]": the name, then the initial domain in brackets. */
// (a gateway that made the domain a link gave it a scheme: protected-links.ts)
const NAME_AND_DOMAIN_RE = /^(.*?)\s*\[(?:https?:\/\/)?([a-z0-9][a-z0-9.-]*\.[a-z]{2,})\/?\]$/i;
const LABELS: [RegExp, 'name' | 'id' | 'domain' | 'reportedAt'][] = [
  [/^(?:tenant|tenant\s+name|company|company\s+name|organi[sz]ation|organi[sz]ation\s+name|directory\s+name)\s*:\s*(.+)$/i, 'name'],
  [new RegExp(`^(?:tenant|company|directory|organi[sz]ation)\\s+id\\s*:\\s*(${GUID})`, 'i'), 'id'],
  [/^(?:tenant\s+domain|initial\s+domain|domain)\s*:\s*(\S+)$/i, 'domain'],
  [/^(?:report(?:ing)?\s+(?:date|period|time)|sync(?:hroni[sz]ation)?\s+(?:run|time|cycle)|batch\s+run(?:\s+time)?|errors?\s+as\s+of)\s*:\s*(.+)$/i, 'reportedAt'],
];
// not the tail of a longer name: ContosoReAG.mail.onmicrosoft.com is Exchange's routing domain, not
// the tenant's; after "%2F" (a link some gateway wrapped) the name starts, not at the "2F"
const INITIAL_DOMAIN_RE = /(?<=^|[^\w.%-]|%2[fF])([a-z0-9][a-z0-9-]{0,62}\.onmicrosoft\.(?:com|us|de|cn))\b/i;

/**
 * A name whose own dots the sentence's first stop cut short ("for tenant Wisła Logistyka Sp.
 * z o.o.."): the rest of it, when the same line goes on to the name's final dot and the
 * sentence's, with no new sentence between.
 */
function withAbbreviations(name: string, text: string, match: RegExpExecArray): string {
  if (name.endsWith(']')) return name;
  const end = match.index + match[0].length;
  const after = text.slice(end, end + 48);
  const rest = NAME_REST_RE.exec(after);
  if (rest && !NEW_SENTENCE_RE.test(rest[1]!)) return `${name}.${rest[1]}`;
  // "for tenant Contoso Ltd. UK.", "St. Mary's Hospital.": the first stop was an abbreviation's,
  // and the line ends at the sentence's ("Contoso Ltd" took another tenant's tickets)
  const tail = ABBREVIATED_END_RE.test(name) ? LINE_REST_RE.exec(after) : null;
  return tail ? `${name}.${tail[1]}` : name;
}
const NAME_REST_RE = /^([^\n]{1,40}?\.)\.(?=\s|$)/;
/** Words a name abbreviates with a dot (a company's form, a saint, a mount). */
const ABBREVIATED_END_RE = /(?:^|\s)(?:Ltd|Inc|Co|Corp|Bros|Pty|St|Ste|Mt|Ft|Dr|Assn|Dept|Univ|Intl|Mfg)$/i;
/** The rest of the line to its final stop, with no other stop in it. */
const LINE_REST_RE = /^( [^\n.]{1,40}?)\.[ \t]*(?:\n|$)/;
const NEW_SENTENCE_RE = /\.\s+\p{Lu}/u;

/**
 * `sentAt` (the mail's own date) settles a numeric date that could be day-first or
 * month-first (05/09/2017): a report is sent minutes after the run it covers.
 */
export function readReportFields(lines: string[], subjectDate: string | null, sentAt: string | null = null): ReportFields {
  const date = (text: string | null | undefined): string | null => parseLooseDate(text, { near: sentAt });
  const fields: ReportFields = { tenant: { name: null, domain: null, id: null }, tenantStated: false, reportedAt: null, trackingId: null };
  let labelledName: string | null = null;
  for (const line of lines) {
    if (line.length > 200) continue;
    for (const [re, key] of LABELS) {
      const m = re.exec(line);
      if (!m) continue;
      const value = m[1]!.trim();
      if (key === 'reportedAt') fields.reportedAt ??= date(value);
      else if (key === 'name') {
        const domainInName = INITIAL_DOMAIN_RE.exec(value);
        if (domainInName) fields.tenant.domain ??= domainInName[1]!.toLowerCase();
        // "Tenant: contoso.onmicrosoft.com" names the domain, not the display name
        const name = value.replace(/\s*\([^)]*\)\s*$/, '').trim();
        if (name && !/^[\w.-]+\.[a-z]{2,}$/i.test(name)) labelledName ??= name;
      } else if (key === 'id') fields.tenant.id ??= value.toLowerCase();
      else fields.tenant.domain ??= value.toLowerCase();
    }
  }
  const text = unwrapProtectedLinks(lines.join('\n'));
  fields.trackingId = TRACKING_LINE_RE.exec(text)?.[1]?.toLowerCase() ?? null;
  const batch = BATCH_RE.exec(text);
  if (batch) fields.reportedAt ??= date(batch[1]);
  const sentence = TENANT_SENTENCE_RE.exec(text);
  const named = batch ? withAbbreviations(batch[2]!, text, batch) : sentence?.[1] ? withAbbreviations(sentence[1], text, sentence) : sentence?.[2];
  if (named && named.length <= 160) {
    const said = named.replace(/\s+/g, ' ').trim();
    const split = NAME_AND_DOMAIN_RE.exec(said);
    fields.tenant.name ??= (split ? split[1]! : said) || null;
    if (split) fields.tenant.domain ??= split[2]!.toLowerCase();
  }
  fields.tenant.name ??= labelledName;
  fields.tenantStated = !!(fields.tenant.name || fields.tenant.domain || fields.tenant.id);
  fields.reportedAt ??= date(subjectDate);
  // the initial domain shows in quarantine UPNs and addresses; the head of the report is enough
  fields.tenant.domain ??= INITIAL_DOMAIN_RE.exec(text.slice(0, 64 * 1024))?.[1]?.toLowerCase() ?? null;
  return fields;
}
