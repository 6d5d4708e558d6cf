/**
 * Generated "Directory Synchronization Error Report" mails for the property
 * tests and the benchmark.
 *
 * A `ReportSpec` is the truth (tenant, run time, errors with identity,
 * category family and attributes); `renderReport(spec, layout, mangle?)`
 * turns it into the raw bytes of one mail in one of several layouts, then
 * optionally re-wraps, quotes, forwards and re-encodes it the way mail
 * clients do. The parser should return the same records for every rendering.
 *
 *   const spec = generateSpec(1000, 42);
 *   const raw = renderReport(spec, { kind: 'html-table', columns: ['identity', 'description'] });
 */

import type { Attribute, ErrorCategory } from '../../schemas/report.schema.ts';
import {
  attachedMessage,
  encodeCharset,
  escapeHtml,
  messageBytes,
  multipart,
  quoteLines,
  renderMessage,
  textPart,
  wrapText,
  type Charset,
  type TransferEncoding,
} from '../fixtures/builders/mime.ts';

// ---------------------------------------------------------------------------
// Spec
// ---------------------------------------------------------------------------

export const FAMILIES = [
  'dup-upn',
  'dup-proxy',
  'dup-multi',
  'dup-mail',
  'dup-signin',
  'dup-bare',
  'same-proxy',
  'federated',
  'data-validation',
  'large',
  'not-found',
  'delete',
  'unknown',
] as const;
export type Family = (typeof FAMILIES)[number];

export const PRODUCTS = ['Microsoft Online Services', 'Windows Azure Active Directory', 'Azure Active Directory', 'Microsoft Entra ID'] as const;
export type Product = (typeof PRODUCTS)[number];

export interface ErrorSpec {
  family: Family;
  /** The object as the report names it. */
  identity: string;
  objectType: 'User' | 'Group' | 'Contact' | null;
  objectId: string | null;
  /** What the parser should return as `attributes`. */
  attributes: Attribute[];
  /** The description text as the report shows it (plain text, not escaped). */
  text: string;
}

export interface ReportSpec {
  seed: number;
  tenantName: string;
  reportedAt: Date;
  trackingId: string;
  /** A tenant-level "Error 016" quota error before the object rows. */
  quota: boolean;
  errors: ErrorSpec[];
}

export const CATEGORY_OF: Record<Family, ErrorCategory> = {
  'dup-upn': 'DuplicateAttribute',
  'dup-proxy': 'DuplicateAttribute',
  'dup-multi': 'DuplicateAttribute',
  'dup-mail': 'DuplicateAttribute',
  'dup-signin': 'DuplicateAttribute',
  'dup-bare': 'DuplicateAttribute',
  'same-proxy': 'DuplicateAttribute',
  federated: 'FederatedDomainChange',
  'data-validation': 'DataValidation',
  large: 'LargeObject',
  'not-found': 'ObjectNotFound',
  delete: 'DeletingCloudOnlyObject',
  unknown: 'Unknown',
};

export const QUOTA_TEXT =
  'Error 016: Synchronization has been stopped. This company has exceeded the number of objects that can be synchronized. Contact Microsoft Online Services Support.';

