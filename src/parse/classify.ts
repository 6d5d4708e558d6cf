import { ADMIN_ROLE_CONFLICT_CODES, type ErrorCategory } from '../../schemas/report.schema.ts';

/**
 * Classifies an error that no known English sentence explains, in the order the evidence
 * supports (real-reports.md §3): error names and attribute names stay English in every
 * language, so a stated error name decides first, an attribute name second, and only then
 * the wording, in the languages Microsoft has been seen to send. What none of them
 * recognises stays `Unknown`, with its text: never dropped.
 */

/** Documented error names (Microsoft's "Understanding errors during synchronization", Connect Health). */
const CODE_CATEGORIES: Record<string, ErrorCategory> = {
  AttributeValueMustBeUnique: 'DuplicateAttribute',
  // the same sentence as AttributeValueMustBeUnique: a value another object holds
  InvalidSoftMatch: 'DuplicateAttribute',
  PropertyConflict: 'DuplicateAttribute',
  GeneratedUpnConflict: 'DuplicateAttribute',
  ExchangeObjectConflict: 'DuplicateAttribute',
  InvalidHardMatch: 'DataMismatch',
  ObjectTypeMismatch: 'DataMismatch',
  IdentityDataValidationFailed: 'DataValidation',
  DataValidationFailed: 'DataValidation',
  DataValidationFailure: 'DataValidation',
  DomainNotVerified: 'DataValidation',
  DomainMismatch: 'DataValidation',
  FederatedDomainChangeError: 'FederatedDomainChange',
  InvalidFederatedUser: 'FederatedDomainChange',
  LargeObject: 'LargeObject',
  ExceededAllowedLength: 'LargeObject',
  DeletingCloudOnlyObjectNotAllowed: 'DeletingCloudOnlyObject',
  ExistingObjectNotFound: 'ObjectNotFound',
  // a UPN a cloud user with an admin role holds: sync may not soft-match it (tshoot-connect-sync-errors)
  ...Object.fromEntries(ADMIN_ROLE_CONFLICT_CODES.map((code) => [code, 'DuplicateAttribute' as const])),
  'Error 016': 'QuotaExceeded',
};

/** The category a stated error name means, or null when the name is not a documented one. */
export function categoryOfCode(code: string | null | undefined): ErrorCategory | null {
  return code ? (CODE_CATEGORIES[code.trim()] ?? null) : null;
}

/**
 * Section headings of a report grouped by kind: Connect Health's category names
 * (how-to-connect-health-sync.md) and this project's own. "Duplicate Attribute (3)" counts too.
 */
const HEADINGS: [RegExp, ErrorCategory][] = [
  [/^duplicate\s+attributes?$/, 'DuplicateAttribute'],
  [/^data\s+mismatch(?:es)?$/, 'DataMismatch'],
  [/^data\s+validation(?:\s+failures?)?$/, 'DataValidation'],
  [/^federated\s+domain\s+changes?$/, 'FederatedDomainChange'],
  [/^large\s+(?:attributes?|objects?)$/, 'LargeObject'],
  [/^(?:deleting\s+)?cloud-only\s+objects?|^deletions?$/, 'DeletingCloudOnlyObject'],
  [/^objects?\s+not\s+found$/, 'ObjectNotFound'],
  [/^quota(?:\s+exceeded)?$/, 'QuotaExceeded'],
  [/^other(?:\s+errors?)?$/, 'Unknown'],
];

/** The category a section heading names, or undefined when the text is not a heading. */
export function categoryOfHeading(text: string): ErrorCategory | undefined {
  const t = text
    .toLowerCase()
    .replace(/\s*[(:[]\s*\d*\s*[)\]]?\s*$/, '')
    .replace(/[:：]$/, '')
    .trim();
  if (t.length > 40) return undefined;
  return HEADINGS.find(([re]) => re.test(t))?.[1];
}

/**
 * Wording cues per category in the languages reports have been seen in (English, German,
 * Japanese: real-reports.md §3, KB 2647098 de-de/ja-jp) and those Microsoft's translated
 * articles give the same texts in (French, Spanish; Italian: KB 2647098/it, KB 2643629/it,
 * KB f02a39a4 it-it; Polish: KB 3166798 pl-pl; Norwegian, Swedish, Dutch and Ukrainian: KB
 * 2647098 nb-no, sv, nl, uk-ua, duplicates and "not found"), each cue as those texts word it. Checked
 * in this order: duplicate first (its remedy text says "remove", 削除), "invalid" last
 * (every kind of error is "not valid" in some wording).
 */
