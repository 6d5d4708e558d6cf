import type { Attribute, ErrorCategory } from '../../schemas/report.schema.ts';
import { parseAttributeList } from './brackets.ts';
import { PRODUCT, canonicalAttribute } from './vocabulary.ts';

/**
 * The error messages Microsoft has sent, grouped in families recognised by their text.
 * Patterns allow any whitespace (line wraps) between words and every product name.
 * The text does not determine the exact error code (the same sentence is sent for
 * AttributeValueMustBeUnique and InvalidSoftMatch), so families give a category only.
 */

interface Family {
  id: string;
  /**
   * A piece of text every match of `re` contains and other messages rarely do: found first, in
   * one pass for all families. Each starts at a rare letter (j, x, y, v, f: "ob|ject", "pro|xy"),
   * so the scan tests a text's characters against those few and tries the phrases only there
   * (findFamilies ran 30% faster than with anchors starting at common words).
   */
  anchor: string;
  category: ErrorCategory | ((m: RegExpExecArray) => ErrorCategory);
  re: RegExp;
  attributes: (m: RegExpExecArray) => Attribute[];
  errorCode?: (m: RegExpExecArray) => string | null;
  /** The match is a bare error-code word: an error of its own only when no sentence explains it. */
  codeWord?: boolean;
  /** Duplicate attribute resiliency: the object synced, the conflicting value was quarantined. */
  valueQuarantined?: boolean;
}

/** `words('a b')` → a regex source matching those words across any whitespace. */
function words(phrase: string): string {
  return phrase
    .trim()
    .split(/\s+/)
    .map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('\\s+');
}
const P = PRODUCT;
/**
 * Microsoft's bracketed attribute list, "[UserPrincipalName ann@contoso.com;]". A value may hold
 * a pair of its own: a binary attribute is printed as its .NET type name,
 * "[OnPremiseSecurityIdentifier System.Byte[];]" (an export error quoted by orbid365.be), and a
 * DN or X500 value may end "cn=john[1]".
 */
const BRACKET_LIST = '\\[(?:\\[[^[\\]]*\\]|[^\\]])*\\]';
const none = (): Attribute[] => [];