/** Deterministic PRNG (mulberry32) so a seed always gives the same spec. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(rnd: () => number, items: readonly T[]): T {
  return items[Math.floor(rnd() * items.length)] as T;
}

function shuffle<T>(rnd: () => number, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

const FIRST = ['anna', 'ben', 'carla', 'dev', 'eamon', 'fatima', 'gus', 'hana', 'ivan', 'jo', 'kim', 'lea'];
const LAST = ['smith', "o'brien", 'nguyen', 'garcia', 'okafor', 'dupont', 'schmidt', 'tanaka', 'ivanova', "d'souza"];
const DISPLAY = ['Anna Smith', "Seán O'Brien", 'Jürgen Müller', 'Müller, Jürgen', 'Renée Dubois', 'Zoë Park', 'Chloé Lefèvre', 'Dev Patel'];
const GROUPS = ['R&D Team', 'Sales & Marketing', 'Finance Team', "Partners' Desk", 'All Staff', 'Help Desk'];
const CONTACTS = ['Contoso Partner Desk', 'Fabrikam Support', "O'Neil Consulting"];
const MAIL_DOMAINS = ['contoso.com', 'fabrikam.com'];
const TENANTS = ['Contoso Ltd.', 'Fabrikam, Inc.', 'Contoso', 'Contoso & Partners Ltd.', 'Fabrikam GmbH'];
const KB = 'Please refer to https://support.microsoft.com/kb/2647098 for more information on identifying objects with duplicate attribute values.';
const UNKNOWN_TEXTS = [
  'Unable to update this object because the on-premises mailbox move is still in progress. Wait for the move to complete and try again.',
  'Unable to update this object because it is locked by another provisioning operation. The operation will be retried later.',
  'The object could not be exported because the service returned an unexpected response (0x80230701).',
];

function hex(rnd: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += Math.floor(rnd() * 16).toString(16);
  return s;
}
function guid(rnd: () => number): string {
  return `${hex(rnd, 8)}-${hex(rnd, 4)}-4${hex(rnd, 3)}-8${hex(rnd, 3)}-${hex(rnd, 12)}`;
}
function base64Id(rnd: () => number): string {
  const bytes = Buffer.alloc(16);
  for (let i = 0; i < 16; i++) bytes[i] = Math.floor(rnd() * 256);
  return bytes.toString('base64');
}

function bracket(attrs: Attribute[]): string {
  let out = '';
  let previous: string | null = null;
  for (const a of attrs) {
    if (a.value === null) {
      out += a.name;
      continue;
    }
    out += a.name === previous ? `${a.value};` : `${a.name} ${a.value};`;
    previous = a.name;
  }
  return `[${out}]`;
}

function dupText(attrs: Attribute[], kb: boolean): string {
  return `Unable to update this object because the following attributes associated with this object have values that may already be associated with another object in your local directory services: ${bracket(attrs)}. Correct or remove the duplicate values in your local directory.${kb ? ` ${KB}` : ''}`;
}

function errorFor(rnd: () => number, index: number): ErrorSpec {
  const family = pick(rnd, FAMILIES);
  const kind = pick(rnd, ['upn', 'upn', 'display', 'group', 'contact'] as const);
  const first = pick(rnd, FIRST);
  const last = pick(rnd, LAST);
  const domain = pick(rnd, MAIL_DOMAINS);
  const upn = `${first}.${last}${index}@${domain}`;
  let identity: string;
  let objectType: ErrorSpec['objectType'];
  switch (kind) {
    case 'group':
      identity = `${pick(rnd, GROUPS)} ${index}`;
      objectType = 'Group';
      break;
    case 'contact':
      identity = `${pick(rnd, CONTACTS)} ${index}`;
      objectType = 'Contact';
      break;
    case 'display':
      identity = `${pick(rnd, DISPLAY)} ${index}`;
      objectType = 'User';
      break;
    default:
      identity = upn;
      objectType = 'User';
  }
  const alias = `${first}${index}`;
  const x500 = `X500:/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=${alias}`;
  const product = pick(rnd, PRODUCTS);
  let attributes: Attribute[] = [];
  let text: string;
  switch (family) {
    case 'dup-upn':
      attributes = [{ name: 'UserPrincipalName', value: upn }];
      text = dupText(attributes, rnd() < 0.5);
      break;
    case 'dup-proxy': {
      const pool = [`SMTP:${alias}@${domain}`, `smtp:${alias}.alt@${domain}`, x500, `smtp:${alias}@contoso.onmicrosoft.com`];
      attributes = shuffle(rnd, pool)
        .slice(0, 1 + Math.floor(rnd() * 3))
        .map((value) => ({ name: 'ProxyAddresses', value }));
      text = dupText(attributes, rnd() < 0.5);
      break;
    }
    case 'dup-multi':
      attributes = [
        { name: 'UserPrincipalName', value: upn },
        { name: 'ProxyAddresses', value: `SMTP:${upn}` },
      ];
      text = dupText(attributes, rnd() < 0.5);
      break;
    case 'dup-mail':
      attributes = [{ name: 'Mail', value: `${alias}@${domain}` }];
      text = dupText(attributes, rnd() < 0.5);
      break;
    case 'dup-signin':
      attributes = [{ name: 'SignInName', value: upn }];
      text = dupText(attributes, rnd() < 0.5);
      break;
    case 'dup-bare':
      attributes = [{ name: 'UserPrincipalName', value: null }];
      text =
        'Unable to update this object because the following attributes associated with this object have values that may already be associated with another object in your local directory services: UserPrincipalName. Correct or remove the duplicate values in your local directory.';
      break;
    case 'same-proxy':
      attributes = [{ name: 'ProxyAddresses', value: null }];
      text = `A synchronized object with the same proxy address already exists in your ${product} directory.`;
      break;
    case 'federated':
      attributes = [{ name: 'FederatedUser.UserPrincipalName', value: null }];
      text = `Unable to update this object in ${product}, because the attribute [FederatedUser.UserPrincipalName], is not valid. Update the value in your local directory services.`;
      break;
    case 'data-validation':
      attributes = [{ name: 'UserPrincipalName', value: null }];
      text = `Unable to update this object in ${product}, because the attribute [UserPrincipalName], is not valid. Update the value in your local directory services.`;
      break;
    case 'large':
      text = 'The provisioned object is too large. Trim the number of attribute values on this object. The operation will be retried in the next synchronization cycle..';
      break;
    case 'not-found':
      text = 'Unable to update this object because the user ID is not found.';
      break;
    case 'delete':
      text = 'This synchronization operation, Delete, is not valid. Contact Technical Support.';
      break;
    case 'unknown':
      text = pick(rnd, UNKNOWN_TEXTS);
      break;
  }
  const objectId = rnd() < 0.8 ? base64Id(rnd) : guid(rnd);
  return { family, identity, objectType, objectId, attributes, text };
}

/** A report with `nErrors` object errors, fully determined by `seed`. */
export function generateSpec(nErrors: number, seed: number): ReportSpec {
  const rnd = prng(seed);
  const day = Math.floor(rnd() * 3650);
  const reportedAt = new Date(Date.UTC(2014, 0, 1, 0, 0, 0) + day * 86_400_000 + Math.floor(rnd() * 86_400) * 1000);
  const errors: ErrorSpec[] = [];
  for (let i = 0; i < nErrors; i++) errors.push(errorFor(rnd, i + 1));
  return {
    seed,
    tenantName: pick(rnd, TENANTS),
    reportedAt,
    trackingId: guid(rnd),
    quota: rnd() < 0.15,
    errors,
  };
}

