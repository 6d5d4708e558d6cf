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

const MONTHS: Record<string, number> = {};
const NAMES: string[][] = [
  ['january', 'jan', 'januar', 'jänner', 'janvier', 'janv', 'enero', 'ene', 'gennaio', 'gen', 'januari', 'janeiro'],
  ['february', 'feb', 'februar', 'février', 'fevrier', 'févr', 'febrero', 'febbraio', 'februari', 'fevereiro', 'fev'],
  ['march', 'mar', 'märz', 'maerz', 'mrz', 'mars', 'marzo', 'maart', 'mrt', 'março', 'marco'],
  ['april', 'apr', 'avril', 'avr', 'abril', 'abr', 'aprile'],
  ['may', 'mai', 'mayo', 'maggio', 'mag', 'mei', 'maio'],
  ['june', 'jun', 'juni', 'juin', 'junio', 'giugno', 'giu', 'junho'],
  ['july', 'jul', 'juli', 'juillet', 'juil', 'julio', 'luglio', 'lug', 'julho'],
  ['august', 'aug', 'août', 'aout', 'agosto', 'ago', 'augustus'],
  ['september', 'sep', 'sept', 'septembre', 'septiembre', 'settembre', 'set', 'setembro'],
  ['october', 'oct', 'oktober', 'okt', 'octobre', 'octubre', 'ottobre', 'ott', 'outubro'],
  ['november', 'nov', 'novembre', 'noviembre', 'novembro'],
  ['december', 'dec', 'dezember', 'dez', 'décembre', 'decembre', 'déc', 'diciembre', 'dic', 'dicembre', 'dezembro'],
];
NAMES.forEach((names, i) => names.forEach((n) => (MONTHS[n] = i)));

const MONTH_RE = new RegExp(`(?<![\\p{L}])(${Object.keys(MONTHS).sort((a, b) => b.length - a.length).join('|')})\\.?(?![\\p{L}])`, 'iu');

function zoneOffsetMinutes(text: string): number | null {
  const z = /(?:GMT|UTC)?\s*([+-])(\d{2}):?(\d{2})\b/.exec(text);
  if (z) return (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3]));
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
  const near = options.near ? Date.parse(options.near) : NaN;
  if (!Number.isNaN(near)) {
    const fits = [[a, b - 1] as [number, number], [b, a - 1] as [number, number]].filter(([d, m]) => Math.abs(Date.UTC(year, m, d) - near) <= NEAR_MS);
    if (fits.length === 1) return fits[0]!;
  }
  return null;
}

export function parseLooseDate(input: string | null | undefined, options: LooseDateOptions = {}): string | null {
  if (!input) return null;
  const text = input.replace(/\s+/g, ' ').trim();
  if (!text || text.length > 120) return null;
  // RFC 2822 and ISO forms: let the engine read them when it can
  if (/^(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s+\d{1,2}:\d{2}/.test(text) || /^\d{4}-\d{2}-\d{2}T/.test(text)) {
    const t = Date.parse(text);
    if (!Number.isNaN(t)) return new Date(t).toISOString();
  }
  const cjk = /(\d{4})\s*[年년]\s*(\d{1,2})\s*[月월]\s*(\d{1,2})\s*[日일]/u.exec(text);
  const month = cjk ? null : MONTH_RE.exec(text);
  let year: number;
  let mon: number;
  let day: number;
  let rest: string;
  if (cjk) {
    [year, mon, day] = [Number(cjk[1]), Number(cjk[2]) - 1, Number(cjk[3])];
    rest = text.slice(cjk.index + cjk[0].length);
  } else if (month) {
    mon = MONTHS[month[1]!.toLowerCase()]!;
    const before = text.slice(0, month.index);
    const after = text.slice(month.index + month[0].length);
    const dayBefore = /(\d{1,2})\.?\s*(?:de\s+)?$/.exec(before);
    const dayAfter = /^\s*(\d{1,2})(?:st|nd|rd|th)?\b,?/.exec(after);
    const yearM = /\b(\d{4})\b/.exec(after);
    if (!yearM) return null;
    year = Number(yearM[1]);
    if (dayBefore) day = Number(dayBefore[1]);
    else if (dayAfter && dayAfter.index === 0 && Number(dayAfter[1]) <= 31 && after.indexOf(dayAfter[1]!) < yearM.index) day = Number(dayAfter[1]);
    else return null;
    rest = after.slice(yearM.index + 4);
  } else {
    const numeric = /\b(\d{1,4})[./-](\d{1,2})[./-](\d{2,4})\b/.exec(text);
    if (!numeric) return null;
    const [a, b, c] = [Number(numeric[1]), Number(numeric[2]), Number(numeric[3])];
    if (numeric[1]!.length === 4) [year, mon, day] = [a, b - 1, c];
    else {
      year = c < 100 ? 2000 + c : c;
      // 03.01.2012 is day first wherever it is written; a slash date follows the layout
      const dm = text.includes('/') ? dayMonth(a, b, year, options) : [a, b - 1];
      if (!dm) return null;
      [day, mon] = dm as [number, number];
    }
    rest = text.slice(numeric.index + numeric[0].length);
  }
  const time = /(午前|午後|오전|오후)?\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp]\.?\s?[Mm]\.?)?/u.exec(rest);
  let hours = 0;
  let minutes = 0;
  let seconds = 0;
  if (time) {
    hours = Number(time[2]);
    minutes = Number(time[3]);
    seconds = Number(time[4] ?? 0);
    const marker = time[1] === '午後' || time[1] === '오후' ? 'pm' : time[1] ? 'am' : undefined;
    const ampm = time[5]?.replace(/[.\s]/g, '').toLowerCase() ?? marker;
    if (ampm === 'pm' && hours < 12) hours += 12;
    if (ampm === 'am' && hours === 12) hours = 0;
  }
  if (year < 1990 || year > 2100 || mon < 0 || mon > 11 || day < 1 || day > 31 || hours > 23 || minutes > 59 || seconds > 60) return null;
  const offset = zoneOffsetMinutes(time ? rest.slice(time.index + time[0].length) : rest) ?? options.offsetMinutes ?? 0;
  const ms = Date.UTC(year, mon, day, hours, minutes, seconds) - offset * 60_000;
  return new Date(ms).toISOString();
}
