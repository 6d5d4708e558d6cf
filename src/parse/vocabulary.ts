import { ADMIN_ROLE_CONFLICT_CODES } from '../../schemas/report.schema.ts';
import { collapse, withoutWhitespace } from './blocks.ts';

/**
 * The words reports are made of: product names, attribute names, the labels of columns
 * and fields, and the error codes Microsoft documents. Kept apart from the matching
 * logic so a new wording is a one-line change.
 */

/** Every name the directory service has had in these mails; matched wherever a family names it. */
export const PRODUCT =
  '(?:Microsoft\\s+Online\\s+Services|Windows\\s+Azure\\s+Active\\s+Directory|Azure\\s+Active\\s+Directory|Microsoft\\s+Entra\\s+ID|Microsoft\\s+Entra|Azure\\s+AD|Entra\\s+ID)';

const CANONICAL_ATTRIBUTES = [
  'UserPrincipalName',
  'ProxyAddresses',
  'SipProxyAddress',
  'Mail',
  'SignInName',
  'FederatedUser.UserPrincipalName',
  'userCertificate',
  'userSMIMECertificate',
  'thumbnailPhoto',
  'OnPremisesSecurityIdentifier',
  'ObjectId',
  'ImmutableId',
  'SourceAnchor',
  'MailNickname',
  'SamAccountName',
  'TargetAddress',
  'LegacyExchangeDN',
  'DisplayName',
  'OtherMails',
];

const ATTRIBUTE_ALIASES: Record<string, string> = {
  proxyaddress: 'ProxyAddresses',
  signinnames: 'SignInName',
  upn: 'UserPrincipalName',
  onpremisessecurityidentifier: 'OnPremisesSecurityIdentifier',
  // as Entra Connect's export error spells it: "[OnPremiseSecurityIdentifier System.Byte[];]"
  onpremisesecurityidentifier: 'OnPremisesSecurityIdentifier',
  securityidentifier: 'OnPremisesSecurityIdentifier',
  sourceanchor: 'SourceAnchor',
  immutableid: 'ImmutableId',
  'federateduser.userprincipalname': 'FederatedUser.UserPrincipalName',
};

const BY_LOWER = new Map<string, string>([
  ...CANONICAL_ATTRIBUTES.map((a) => [a.toLowerCase(), a] as [string, string]),
  ...Object.entries(ATTRIBUTE_ALIASES),
]);

/** The canonical spelling of a known attribute name, or null when the word is not one. */
export function canonicalAttribute(word: string): string | null {
  return ATTRIBUTES_AS_SPELLED.get(word) ?? BY_LOWER.get(word.trim().toLowerCase()) ?? null;
}

/**
 * A known attribute name glued to its value, as a page's bold name reads when copied
 * (`[<b>UserPrincipalName</b>user01@contoso.com;]` gives "UserPrincipalNameuser01@contoso.com"):
 * the name as spelled, and the value, when the rest is an address (an `@`) or a
 * typed proxy address (`SMTP:…`); null otherwise. The longest name first: `ProxyAddresses`
 * before a `ProxyAddress` alias would leave an `es` on the value.
 */
export function gluedAttribute(word: string): { name: string; value: string } | null {
  for (const name of GLUABLE) {
    if (word.length <= name.length || !word.startsWith(name)) continue;
    const value = word.slice(name.length);
    if (value.includes('@') || TYPED_VALUE.test(value)) return { name, value };
  }
  return null;
}
// the names whose values are addresses, as a duplicate's list holds them (not Mail: "Mailbox@…" is a value)
const GLUABLE = ['UserPrincipalName', 'SipProxyAddress', 'ProxyAddresses', 'TargetAddress', 'SignInName'];
const TYPED_VALUE = /^[A-Za-z][A-Za-z0-9]{1,7}:\S/;