// ---------------------------------------------------------------------------
// Layouts
// ---------------------------------------------------------------------------

export type Column = 'identity' | 'description' | 'objectType' | 'objectId';

export const HEADER_WORDING: Record<Column, readonly string[]> = {
  identity: ['Identity', 'Object', 'Object Identity', 'Name'],
  description: ['Error', 'Error Description', 'Description', 'Error Message'],
  objectType: ['Object Type', 'Type'],
  objectId: ['On-premises object ID', 'Source Anchor', 'On-premises Object ID', 'ImmutableId'],
};

export type Layout =
  /** An HTML table; `columns` in display order (must include identity and description). */
  | {
      kind: 'html-table';
      columns: Column[];
      headers?: Partial<Record<Column, string>>;
      nested?: boolean;
      /** A colspan heading row per category (Connect Health's names) above its errors. */
      sections?: boolean;
      /** Consecutive errors of one object share its identity, type and anchor cells through rowspan. */
      rowspan?: boolean;
    }
  /** One 2-column key/value table per error. */
  | { kind: 'html-keyvalue' }
  /** DirSync-era text: `identity | description |` lines. */
  | { kind: 'pipe' }
  /** DirSync-era text: identity line, description line, blank line. */
  | { kind: 'nextline' }
  /** Text: `Identity: …` / `Object Type: …` / `On-premises object ID: …` / `Error: …` blocks. */
  | { kind: 'field-lines' }
  /** Outlook/Thunderbird plain text of an HTML table: one row per line, cells separated by tabs. */
  | { kind: 'tab' }
  /** One cell per line, each closed by ` |`, under a header (an HTML table pasted as text). */
  | { kind: 'cell-lines' };

