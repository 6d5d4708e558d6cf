/**
 * Dates as mail clients write them in forward headers and Microsoft in its reports:
 * RFC 2822, "Tuesday, 03 January 2012 23:54:02 GMT", "Tue, Jan 3, 2012 at 11:54 PM",
 * "Dienstag, 3. Januar 2012 23:54", "mardi 3 janvier 2012 23:54", "viernes, 16 de junio de
 * 2017 12:03 p.m.", "2025年9月24日 20:04", "16 April 2020 at 19:20:11 BST". Without a zone
 * the time is taken in `offsetMinutes` (a forward header carries the forwarder's local time:
 * the caller passes the zone of the forwarder's own Date header), else as UTC.
 *
 * A numeric date whose day and month can be swapped (05/09/2017) is read in `order` (the
 * convention of the layout that wrote it), else the reading near `near` (the carrier's date:
 * a forward is sent within days of its report), else not at all: null, never a guess.
 */

export interface LooseDateOptions {
  /** How the layout writes numeric dates: French, German, Spanish … headers put the day first. */
  order?: 'dmy' | 'mdy';
  /** Zone of a date written without one, in minutes east of UTC. */
  offsetMinutes?: number | null;
  /** An ISO instant the date is known to be close to (within days), to settle day/month order. */
  near?: string | null;
}

/** Zone abbreviations mail clients print (Apple Mail: "at 19:20:11 BST"); ambiguous ones (IST) are left out. */
const ZONES: Record<string, number> = {
  GMT: 0, UTC: 0, UT: 0, Z: 0, WET: 0, BST: 60, WEST: 60, CET: 60, MEZ: 60, CEST: 120, MESZ: 120, EET: 120, EEST: 180, MSK: 180,
  EST: -300, EDT: -240, CST: -360, CDT: -300, MST: -420, MDT: -360, PST: -480, PDT: -420, AKST: -540, AKDT: -480, HST: -600,
  JST: 540, KST: 540, AEST: 600, AEDT: 660, ACST: 570, AWST: 480, NZST: 720, NZDT: 780, SGT: 480, HKT: 480,
};
const ZONE_RE = new RegExp(`(?<![\\p{L}])(${Object.keys(ZONES).join('|')})(?![\\p{L}])`, 'u');
const NEAR_MS = 8 * 86_400_000;

/** Month names ICU does not write: forms without accents or umlauts, and older abbreviations. */
const EXTRA_MONTH_NAMES: string[][] = [
  ['jänner', 'janv', 'ene', 'gen'],
  ['fevrier', 'févr', 'fev'],
  ['maerz', 'mrz', 'mrt', 'marco'],
  ['avr', 'abr'],
  ['mag'],
  ['giu'],
  ['juil', 'lug'],
  ['aout', 'ago'],
  ['sept', 'set'],
  ['okt', 'ott'],
  [],
  ['decembre', 'déc', 'dez', 'dic'],
];

/**
 * The languages whose month names and AM/PM words a forward header may carry: those of
 * Outlook's and Gmail's interfaces. Their names come from ICU (Node's full ICU), in every
 * form a client prints: alone ("kwiecień"), in a date ("16 kwietnia", "16. huhtikuuta"),
 * short ("kwi", "квіт.").
 */
const LOCALES = [
  'en', 'de', 'fr', 'es', 'it', 'pt', 'nl', 'sv', 'da', 'nb', 'nn', 'fi', 'is', 'pl', 'cs', 'sk', 'hu', 'ro', 'hr', 'sl', 'sr-Latn',
  'sr-Cyrl', 'bs', 'bg', 'mk', 'ru', 'uk', 'be', 'el', 'tr', 'et', 'lv', 'lt', 'ca', 'eu', 'gl', 'ga', 'cy', 'sq', 'az', 'kk', 'uz',
  'id', 'ms', 'fil', 'af', 'sw', 'he', 'ar', 'fa', 'hi', 'th', 'vi', 'ja', 'zh', 'zh-TW', 'ko', 'ka', 'hy',
];

/**
 * A word as the tables hold it: lower case, without dots or spaces ("p. m." → "pm", "апр." →
 * "апр"), and without the geresh Hebrew abbreviates with ("בספט׳", its dot).
 */
const wordKey = (word: string): string => word.toLowerCase().replace(/[.\s\u05f3]/g, '');