/**
 * Each canonical spelling, found as it is: most names in a report are spelled so, and a
 * look-up of the word itself spares the lower-case copy made for every other (one or two
 * names per error). Built from the case-blind map, so both give the same answer.
 */
const asSpelled = (byLower: ReadonlyMap<string, string>): ReadonlyMap<string, string> =>
  new Map([...byLower.values()].filter((v) => byLower.get(v.toLowerCase()) === v).map((v) => [v, v]));
const ATTRIBUTES_AS_SPELLED = asSpelled(BY_LOWER);

/** Attributes whose values never contain spaces: whitespace inside them is a line-wrap artefact. */
const SPACELESS = new Set([
  'UserPrincipalName',
  'Mail',
  'SignInName',
  'FederatedUser.UserPrincipalName',
  'ObjectId',
  'ImmutableId',
  'SourceAnchor',
  'OnPremisesSecurityIdentifier',
  'MailNickname',
  'SamAccountName',
]);

/** Cleans a value the way its attribute allows: no whitespace in addresses, single spaces elsewhere (X500). */
export function cleanAttributeValue(attribute: string, value: string): string {
  const trimmed = value.trim();
  // Microsoft's own texts may mark a value as personal data: "[ProxyAddresses <pii>SMTP:a@x.com</pii>;]"
  const bare = trimmed.charCodeAt(0) === 0x3c /* < */ ? trimmed.replace(PII_MARKERS, '') : trimmed;
  if (SPACELESS.has(attribute) || ADDRESS_PREFIX.test(bare)) return withoutWhitespace(bare);
  // an X.500 or X.400 address has spaces of its own, but none after its type: a line broken
  // there ("X500:" / "/o=Contoso…", lynx at 60 columns) left one
  return (bare.charCodeAt(0) | 0x20) === 0x78 /* x */ ? collapse(bare).replace(X_ADDRESS_TYPE_GAP, '$1') : collapse(bare);
}
const PII_MARKERS = /^<pii>|<\/pii>$/gi;
const X_ADDRESS_TYPE_GAP = /^(x[45]00:) /i;
const ADDRESS_PREFIX = /^(smtp|sip|eum|spo):/i;

/** Error codes Microsoft documents (and a few seen only in third-party lists): named in a report, they are the errorCode. */
export const KNOWN_ERROR_CODES = [
  'AttributeValueMustBeUnique',
  'InvalidSoftMatch',
  'InvalidHardMatch',
  'ObjectTypeMismatch',
  'IdentityDataValidationFailed',
  'DataValidationFailed',
  'FederatedDomainChangeError',
  'LargeObject',
  'ExceededAllowedLength',
  'DeletingCloudOnlyObjectNotAllowed',
  'ExistingObjectNotFound',
  'AccessDenied',
  'PropertyConflict',
  'MatchedWithSoftmatch',
  'GeneratedUpnConflict',
  'DomainMismatch',
  'DataValidationFailure',
  'DomainNotVerified',
  'ExchangeObjectConflict',
  'InvalidFederatedUser',
  ...ADMIN_ROLE_CONFLICT_CODES,
];

const CODE_SET: ReadonlySet<string> = new Set(KNOWN_ERROR_CODES);

/** A word that is a documented error name, exactly. */
export function isKnownCode(word: string): boolean {
  return CODE_SET.has(word);
}

/**
 * The codes as whole words: one search for all of them instead of a look-up per capitalised
 * word. What precedes a code is checked on each hit rather than by a lookbehind, which the
 * regex engine would otherwise evaluate at every position of the text.
 */
const CODE_RE = new RegExp(`(?:${KNOWN_ERROR_CODES.join('|')})(?![\\w\\-/])`, 'g');
const CODE_NEIGHBOUR = /[\w/\-.]/;