export interface Mangle {
  /** Re-wrap at this many columns (breaking at spaces). */
  wrapWidth?: number;
  encoding?: TransferEncoding;
  charset?: Charset;
  forward?: 'gmail' | 'outlook' | 'rfc822';
  /** With an inline text forward: prefix the forwarded lines with `> `. */
  quote?: boolean;
  /** HTML only: write some description spaces as `&nbsp;`. */
  nbsp?: boolean;
  /** Text only: soft line breaks of format=flowed (RFC 3676) at this width instead of hard wraps. */
  flowedWidth?: number;
  /**
   * Text only: tabs turned into spaces up to the next stop of 8 columns, before any wrap, as
   * `expand` or Python's textwrap do (blind33 B2, B3: inferred, no public sample shows a client doing it).
   */
  expandTabs?: boolean;
}

const ALL_FIELDS = new Set<Layout['kind']>(['html-keyvalue', 'field-lines', 'tab', 'cell-lines']);
export function layoutShowsObjectType(layout: Layout): boolean {
  return ALL_FIELDS.has(layout.kind) || (layout.kind === 'html-table' && layout.columns.includes('objectType'));
}
export function layoutShowsObjectId(layout: Layout): boolean {
  return ALL_FIELDS.has(layout.kind) || (layout.kind === 'html-table' && layout.columns.includes('objectId'));
}

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const pad = (n: number): string => String(n).padStart(2, '0');