interface DateWords {
  /** The months a word names: one, or two when languages disagree (Croatian "listopad" is October, Polish and Czech November). */
  months: ReadonlyMap<string, readonly number[]>;
  /**
   * Months by a dotted abbreviation that is the start of a long name ("lokak." for
   * "lokakuuta", as Finnish Gmail writes it): ICU does not write every such form, but a
   * start of four letters or more that begins one month's names and no other's is that month.
   */
  truncated: ReadonlyMap<string, number>;
  /** AM and PM words ("PM", "p. m.", "下午", "μ.μ.", "odp.") by their wordKey: true for PM. */
  dayPeriods: ReadonlyMap<string, boolean>;
}

let dateWords: DateWords | undefined;

/**
 * Built on first use (a few thousand ICU calls). A word that is AM in one language and PM in
 * another is left out: such a time is read without it, never as the wrong half of the day.
 */
function words(): DateWords {
  if (dateWords) return dateWords;
  const months = new Map<string, number[]>();
  const addMonth = (name: string, month: number): void => {
    const key = wordKey(name);
    if (key.length < 3 || !/^\p{L}+$/u.test(key)) return;
    const known = months.get(key) ?? [];
    if (!known.includes(month)) months.set(key, [...known, month]);
  };
  const longNames = new Set<string>();
  const periods = new Map<string, boolean>();
  const periodClashes = new Set<string>();
  for (const locale of LOCALES) {
    const forms = [{ month: 'long' }, { month: 'short' }, { day: 'numeric', month: 'long' }, { day: 'numeric', month: 'short' }] as const;
    for (const form of forms) {
      const format = new Intl.DateTimeFormat(locale, { ...form, timeZone: 'UTC' });
      for (let m = 0; m < 12; m++) {
        const parts = format.formatToParts(new Date(Date.UTC(2020, m, 16)));
        const at = parts.findIndex((p) => p.type === 'month');
        const part = parts[at];
        if (!part) continue;
        addMonth(part.value, m);
        // a preposition written onto the month ("16 בספטמבר", Hebrew's "in"): the word as a date shows it
        const glued = at > 0 ? GLUED_PREFIX_RE.exec(parts[at - 1]!.value)?.[0] : undefined;
        if (glued) addMonth(glued + part.value, m);
        if (form.month === 'long') longNames.add(wordKey(part.value));
      }
    }
    const clock = new Intl.DateTimeFormat(locale, { hour: 'numeric', hour12: true, timeZone: 'UTC' });
    for (const [hour, pm] of [[8, false], [20, true]] as const) {
      const period = clock.formatToParts(new Date(Date.UTC(2020, 3, 16, hour))).find((p) => p.type === 'dayPeriod');
      if (!period) continue;
      const key = wordKey(period.value);
      if (periods.has(key) && periods.get(key) !== pm) periodClashes.add(key);
      periods.set(key, pm);
    }
  }
  for (const key of periodClashes) periods.delete(key);
  EXTRA_MONTH_NAMES.forEach((names, m) => names.forEach((n) => addMonth(n, m)));
  dateWords = {
    months,
    truncated: truncatedNames(longNames, months),
    dayPeriods: periods,
  };
  return dateWords;
}

const GLUED_PREFIX_RE = /\p{L}+$/u;

/** Every start of four letters or more of a long month name, where it names one month only and is no name of its own. */
function truncatedNames(longNames: ReadonlySet<string>, names: ReadonlyMap<string, readonly number[]>): Map<string, number> {
  const starts = new Map<string, number | null>();
  for (const name of longNames) {
    const months = names.get(name);
    if (!months) continue;
    const month = months.length === 1 ? months[0]! : null;
    for (let end = 4; end < name.length; end++) {
      const start = name.slice(0, end);
      if (names.has(start)) continue;
      starts.set(start, starts.has(start) && starts.get(start) !== month ? null : month);
    }
  }
  return new Map([...starts].filter((e): e is [string, number] => e[1] !== null));
}

/**
 * The first whole word of the text that names a month, with its dot. A look-up per word, not
 * one regex of every month name of every locale: that alternation took ~10 µs a date, and
 * several times that whenever a garbage collection had thrown its compiled code away.
 */
function monthWord(text: string): { index: number; 0: string; 1: string } | null {
  const { months } = words();
  for (const m of text.matchAll(LETTER_RUN_RE)) {
    if (months.has(m[1]!.toLowerCase())) return { index: m.index, 0: m[0], 1: m[1]! };
  }
  return null;
}
const LETTER_RUN_RE = /(\p{L}+)[.\u05f3]?/gu;

/** A dotted month abbreviation ICU does not write ("lokak."), as `monthWord` gives a month. */
function truncatedMonth(text: string): { index: number; 0: string; 1: string } | null {
  for (const m of text.matchAll(/(?<!\p{L})(\p{L}{4,})\.(?!\p{L})/gu)) {
    if (words().truncated.has(m[1]!.toLowerCase())) return { index: m.index, 0: m[0], 1: m[1]! };
  }
  return null;
}