/** The first known code standing as a word of its own (not inside a URL such as aka.ms/aadc-exporterror-X). */
export function findKnownCode(text: string): string | null {
  CODE_RE.lastIndex = 0;
  for (let m = CODE_RE.exec(text); m; m = CODE_RE.exec(text)) {
    // the same position with a word before it: no code starts here (whichever alternative matched)
    if (m.index === 0 || !CODE_NEIGHBOUR.test(text[m.index - 1]!)) return m[0];
    CODE_RE.lastIndex = m.index + 1;
  }
  return null;
}

/**
 * The numbered error a DirSync-era text starts with ("Error 012: Unable to update…", KB
 * 2520976; "Error 016: Synchronization has been stopped…"), as "Error 012"; null without one.
 */
export function numberedErrorCode(text: string): string | null {
  const m = NUMBERED_CODE_RE.exec(text);
  return m ? `Error ${m[1]!.padStart(3, '0')}` : null;
}
const NUMBERED_CODE_RE = /^\s*Error\s+(\d{2,3})(?:\s*:|\s*$)/i;

/** What a column header or a field label says its cells hold. */
export type FieldRole = 'identity' | 'objectId' | 'objectType' | 'description' | 'errorCode' | 'attribute' | 'value' | 'ignore';

// English as Microsoft writes it, then German, Japanese, French and Spanish column names:
// a localized template is not known to exist ([N] in real-reports.md §3), localized client
// exports and pastes are, and a header read wrongly costs every row of the table. French
// "Objet" is left out on purpose: it is the Subject line of a French forward header.
const ROLE_PATTERNS: [FieldRole, RegExp][] = [
  ['errorCode', /^(error ?(code|name|type|id|category)|code|type of error|category|fehler ?(name|typ|code|kategorie)|fehlerart|エラー ?(名|コード|の種類|カテゴリ)|(nom|type|code) (de l['’]|d['’])erreur|(nombre|tipo|c[oó]digo) del? error)$/],
  ['objectId', /^((on-?premises?|on-?prem|local|source|ad|cs) ?(object ?)?(id|guid|identifier)|object ?(id|guid|identifier)|immutable ?id|source ?anchor|anchor|cs ?object ?identifier|quellanker|anker|lokale ?objekt-?id|ソース ?アンカー|オンプレミス ?オブジェクト ?id|ancre ?(de )?source|ancla ?de ?origen|delimitador ?de ?origen)$/],
  ['objectType', /^(object ?type|type|object ?class|class|object ?kind|objekt ?typ|objektklasse|typ|オブジェクトの?種類|種類|type d['’]objet|tipo ?de ?objeto|tipo)$/],
  ['attribute', /^(attribute|attribute ?name|property|property ?name|property ?causing ?error|conflicting ?attribute|attribut|eigenschaft|属性|属性名|propriété|atributo|propiedad)$/],
  ['value', /^(value|attribute ?value|conflicting ?value|property ?value|duplicate ?value|wert|attributwert|値|属性値|valeur|valor)$/],
  ['description', /^(errors?|error ?(description|details?|message|text|literal)|description|message|details?|reason|problem|issue|errorliteral|server ?error ?detail|sync(hronization)? error|fehler|fehler ?(beschreibung|meldung|details?|text)|beschreibung|meldung|エラー|エラーの?(説明|詳細|内容)|説明|詳細|erreur|description de l['’]erreur|d[ée]tails?|descripci[oó]n( del error)?|error|mensaje)$/],
  ['identity', /^(identity|object|object ?name|object ?identity|name|display ?name|user|user ?name|upn|user ?principal ?name|account|affected ?object|object ?display ?name|sign-?in ?name|e-?mail|e-?mail ?address|dn|distinguished ?name|recipient|identität|objekt|objektname|anzeigename|benutzer|benutzername|konto|オブジェクト|オブジェクト名|表示名|ユーザー|ユーザー名|identité|nom|utilisateur|identidad|objeto|nombre|usuario)$/],
  ['ignore', /^(time|date|time ?occurred|time ?occurred ?\(utc\)|detected|occurred|last ?seen|error ?time|timestamp|first ?seen|machine ?id|connector ?name|tracking ?id|zeit|datum|zeitpunkt|日時|時刻|発生日時|heure|fecha|hora)$/],
];

/**
 * The role of a column header or field label, or null for words we don't know. Remembered per
 * label: a report repeats a handful of labels on every row, and a pasted dump (or a hostile
 * mail) repeats one hundreds of thousands of times (the fuzz test's "From: a / Sent: b").
 */
export function fieldRole(label: string): FieldRole | null {
  if (label.length > MAX_REMEMBERED_LABEL) return roleOf(label);
  let role = knownRoles.get(label);
  if (role === undefined) {
    if (knownRoles.size >= MAX_REMEMBERED_LABELS) knownRoles.clear();
    knownRoles.set(label, (role = roleOf(label)));
  }
  return role;
}
const knownRoles = new Map<string, FieldRole | null>();
const MAX_REMEMBERED_LABELS = 4096;
const MAX_REMEMBERED_LABEL = 80;

function roleOf(label: string): FieldRole | null {
  const norm = label
    .toLowerCase()
    .replace(/[:：*]+$/, '')
    .replace(/[_\s]+/g, ' ')
    .trim();
  if (!norm || norm.length > 40) return null;
  for (const [role, re] of ROLE_PATTERNS) if (re.test(norm)) return role;
  return null;
}

/** Object classes a report may name, by their lower-case spelling (one shared string per class, not one per row). */
const OBJECT_TYPES = new Map<string, string>([
  ['user', 'User'],
  ['inetorgperson', 'User'],
  ['group', 'Group'],
  ['contact', 'Contact'],
  ['orgcontact', 'Contact'],
  ['device', 'Device'],
  ['computer', 'Computer'],
  ['publicfolder', 'PublicFolder'],
  // Exchange's own class name, as admins search for it
  ['msexchdynamicdistributionlist', 'msExchDynamicDistributionList'],
]);

/** The object classes as reports spell them ("User", "PublicFolder"). */
export const OBJECT_CLASSES: readonly string[] = [...new Set(OBJECT_TYPES.values())];

/** The object class a report names, or null when the text is none. */
export function canonicalObjectType(text: string): string | null {
  const spelled = TYPES_AS_SPELLED.get(text);
  if (spelled) return spelled;
  const t = text.trim();
  // the longest class name is 29 characters: a longer cell is no class and needs no copy
  return t.length > 29 ? null : (OBJECT_TYPES.get(t.toLowerCase()) ?? null);
}
const TYPES_AS_SPELLED = asSpelled(OBJECT_TYPES);

const GUID_RE = /^\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?$/i;

/**
 * A base64 sourceAnchor (the ImmutableId of a GUID is 24 characters ending `==`) or a GUID.
 * Plain words are not ids: base64 must be padded or contain a digit, `+` or `/`.
 */
export function looksLikeObjectId(text: string): boolean {
  const t = text.trim();
  if (GUID_RE.test(t)) return true;
  if (!/^[A-Za-z0-9+/]{16,}={0,2}$/.test(t) || t.length % 4 !== 0) return false;
  return /=$/.test(t) || (/[0-9+/]/.test(t) && /[a-z]/.test(t) && /[A-Z]/.test(t));
}

/**
 * Text an id column can hold: base64 or a GUID, once a wrap's spaces are out. A column read
 * wrongly (cells parted by spaces, a shifted paste) puts a sentence there, which is no id.
 */
export function canBeObjectId(compact: string): boolean {
  return /^[\w+/={}-]+$/.test(compact);
}

/** A GUID (braced or not): an object's id in either directory, where a base64 source anchor is sync's own. */
export function isGuid(text: string): boolean {
  return GUID_RE.test(text.trim());
}

export const EMAIL_RE = /^[^\s@<>()[\]]+@[^\s@<>()[\]]+\.[a-z]{2,}$/i;