/** `Tuesday, 03 January 2012 23:54:02` (UTC), as the DirSync report writes it. */
export function batchDate(d: Date): string {
  return `${DAYS[d.getUTCDay()]}, ${pad(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

function rfc2822(d: Date): string {
  return d.toUTCString().replace('GMT', '+0000');
}

function preambleLines(spec: ReportSpec): string[] {
  const lines = [
    'Directory Synchronization Error Report',
    '',
    `The Directory Synchronization batch run was completed on ${batchDate(spec.reportedAt)} GMT for tenant ${spec.tenantName}.`,
    'The following errors occurred during synchronization:',
    '',
  ];
  if (spec.quota) lines.push(QUOTA_TEXT, '');
  return lines;
}

/** The column order of the flattened-table text layouts. */
const TEXT_COLUMNS: Column[] = ['identity', 'description', 'objectType', 'objectId'];
const textCell = (e: ErrorSpec, c: Column): string =>
  c === 'identity' ? e.identity : c === 'description' ? e.text : c === 'objectType' ? (e.objectType ?? '') : (e.objectId ?? '');

function renderText(spec: ReportSpec, layout: Layout): string {
  const lines = preambleLines(spec);
  if (layout.kind === 'tab') lines.push(TEXT_COLUMNS.map((c) => HEADER_WORDING[c][0]).join('\t'));
  if (layout.kind === 'cell-lines') lines.push(...TEXT_COLUMNS.map((c) => `${HEADER_WORDING[c][0]} |`));
  for (const e of spec.errors) {
    if (layout.kind === 'tab') lines.push(TEXT_COLUMNS.map((c) => textCell(e, c)).join('\t'));
    else if (layout.kind === 'cell-lines') lines.push(...TEXT_COLUMNS.map((c) => `${textCell(e, c)} |`.trim()));
    else if (layout.kind === 'pipe') lines.push(`${e.identity} | ${e.text} |`);
    else if (layout.kind === 'nextline') lines.push(e.identity, e.text, '');
    else {
      lines.push(`Identity: ${e.identity}`);
      if (e.objectType) lines.push(`Object Type: ${e.objectType}`);
      if (e.objectId) lines.push(`On-premises object ID: ${e.objectId}`);
      lines.push(`Error: ${e.text}`, '');
    }
  }
  lines.push('', `Tracking ID: ${spec.trackingId}`, '', 'Thank you,', 'Microsoft Online Services Team', '');
  return lines.join('\n');
}

function nbspify(text: string, on: boolean): string {
  const escaped = escapeHtml(text);
  if (!on) return escaped;
  // Outside the bracket list only, so attribute values keep their plain spaces.
  return escaped.replace(/(\[[^\]]*\])|( )(?=[A-Za-z])/g, (m, br: string | undefined) => (br ? br : '&nbsp;'));
}

function cell(e: ErrorSpec, c: Column, nbsp: boolean): string {
  switch (c) {
    case 'identity':
      return escapeHtml(e.identity);
    case 'description':
      return nbspify(e.text, nbsp);
    case 'objectType':
      return e.objectType ?? '';
    case 'objectId':
      return e.objectId ?? '';
  }
}

function renderHtmlFragment(spec: ReportSpec, layout: Layout, nbsp: boolean): string {
  const pre = preambleLines(spec)
    .filter((l) => l.length > 0)
    .map((l) => `<p>${escapeHtml(l)}</p>`)
    .join('\n');
  let errors: string;
  if (layout.kind === 'html-table') {
    const head = layout.columns.map((c) => `<th align="left">${escapeHtml(layout.headers?.[c] ?? HEADER_WORDING[c][0] ?? c)}</th>`).join('');
    const rows = tableRows(spec, layout, nbsp).join('\n');
    errors = `<table border="1" cellpadding="4" cellspacing="0">\n<tr>${head}</tr>\n${rows}\n</table>`;
    if (layout.nested) {
      errors = `<table width="100%" border="0"><tr><td align="center"><table width="640" border="0"><tr><td><img src="https://example.com/logo.png" alt="Microsoft" /></td></tr><tr><td>\n${errors}\n</td></tr><tr><td><table width="100%"><tr><td>Microsoft Corporation | One Microsoft Way | Redmond, WA 98052</td><td><a href="https://example.com/privacy">Privacy</a></td></tr></table></td></tr></table></td></tr></table>`;
    }
  } else {
    errors = spec.errors
      .map((e) => {
        const rows: Array<[string, string]> = [['Identity', escapeHtml(e.identity)]];
        if (e.objectType) rows.push(['Object type', e.objectType]);
        if (e.objectId) rows.push(['On-premises object ID', e.objectId]);
        rows.push(['Error', nbspify(e.text, nbsp)]);
        return `<table border="0" cellpadding="3">\n${rows.map(([k, v]) => `<tr><td><b>${k}</b></td><td>${v}</td></tr>`).join('\n')}\n</table>`;
      })
      .join('\n<hr />\n');
  }
  return `${pre}\n${errors}\n<p>Tracking ID: ${spec.trackingId}</p>\n<p>Thank you,<br />Microsoft Online Services Team</p>`;
}

const SECTION_NAMES: Partial<Record<ErrorCategory, string>> = {
  DuplicateAttribute: 'Duplicate Attribute',
  DataValidation: 'Data Validation Failure',
  FederatedDomainChange: 'Federated Domain Change',
  LargeObject: 'Large Attribute',
  Unknown: 'Other',
};

/** The data rows of an HTML table layout, with its section headings and rowspans when asked. */
function tableRows(spec: ReportSpec, layout: Extract<Layout, { kind: 'html-table' }>, nbsp: boolean): string[] {
  const rows: string[] = [];
  let section: string | undefined;
  spec.errors.forEach((e, i) => {
    const name = SECTION_NAMES[CATEGORY_OF[e.family]] ?? 'Other';
    if (layout.sections && name !== section) {
      rows.push(`<tr><td colspan="${layout.columns.length}" style="font-weight:bold">${name}</td></tr>`);
      section = name;
    }
    // a rowspan never crosses a section heading row
    const sectionOf = (a: ErrorSpec): string => (layout.sections ? (SECTION_NAMES[CATEGORY_OF[a.family]] ?? 'Other') : '');
    const sameObject = (a: ErrorSpec | undefined): boolean =>
      !!a && a.identity === e.identity && a.objectId === e.objectId && a.objectType === e.objectType && sectionOf(a) === sectionOf(e);
    let span = 1;
    while (layout.rowspan && sameObject(spec.errors[i + span])) span++;
    const covered = layout.rowspan && sameObject(spec.errors[i - 1]);
    const cells = layout.columns.map((c) => {
      if (c === 'description') return `<td valign="top">${cell(e, c, nbsp)}</td>`;
      if (covered) return '';
      return `<td valign="top"${span > 1 ? ` rowspan="${span}"` : ''}>${cell(e, c, nbsp)}</td>`;
    });
    rows.push(`<tr>${cells.join('')}</tr>`);
  });
  return rows;
}

function htmlDocument(fragment: string, charset: Charset): string {
  return `<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html; charset=${charset}" />\n<title>Directory Synchronization Error Report</title>\n</head>\n<body>\n${fragment}\n</body>\n</html>\n`;
}