function zoneOffsetMinutes(text: string): number | null {
  // "+0200", "GMT+02:00", and "GMT+3" / "UTC+3" as Apple Mail and Gmail write them
  const z = /(?:GMT|UTC)\s*([+-])(\d{1,2})(?::?(\d{2}))?(?!\d)/.exec(text) ?? /([+-])(\d{2}):?(\d{2})\b/.exec(text);
  if (z) return (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3] ?? 0));
  const named = ZONE_RE.exec(text);
  return named ? ZONES[named[1]!]! : null;
}

/** The zone of an RFC 2822 Date header ("Thu, 16 Apr 2020 20:31:02 +0200"), in minutes east of UTC. */
export function headerZoneMinutes(header: string | null | undefined): number | null {
  const z = /([+-])(\d{2})(\d{2})\s*(?:\([^)]*\))?\s*$/.exec(header ?? '');
  return z ? (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3])) : null;
}

/** Day and month of a numeric date, or null when they can be swapped and nothing settles which. */
function dayMonth(a: number, b: number, year: number, options: LooseDateOptions): [number, number] | null {
  if (a > 12 && b <= 12) return [a, b - 1];
  if (b > 12 && a <= 12) return [b, a - 1];
  if (a === b || options.order === 'dmy') return [a, b - 1];
  if (options.order === 'mdy') return [b, a - 1];
  return onlyNear([[a, b - 1], [b, a - 1]], year, options.near);
}

/** The one of the [day, month] readings that falls within days of `near`, else null. */
function onlyNear(readings: Array<[number, number]>, year: number, near: string | null | undefined): [number, number] | null {
  const at = near ? Date.parse(near) : NaN;
  if (Number.isNaN(at)) return null;
  const fits = readings.filter(([d, m]) => Math.abs(Date.UTC(year, m, d) - at) <= NEAR_MS);
  return fits.length === 1 ? fits[0]! : null;
}

/** Arabic-Indic, Persian and full-width digits (Gmail in Arabic writes "٣ فبراير ٢٠١٩ ٥:٤١ ص"): read as 0–9. */
const HAS_OTHER_DIGITS = /[\u0660-\u0669\u06f0-\u06f9\uff10-\uff19]/;
const OTHER_DIGITS = new RegExp(HAS_OTHER_DIGITS.source, 'g');
const asciiDigit = (d: string): string => String(d.charCodeAt(0) - (d >= '\uff10' ? 0xff10 : d >= '\u06f0' ? 0x06f0 : 0x0660));