const FAMILIES: Family[] = [
  {
    id: 'duplicate-associated',
    // "may" in the mails, "might" in Microsoft's newer pages and books that quote them: the anchor holds neither
    anchor: words('be associated with another'),
    category: 'DuplicateAttribute',
    re: new RegExp(
      `${words('Unable to update this object')}(?:\\s+in\\s+${P})?,?\\s+${words('because the following')}\\s+attributes?\\s+` +
        `${words('associated with this object')}\\s+ha(?:ve|s)\\s+(?:values?|a\\s+value)\\s+` +
        `that\\s+(?:may|might)\\s+${words('already be associated with another object in your local')}\\s+directory(?:\\s+services)?` +
        `(?:\\s*:\\s*(?<list>${BRACKET_LIST}|[A-Za-z][\\w.]*(?:\\s*(?:,|and)\\s*[A-Za-z][\\w.]*)*))?`,
      'gi',
    ),
    attributes: (m) => parseAttributeList(m.groups?.list ?? ''),
  },
  {
    // KB 3166795: "This object has been updated in your Microsoft Entra ID, but with some modified
    // properties, because the following attributes are associated with another object [ProxyAddresses SMTP:…;]."
    id: 'resiliency-modified-properties',
    anchor: words('ject has been updated in'),
    category: 'DuplicateAttribute',
    re: new RegExp(
      `${words('This object has been updated in')}\\s+(?:your\\s+)?${P},?\\s+${words('but with some modified properties')},?\\s+` +
        `${words('because the following')}\\s+attributes?\\s+(?:are|is)\\s+${words('associated with another object')}(?:\\s*:?\\s*(?<list>${BRACKET_LIST}))?`,
      'gi',
    ),
    attributes: (m) => parseAttributeList(m.groups?.list ?? ''),
    valueQuarantined: true,
  },
  {
    // KB 3166795, as the portal shows it: "[DIRSYNC ERROR]: This User has been synced to your Azure Active
    // Directory, but we had to modify the UserPrincipalName property from a@x to a1234@x.onmicrosoft.com because…"
    id: 'resiliency-had-to-modify',
    anchor: words('y created with this value'),
    category: 'DuplicateAttribute',
    re: new RegExp(
      `(?:${words('This')}\\s+\\w+\\s+${words('has been synced to your')}\\s+${P},?\\s+)?${words('but we had to modify the')}\\s+(?<attr>[\\w.]+)\\s+` +
        `${words('property from')}\\s+(?<value>\\S+?)\\s+to\\s+\\S+?\\s+because[^.]*?${words('was already created with this value')}`,
      'gi',
    ),
    attributes: (m) => [{ name: canonicalAttribute(m.groups!.attr!) ?? m.groups!.attr!, value: m.groups!.value! }],
    valueQuarantined: true,
  },
  {
    // InvalidHardMatch (Set-EntraDirSyncFeature docs): the source anchor is taken by a cloud-created object
    id: 'hard-match-same-anchor',
    anchor: words('ject with the same source anchor'),
    category: 'DataMismatch',
    re: new RegExp(`${words('Another cloud created object with the same source anchor already exists in')}\\s+${P}`, 'gi'),
    attributes: () => [{ name: 'SourceAnchor', value: null }],
    errorCode: () => 'InvalidHardMatch',
  },
  {
    // KB f02a39a4 (contacts and groups FOPE migrated into the cloud with the wrong object class):
    // "An object with the same proxy address already exists in Windows Azure Active Directory but
    // is of an incompatible object type (object classes: contact, group, or user)."
    id: 'incompatible-object-type',
    anchor: words('f an incompatible object type'),
    category: 'DataMismatch',
    re: new RegExp(`${words('An object with the same proxy address already exists in')}\\s+${P},?\\s+${words('but is of an incompatible object type')}(?:\\s*\\([^)]{0,80}\\))?`, 'gi'),
    attributes: () => [{ name: 'ProxyAddresses', value: null }],
    errorCode: () => 'ObjectTypeMismatch',
  },
  {
    id: 'duplicate-same-proxy',
    anchor: words('xy address already exists'),
    category: 'DuplicateAttribute',
    re: new RegExp(`${words('A synchronized object with the same proxy address already exists in your')}\\s+${P}\\s+directory`, 'gi'),
    attributes: () => [{ name: 'ProxyAddresses', value: null }],
  },
  {
    id: 'duplicate-detected',
    anchor: words('flict on the value'),
    category: 'DuplicateAttribute',
    re: new RegExp(`${words('We detected a duplicate')}\\s+(?<attr>[\\w.]+)\\s+${words('conflict on the value')}\\s+(?<value>\\S+?)\\.?(?=\\s|$)`, 'gi'),
    attributes: (m) => [{ name: canonicalAttribute(m.groups!.attr!) ?? m.groups!.attr!, value: m.groups!.value! }],
  },
  {
    id: 'duplicate-another-object',
    anchor: words('value for property'),
    category: 'DuplicateAttribute',
    re: new RegExp(`${words('Another object with the same value for property')}\\s+(?<attr>[\\w.]+)\\s+${words('already exists')}`, 'gi'),
    attributes: (m) => [{ name: canonicalAttribute(m.groups!.attr!) ?? m.groups!.attr!, value: null }],
  },
  {
    id: 'duplicate-other-class',
    anchor: words('xy address with an object'),
    category: 'DuplicateAttribute',
    re: new RegExp(`(?:${words('Object failed to update because it')}\\s+)?${words('shares the same proxy address with an object of a different class')}`, 'gi'),
    attributes: () => [{ name: 'ProxyAddresses', value: null }],
  },
  {
    id: 'attribute-not-valid',
    anchor: `ject(?:\\s+in\\s+${P})?,?\\s+${words('because the attribute')}`,
    category: (m) => (/^FederatedUser\./i.test(m.groups!.attr!) ? 'FederatedDomainChange' : 'DataValidation'),
    re: new RegExp(
      `${words('Unable to update this object')}(?:\\s+in\\s+${P})?,?\\s+${words('because the attribute')}\\s+\\[?(?<attr>[A-Za-z][\\w.]*)\\]?,?\\s+${words('is not valid')}`,
      'gi',
    ),
    // "[None]": Microsoft could not name the attribute (timmcmic.blog, 2023)
    attributes: (m) => (/^none$/i.test(m.groups!.attr!) ? [] : [{ name: canonicalAttribute(m.groups!.attr!) ?? m.groups!.attr!, value: null }]),
  },
  {
    id: 'large-object',
    anchor: words('visioned object is too large'),
    category: 'LargeObject',
    re: new RegExp(`${words('The provisioned object is too large')}`, 'gi'),
    attributes: none,
  },
  {
    id: 'exceeded-length',
    anchor: 'xceeds?\\s+the\\s+(?:maximum\\s+)?allowed',
    category: 'LargeObject',
    re: /(?:value\s+)?exceeds?\s+the\s+(?:maximum\s+)?allowed\s+(?:length|size|number\s+of\s+values)/gi,
    attributes: none,
  },
  {
    id: 'invalid-characters',
    anchor: 'valid\\s+characters?',
    category: 'DataValidation',
    re: new RegExp(
      `(?:${words('The value')}\\s+(?:of|for)\\s+(?:the\\s+)?(?:attribute|property)\\s+\\[?(?<attr>[A-Za-z][\\w.]*)\\]?\\s+)?contains?\\s+(?:one\\s+or\\s+more\\s+)?invalid\\s+characters?`,
      'gi',
    ),
    attributes: (m) => (m.groups?.attr ? [{ name: canonicalAttribute(m.groups.attr) ?? m.groups.attr, value: null }] : []),
  },
  {
    id: 'data-validation-failed',
    anchor: 'ValidationFailed',
    category: 'DataValidation',
    re: /(?<![\w/\-.])(?:Identity)?DataValidationFailed(?![\w\-/])/g,
    attributes: none,
    codeWord: true,
  },
  {
    id: 'delete-not-valid',
    anchor: `${words('ynchronization operation')},?\\s+Delete`,
    category: 'DeletingCloudOnlyObject',
    re: new RegExp(`${words('This synchronization operation')},?\\s+Delete,?\\s+${words('is not valid')}`, 'gi'),
    attributes: none,
  },
  {
    id: 'delete-cloud-only',
    anchor: "y\\s+object\\s+(?:isn't|isn’t|is\\s+not)\\s+supported",
    category: 'DeletingCloudOnlyObject',
    re: new RegExp(`${words('Deleting a cloud-only object')}\\s+(?:isn't|isn’t|is\\s+not)\\s+supported`, 'gi'),
    attributes: none,
  },
  {
    id: 'cloud-only-credential',
    anchor: "y\\s+users['’]?\\s+credential",
    category: 'DeletingCloudOnlyObject',
    re: new RegExp(
      `${words('Unable to process this update because one or more cloud-only')}\\s+users['’]?\\s+${words('credential update is included in the current request')}`,
      'gi',
    ),
    attributes: none,
  },
  {
    id: 'cloud-only-password',
    anchor: words('xecuted because it contains'),
    category: 'DeletingCloudOnlyObject',
    re: new RegExp(
      // the sentence goes on ", which isn't supported.": a text broken before it must not leave that as an error of its own
      `${words('The password change request')}\\s+can(?:'|’|no)t\\s+${words('be executed because it contains changes to one or more cloud-only user')}\\s+objects?` +
        `(?:,?\\s+which\\s+(?:isn't|isn’t|is\\s+not)\\s+supported)?`,
      'gi',
    ),
    attributes: none,
  },
  {
    id: 'user-id-not-found',
    anchor: words('ject because the user ID'),
    category: 'ObjectNotFound',
    re: new RegExp(`${words('Unable to update this object because the user ID is not found')}`, 'gi'),
    attributes: none,
  },
  {
    id: 'existing-object-not-found',
    anchor: 'jectNotFound',
    category: 'ObjectNotFound',
    re: /(?<![\w/\-.])ExistingObjectNotFound(?![\w\-/])/g,
    attributes: none,
    codeWord: true,
  },
  {
    id: 'quota',
    anchor: words('xceeded the number of objects'),
    category: 'QuotaExceeded',
    re: new RegExp(
      `(?:Error\\s+(?<code>0?16)\\s*:\\s*)?${words('Synchronization has been stopped')}\\.?\\s+(?:This|The)\\s+${words('company has exceeded the number of objects that can be synchronized')}`,
      'gi',
    ),
    attributes: none,
    errorCode: (m) => (m.groups?.code ? 'Error 016' : null),
  },
];