const CUES: [ErrorCategory, RegExp][] = [
  // an address held by an object of another class (KB f02a39a4): before duplicate, whose "already exists" it also says
  // German as a copy of KB f02a39a4 de-de words it ("weist jedoch einen inkompatiblen Objekttyp auf")
  ['DataMismatch', /incompatible object type|tipo di oggetto incompatibile|inkompatiblen? Objekttyp/i],
  ['QuotaExceeded', /exceeded the number of objects|synchroni[sz]ation has been stopped|Synchronisierung wurde (?:beendet|angehalten)|同期が停止/i],
  [
    'DuplicateAttribute',
    // zh and ko as Microsoft's translations of the duplicate sentence word it ("已经与…相关联", "이미 연결")
    /duplicate|already (?:exists|(?:be )?associated)|same (?:proxy address|value)|bereits|doppelt|derselben|finnes allerede|finns (?:det )?redan|bestaat al|(?:уже|вже) існує|重複|既に|すでに|関連付けられて|紐付けられて|déjà|en double|ya (?:existe|está asociad)|duplicad|esiste già|già associat|zduplikowan|重复|已经与|已與|已存在|이미 (?:연결|있)|중복/i,
  ],
  [
    'ObjectNotFound',
    /not (?:be )?found|nicht gefunden|ikke finnes|inte (?:finns|hittas)|niet gevonden|見つかりません|見つから|introuvable|pas été trouvé|no se (?:encuentra|encontró|ha encontrado)|non (?:è stato|viene) trovat/i,
  ],
  ['LargeObject', /too large|exceeds?|zu groß|überschreitet|大きすぎ|超えて|trop (?:grand|volumineux)|dépasse|demasiado grande|(?:supera|excede)\b/i],
  ['DeletingCloudOnlyObject', /\bdelet|lösch|削除|supprim|elimin/i],
  ['DataValidation', /not valid|invalid|ungültig|nicht gültig|無効|有効ではありません|n['’]est pas valide|non valide|no es válid|no válid/i],
];

/** A link's words are an address, not wording: `aka.ms/duplicateattributeresiliency` says nothing of a row. */
const URL = /\b(?:https?:\/\/|www\.|aka\.ms\/)\S*/gi;

/** Every cue at once (each cue is case-insensitive and nothing else, as this is): most texts asked have none, and one pass tells so instead of six. */
if (CUES.some(([, re]) => re.flags !== 'i')) throw new Error('every wording cue must have the flags of ANY_CUE (i) and no other');
const ANY_CUE = new RegExp(CUES.map(([, re]) => `(?:${re.source})`).join('|'), 'i');

export function categoryOfWording(text: string): ErrorCategory | null {
  const words = text.includes('/') ? text.replace(URL, ' ') : text;
  if (!ANY_CUE.test(words)) return null;
  return CUES.find(([, re]) => re.test(words))?.[0] ?? null;
}

/**
 * "This object has been updated …, but": the object synced and only the value was set aside (en,
 * de, ja). KB 3166795's German has it both as "wurde in … aktualisiert, aber" and "wurde in …,
 * jedoch mit einigen geänderten Eigenschaften aktualisiert".
 */
const QUARANTINE_CUES = /has been updated in|but with some modified properties|wurde in .{0,60}aktualisiert, aber|mit einigen geänderten Eigenschaften aktualisiert|更新されましたが/i;

export function saysValueQuarantined(text: string): boolean {
  return QUARANTINE_CUES.test(text);
}

/** A `FederatedUser.*` attribute is the federated-domain case whatever the sentence or code around it. */
export function refineByAttribute(category: ErrorCategory, attributes: ReadonlyArray<{ name: string }>): ErrorCategory {
  if ((category === 'DataValidation' || category === 'Unknown') && attributes.some((a) => /^FederatedUser\./i.test(a.name))) return 'FederatedDomainChange';
  return category;
}