const REPORT_FROM = 'Microsoft Online Services Team <MSOnlineServicesTeam@MicrosoftOnline.com>';
const REPORT_SUBJECT = 'Directory Synchronization Error Report';

function canEncode(text: string, charset: Charset): boolean {
  try {
    encodeCharset(text, charset);
    return true;
  } catch {
    return false;
  }
}

/**
 * The raw .eml bytes of `spec` rendered in `layout`, then mangled as
 * `mangle` says (nothing by default: utf-8, quoted-printable, not forwarded).
 */
export function renderReport(spec: ReportSpec, layout: Layout, mangle: Mangle = {}): Buffer {
  const isHtml = layout.kind === 'html-table' || layout.kind === 'html-keyvalue';
  const sentAt = new Date(spec.reportedAt.getTime() + 180_000);
  let body = isHtml ? renderHtmlFragment(spec, layout, mangle.nbsp ?? false) : renderText(spec, layout);
  if (mangle.expandTabs) body = body.split('\n').map(expandTabs).join('\n');
  if (mangle.wrapWidth) body = wrapText(body, mangle.wrapWidth);
  const flowed = !isHtml && !!mangle.flowedWidth;
  if (flowed) body = flowText(body, mangle.flowedWidth!);

  const inline = mangle.forward === 'gmail' || mangle.forward === 'outlook';
  if (inline && !isHtml) {
    const quoted = mangle.quote ? quoteLines(body) : body;
    const head =
      mangle.forward === 'gmail'
        ? `---------- Forwarded message ---------\nFrom: ${REPORT_FROM}\nDate: ${sentAt.toUTCString()}\nSubject: ${REPORT_SUBJECT}\nTo: <itadmins@contoso.com>\n\n\n`
        : `-----Original Message-----\nFrom: ${REPORT_FROM}\nSent: ${sentAt.toUTCString()}\nTo: IT Admins <itadmins@contoso.com>\nSubject: ${REPORT_SUBJECT}\n\n`;
    body = `Please have a look.\n\n${mangle.quote ? quoteLines(head) : head}${quoted}`;
  } else if (inline && isHtml) {
    const from = escapeHtml(REPORT_FROM);
    const head =
      mangle.forward === 'gmail'
        ? `<div class="gmail_quote"><div dir="ltr" class="gmail_attr">---------- Forwarded message ---------<br>From: ${from}<br>Date: ${sentAt.toUTCString()}<br>Subject: ${REPORT_SUBJECT}<br>To: &lt;itadmins@contoso.com&gt;<br></div><br><br>`
        : `<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm"><p class="MsoNormal"><b>From:</b> ${from}<br><b>Sent:</b> ${sentAt.toUTCString()}<br><b>To:</b> IT Admins &lt;itadmins@contoso.com&gt;<br><b>Subject:</b> ${REPORT_SUBJECT}</p></div>`;
    body = `<div><p>Please have a look.</p></div>\n${head}\n${body}${mangle.forward === 'gmail' ? '</div>' : ''}`;
  }

  let charset = mangle.charset ?? 'utf-8';
  const full = isHtml ? htmlDocument(body, charset) : body;
  if (!canEncode(full, charset)) charset = 'utf-8';
  const content = textPart({
    subtype: isHtml ? 'html' : 'plain',
    charset,
    encoding: mangle.encoding ?? 'quoted-printable',
    text: isHtml ? htmlDocument(body, charset) : body,
    ...(flowed ? { params: 'format=flowed' } : {}),
  });

  const messageId = `<gen-${spec.seed}-${spec.errors.length}@microsoftonline.com>`;
  if (!mangle.forward) {
    return messageBytes(
      renderMessage({ from: REPORT_FROM, to: 'itadmins@contoso.com', subject: REPORT_SUBJECT, date: rfc2822(sentAt), messageId, content }),
    );
  }
  const forwardedAt = rfc2822(new Date(sentAt.getTime() + 3_600_000));
  const forwarder = 'Alex Wilber <alex.wilber@contoso.com>';
  if (mangle.forward === 'rfc822') {
    const inner = renderMessage({ from: REPORT_FROM, to: 'itadmins@contoso.com', subject: REPORT_SUBJECT, date: rfc2822(sentAt), messageId, content });
    return messageBytes(
      renderMessage({
        from: forwarder,
        to: 'servicedesk@contoso.com',
        subject: `FW: ${REPORT_SUBJECT}`,
        date: forwardedAt,
        messageId: `<fwd-${spec.seed}@contoso.com>`,
        content: multipart('mixed', `=_fwd_${spec.seed}`, [
          textPart({ subtype: 'plain', encoding: 'quoted-printable', text: 'Please have a look.\n' }),
          attachedMessage(inner, 'report.eml'),
        ]),
      }),
    );
  }
  return messageBytes(
    renderMessage({
      from: forwarder,
      to: 'servicedesk@contoso.com',
      subject: `${mangle.forward === 'gmail' ? 'Fwd' : 'FW'}: ${REPORT_SUBJECT}`,
      date: forwardedAt,
      messageId: `<fwd-${spec.seed}@contoso.com>`,
      content,
    }),
  );
}