/**
 * Sentences Microsoft appends to an error: they belong to its message. Consumed after a
 * family match so the message ends where the error does, not mid-paragraph. Sticky, and
 * only measured (`test` makes no match array).
 */
const TAIL_AT = new RegExp(
  '[\\s.,;]*(?:' +
    [
      BRACKET_LIST,
      `${words('Correct or remove the duplicate values in your local directory')}`,
      `${words('Update the value in your local')}\\s+(?:directory\\s+services|Active\\s+Directory)`,
      `${words('Trim the number of attribute values on this object')}`,
      `${words('Correct the issue in your local directory services or')}\\s+${P}\\s+${words('and retry')}`,
      `${words('The operation will be retried in the next synchronization cycle')}`,
      'Please\\s+refer\\s+to\\s+\\S+\\s+for\\s+[^.]*',
      'See\\s+\\S+\\s+for\\s+[^.]*',
      `${words('For more information')}[^.]*`,
      'Contact\\s+(?:Technical|Microsoft|your)[^.]*',
      `${words('All attribute values need to be unique across objects')}`,
      `${words('To resolve this conflict')}[^.]*`,
      `${words('Then, update or remove the conflicting value from the other object(s)')}`,
      `${words('This error was detected on')}\\s+[^.]*?(?:AM|PM|\\d)(?=\\.|\\s|$)`,
      'Tracking\\s+I[Dd]\\s*:?\\s*[0-9a-fA-F-]{36}',
    ].join('|') +
    ')',
  'iy',
);
/** How far Microsoft's trailing sentences reach beyond a message. */
const TAIL_WINDOW = 600;