export function parseLooseDate(input: string | null | undefined, options: LooseDateOptions = {}): string | null {
  if (!input) return null;
  const text = (HAS_OTHER_DIGITS.test(input) ? input.replace(OTHER_DIGITS, asciiDigit) : input).replace(/\s+/g, ' ').trim();
  if (!text || text.length > 120) return null;
  // RFC 2822 and ISO forms: let the engine read them when it can
  if (/^(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s+\d{1,2}:\d{2}/.test(text) || /^\d{4}-\d{2}-\d{2}T/.test(text)) {
    const t = Date.parse(text);
    if (!Number.isNaN(t)) return new Date(t).toISOString();
  }
  // a month word that gives no date ("May Lee wrote 28/10/2021 12:46:" names a person) leaves the numbers to read
  const day = cjkDay(text) ?? monthNameDay(text, options) ?? numericDay(text, options);
  if (!day) return null;
  const { year, mon, rest } = day;
  // "20:20", "21.20" (Finnish, Danish), with an AM/PM word before ("下午 08:20") or after ("8:20 p. m.", "8:20 μ.μ.")
  const time = /(?<!\d)(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?(?!\d)/.exec(rest);
  let hours = 0;
  let minutes = 0;
  let seconds = 0;
  let zoneText = rest;
  if (time) {
    hours = Number(time[1]);
    minutes = Number(time[2]);
    seconds = Number(time[3] ?? 0);
    zoneText = rest.slice(time.index + time[0].length);
    const { dayPeriods } = words();
    const after = /^\s*(\p{L}\.?(?:\s?\p{L}+\.?)?)/u.exec(zoneText)?.[1];
    const before = /(\S+)\s*$/.exec(rest.slice(0, time.index))?.[1];
    const pm = dayPeriods.get(wordKey(after ?? '')) ?? dayPeriods.get(wordKey(before ?? ''));
    if (pm === true && hours < 12) hours += 12;
    if (pm === false && hours === 12) hours = 0;
  } else {
    // an hour alone with its day period ("Monday, March 9, 2026 6 PM GMT"): not midnight
    const hour = HOUR_ALONE.exec(rest);
    const pm = hour ? words().dayPeriods.get(wordKey(hour[2]!)) : undefined;
    if (hour && pm !== undefined) {
      hours = (Number(hour[1]) % 12) + (pm ? 12 : 0);
      zoneText = rest.slice(hour.index + hour[0].length);
    }
  }
  if (year < 1990 || year > 2100 || mon < 0 || mon > 11 || day.day < 1 || day.day > 31 || hours > 23 || minutes > 59 || seconds > 60) return null;
  const offset = zoneOffsetMinutes(zoneText) ?? options.offsetMinutes ?? 0;
  const ms = Date.UTC(year, mon, day.day, hours, minutes, seconds) - offset * 60_000;
  return new Date(ms).toISOString();
}

const HOUR_ALONE = /(?<![\d:.])(1[0-2]|0?[1-9])\s*(\p{L}\.?(?:\s?\p{L}+\.?)?)/u;

/** A calendar day read from a date's text, and the text after it (its time and zone). */
interface DayReading {
  year: number;
  /** 0 for January. */
  mon: number;
  day: number;
  rest: string;
}

/** "2025年9月24日", "2020년 4월 16일". */
function cjkDay(text: string): DayReading | null {
  const cjk = /(\d{4})\s*[年년]\s*(\d{1,2})\s*[月월]\s*(\d{1,2})\s*[日일]/u.exec(text);
  return cjk ? { year: Number(cjk[1]), mon: Number(cjk[2]) - 1, day: Number(cjk[3]), rest: text.slice(cjk.index + cjk[0].length) } : null;
}

/** "16 kwietnia 2020", "April 16, 2020", "2020. április 16." (Hungarian puts the year first). */
function monthNameDay(text: string, options: LooseDateOptions): DayReading | null {
  const month = monthWord(text) ?? truncatedMonth(text);
  if (!month) return null;
  const before = text.slice(0, month.index);
  const after = text.slice(month.index + month[0].length);
  const dayAfter = /^\s*(\d{1,2})(?:st|nd|rd|th)?\b\.?,?/.exec(after);
  const yearBefore = /\b(\d{4})\.?\s*$/.exec(before);
  let year: number;
  let day: number;
  let rest: string;
  if (yearBefore && dayAfter) {
    [year, day] = [Number(yearBefore[1]), Number(dayAfter[1])];
    rest = after.slice(dayAfter[0].length);
  } else {
    const dayBefore = /(\d{1,2})\.?\s*(?:de\s+)?$/.exec(before);
    const yearM = /\b(\d{4})\b/.exec(after);
    if (!yearM) return null;
    year = Number(yearM[1]);
    if (dayBefore) day = Number(dayBefore[1]);
    else if (dayAfter && Number(dayAfter[1]) <= 31 && after.indexOf(dayAfter[1]!) < yearM.index) day = Number(dayAfter[1]);
    else return null;
    rest = after.slice(yearM.index + 4);
  }
  const key = wordKey(month[1]!);
  const months = words().months.get(key) ?? [words().truncated.get(key)!];
  // a word two languages give different months: the one near the carrier's date
  const mon = months.length === 1 ? months[0]! : onlyNear(months.map((m): [number, number] => [day, m]), year, options.near)?.[1];
  return mon === undefined ? null : { year, mon, day, rest };
}

/** "16/04/2020", "16.04.2020", "2020-04-16", "27. 10. 2021" (Czech and Slovak put a space after each dot). */
function numericDay(text: string, options: LooseDateOptions): DayReading | null {
  const numeric = /\b(\d{1,4})(?:[/-]|\.\s?)(\d{1,2})(?:[/-]|\.\s?)(\d{2,4})\b/.exec(text);
  if (!numeric) return null;
  const [a, b, c] = [Number(numeric[1]), Number(numeric[2]), Number(numeric[3])];
  const rest = text.slice(numeric.index + numeric[0].length);
  if (numeric[1]!.length === 4) return { year: a, mon: b - 1, day: c, rest };
  const year = c < 100 ? 2000 + c : c;
  // 03.01.2012 is day first wherever it is written; a slash date follows the layout
  const dm = text.includes('/') ? dayMonth(a, b, year, options) : [a, b - 1];
  return dm ? { year, mon: dm[1]!, day: dm[0]!, rest } : null;
}