/** A few representative layouts (for the benchmark and as property-test anchors). */
export const SAMPLE_LAYOUTS: Layout[] = [
  { kind: 'html-table', columns: ['identity', 'description', 'objectId'] },
  { kind: 'html-table', columns: ['description', 'identity', 'objectType', 'objectId'], headers: { identity: 'Object', description: 'Error Description', objectId: 'Source Anchor' } },
  { kind: 'html-keyvalue' },
  { kind: 'pipe' },
  { kind: 'nextline' },
  { kind: 'field-lines' },
];

/** What the parser should say about each generated object error. */
export function expectedErrors(spec: ReportSpec, layout: Layout): Array<{
  category: ErrorCategory;
  identity: string | null;
  objectType: string | null;
  onPremisesObjectId: string | null;
  attributes: Attribute[];
}> {
  const out: ReturnType<typeof expectedErrors> = [];
  if (spec.quota) out.push({ category: 'QuotaExceeded', identity: null, objectType: null, onPremisesObjectId: null, attributes: [] });
  for (const e of spec.errors) {
    out.push({
      category: CATEGORY_OF[e.family],
      identity: e.identity,
      objectType: layoutShowsObjectType(layout) ? e.objectType : null,
      onPremisesObjectId: layoutShowsObjectId(layout) ? e.objectId : null,
      attributes: e.attributes,
    });
  }
  return out;
}

/**
 * format=flowed (RFC 3676): long lines broken at spaces, each soft break marked by the space
 * left at the end of the line; lines that begin with a space, "From " or ">" are space-stuffed.
 */
function expandTabs(line: string): string {
  let out = '';
  for (const ch of line) out += ch === '\t' ? ' '.repeat(8 - (out.length % 8)) : ch;
  return out;
}

function flowText(text: string, width: number): string {
  return text
    .split('\n')
    .flatMap((line) => {
      const parts = wrapText(line, width).split('\n');
      return parts.map((p, i) => (i < parts.length - 1 ? `${p} ` : p));
    })
    .map((l) => (/^(?: |From |>)/.test(l) ? ` ${l}` : l))
    .join('\n');
}

// ---------------------------------------------------------------------------
// Translations
// ---------------------------------------------------------------------------

export type Language = 'de' | 'ja';

/**
 * The same report with its error texts in another language. Real where Microsoft's localized
 * support articles quote them (KB 2647098 de-de and ja-jp; ops365.de for the German
 * FederatedUser text), the rest written in the same style: see test/fixtures/reports/INDEX.md.
 * Attribute names, brackets and error names stay English, as in every real sample.
 */
export function translateSpec(spec: ReportSpec, lang: Language): ReportSpec {
  return { ...spec, errors: spec.errors.map((e) => ({ ...e, text: translateText(e, lang) })) };
}