/** The length of the trailing sentence at `end`, looked for within the next 600 characters (0: none). */
function tailAt(text: string, end: number): number {
  // past the window, a copy of it bounds what the sentences' `[^.]*` may read
  const windowed = text.length - end > TAIL_WINDOW;
  TAIL_AT.lastIndex = windowed ? 0 : end;
  if (!TAIL_AT.test(windowed ? text.slice(end, end + TAIL_WINDOW) : text)) return 0;
  return windowed ? TAIL_AT.lastIndex : TAIL_AT.lastIndex - end;
}

export interface FamilyMatch {
  familyId: string;
  codeWord: boolean;
  valueQuarantined: boolean;
  category: ErrorCategory;
  errorCode: string | null;
  attributes: Attribute[];
  start: number;
  /** End of the message: the match plus Microsoft's standard trailing sentences. */
  end: number;
}

const FULL_STOP = 0x2e;

/**
 * One scan for every family's anchor; only the families whose anchor occurs run their full
 * pattern. The scan has no capture groups (with one per family, every match made an array of
 * 22 slots for the garbage collector): the family a match belongs to is the first whose anchor
 * matches there, tried among the few whose anchor starts with the same letter (in `i` mode
 * without `u`, only an ASCII letter matches an ASCII letter).
 */
if (FAMILIES.length > 31) throw new Error('findFamilies keeps one bit per family: at most 31');
const ANCHORS = new RegExp(FAMILIES.map((f) => `(?:${f.anchor})`).join('|'), 'gi');
/** Per lower-case first letter of an anchor: its families, in FAMILIES order, each with its bit and its anchor, sticky. */
const BY_FIRST_LETTER = new Map<number, Array<{ family: Family; bit: number; at: RegExp }>>();
FAMILIES.forEach((family, i) => {
  const letter = family.anchor.charCodeAt(0) | 0x20;
  if (letter < 0x61 || letter > 0x7a) throw new Error(`the anchor of ${family.id} must start with a letter`);
  const list = BY_FIRST_LETTER.get(letter) ?? [];
  list.push({ family, bit: 1 << i, at: new RegExp(family.anchor, 'iy') });
  BY_FIRST_LETTER.set(letter, list);
});

/** Every known error in `text`, in order, without overlaps. */
export function findFamilies(text: string): readonly FamilyMatch[] {
  // the families whose anchor occurs, in the order of their first anchor (a bit each: no Set
  // per text); the first one's matches made at once, as most texts hold one sentence
  let seen = 0;
  let found: FamilyMatch[] | null = null;
  let more: Family[] | null = null;
  // the first anchor by `search`, which makes no match array: most texts need no other
  for (let index = text.search(ANCHORS); index >= 0; index = ANCHORS.exec(text)?.index ?? -1) {
    // past this position whatever follows (`search` leaves lastIndex as it was): the scan always moves on
    ANCHORS.lastIndex = index + 1;
    for (const { family, bit, at } of BY_FIRST_LETTER.get(text.charCodeAt(index) | 0x20)!) {
      at.lastIndex = index;
      if (!at.test(text)) continue;
      // the next anchor is looked for after this one, where the scan's own match ends
      ANCHORS.lastIndex = at.lastIndex;
      if (!(seen & bit)) {
        seen |= bit;
        if (found) (more ??= []).push(family);
        else {
          found = [];
          matchFamily(family, text, found);
          // Most descriptions are one sentence and nothing else: a match of the whole text is
          // the answer (any other starts inside it, and would be dropped below), and the rest
          // of the text needs no scan.
          if (found[0] && spansWholeText(found[0], text)) return found;
        }
      }
      break;
    }
  }
  if (!found) return NO_FAMILIES;
  if (more) for (const family of more) matchFamily(family, text, found);
  if (found.length <= 1) return found; // one sentence: nothing overlaps, nothing to drop
  found.sort((a, b) => a.start - b.start || b.end - a.end);
  // A sentence matched by two families (e.g. a code word inside a longer message) counts once.
  const result: FamilyMatch[] = [];
  for (const f of found) {
    const last = result.at(-1);
    if (last && f.start < last.end) continue;
    result.push(f);
  }
  // "0x8023134a DataValidationFailed" beside the sentence it codes is that error's code, not a second error
  return result.some((f) => !f.codeWord) ? result.filter((f) => !f.codeWord) : result;
}

/** No sentence in a text (shared: never written to). */
export const NO_FAMILIES: readonly FamilyMatch[] = [];

/** Every match of one family's full pattern in `text`, each with Microsoft's trailing sentences. */
function matchFamily(family: Family, text: string, found: FamilyMatch[]): void {
  family.re.lastIndex = 0;
  for (let m = family.re.exec(text); m; m = family.re.exec(text)) {
    if (m[0].length === 0) {
      family.re.lastIndex++;
      continue;
    }
    const start = m.index;
    let end = start + m[0].length;
    for (let tail = tailAt(text, end); tail > 0; tail = tailAt(text, end)) end += tail;
    // a trailing full stop (or two: "quota..") belongs to the sentence
    while (text.charCodeAt(end) === FULL_STOP) end++;
    const match: FamilyMatch = {
      familyId: family.id,
      codeWord: family.codeWord ?? false,
      valueQuarantined: family.valueQuarantined ?? false,
      category: typeof family.category === 'function' ? family.category(m) : family.category,
      errorCode: family.errorCode?.(m) ?? null,
      attributes: family.attributes(m),
      start,
      end,
    };
    found.push(match);
    // every later match would start inside this one, and be dropped
    if (spansWholeText(match, text)) return;
  }
}

/** The match runs from the text's first character to its last, Microsoft's trailing sentences included (most description cells). */
export function spansWholeText(match: FamilyMatch, text: string): boolean {
  return match.start === 0 && match.end >= text.length;
}