function translateText(e: ErrorSpec, lang: Language): string {
  const b = bracket(e.attributes);
  const attr = e.attributes[0]?.name ?? '';
  const de: Partial<Record<Family, string>> = {
    'dup-bare': `Kann nicht auf dieses Objekt aktualisieren, da die folgenden Attribute, die diesem Objekt zugeordnete Werte, die möglicherweise bereits mit einem anderen Objekt im lokalen Verzeichnisdienst: ${attr}. Korrigieren Sie oder entfernen Sie die doppelten Werte in Ihrem lokalen Verzeichnis.`,
    'same-proxy': 'Ein synchronisiertes Objekt mit derselben Proxyadresse existiert bereits im Verzeichnis Microsoft Online Services.',
    federated: 'Dieses Objekt kann in Azure Active Directory nicht aktualisiert werden, da das Attribut „FederatedUser.UserPrincipalName“ ungültig ist. Aktualisieren Sie den Wert in Ihren lokalen Verzeichnisdiensten.',
    'data-validation': `Dieses Objekt kann in Azure Active Directory nicht aktualisiert werden, da das Attribut „${attr}“ ungültig ist. Aktualisieren Sie den Wert in Ihren lokalen Verzeichnisdiensten.`,
    large: 'Das bereitgestellte Objekt ist zu groß. Reduzieren Sie die Anzahl der Attributwerte für dieses Objekt.',
    'not-found': 'Kann nicht auf dieses Objekt aktualisieren, da die Benutzer-ID nicht gefunden wird.',
    delete: 'Dieser Synchronisierungsvorgang, Delete, ist ungültig. Das Löschen eines reinen Cloudobjekts wird nicht unterstützt.',
  };
  const ja: Partial<Record<Family, string>> = {
    'dup-bare': `このオブジェクトに紐づく属性値 ${attr} は、ローカル ディレクトリ サービスの他のオブジェクトに既に紐付けられているため、このオブジェクトを更新できません。`,
    'same-proxy': '同じプロキシ アドレスを持つ同期オブジェクトが、Microsoft Online Services ディレクトリに既に存在します。',
    federated: '属性 [FederatedUser.UserPrincipalName] が無効なため、Azure Active Directory でこのオブジェクトを更新できません。ローカル ディレクトリ サービスで値を更新してください。',
    'data-validation': `属性 [${attr}] が無効なため、Azure Active Directory でこのオブジェクトを更新できません。ローカル ディレクトリ サービスで値を更新してください。`,
    large: 'プロビジョニングされたオブジェクトが大きすぎます。このオブジェクトの属性値の数を減らしてください。',
    'not-found': 'ユーザー ID が見つからないため、このオブジェクトを更新できません。',
    delete: 'この同期操作 (Delete) は無効です。クラウド専用オブジェクトの削除はサポートされていません。',
  };
  if (e.family === 'unknown') return e.text;
  if (e.family.startsWith('dup-') && e.family !== 'dup-bare') {
    return lang === 'de'
      ? `Kann nicht auf dieses Objekt aktualisieren, da die folgenden Attribute, die diesem Objekt zugeordnete Werte, die möglicherweise bereits mit einem anderen Objekt im lokalen Verzeichnisdienst: ${b}. Korrigieren Sie oder entfernen Sie die doppelten Werte in Ihrem lokalen Verzeichnis.`
      : `このオブジェクトに紐づく属性値 ${b} は、ローカル ディレクトリ サービスの他のオブジェクトに既に紐付けられているため、このオブジェクトを更新できません。ローカル ディレクトリの重複している属性値を修正または削除してください。`;
  }
  return (lang === 'de' ? de : ja)[e.family] ?? e.text;
}

/** The same report where every object has a second error (a size error) right after its first. */
export function withTwins(spec: ReportSpec): ReportSpec {
  const LARGE = 'The provisioned object is too large. Trim the number of attribute values on this object.';
  return {
    ...spec,
    errors: spec.errors.flatMap((e) => (e.family === 'large' ? [e] : [e, { ...e, family: 'large' as const, attributes: [], text: LARGE }])),
  };
}
