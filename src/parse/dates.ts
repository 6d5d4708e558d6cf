/**
 * Dates as mail clients write them in forward headers and Microsoft in its reports:
 * RFC 2822, "Tuesday, 03 January 2012 23:54:02 GMT", "Tue, Jan 3, 2012 at 11:54 PM",
 * "Dienstag, 3. Januar 2012 23:54", "mardi 3 janvier 2012 23:54". Without a zone the time
 * is taken as UTC (an Outlook forward header carries the forwarder's local time, unstated).
 */

const MONTHS: Record<string, number> = {};
const NAMES: string[][] = [
  ['january', 'jan', 'januar', 'jänner', 'janvier', 'janv', 'enero', 'ene', 'gennaio', 'gen', 'januari'],
  ['february', 'feb', 'februar', 'février', 'fevrier', 'févr', 'febrero', 'febbraio', 'februari'],
  ['march', 'mar', 'märz', 'maerz', 'mrz', 'mars', 'marzo', 'maart', 'mrt'],
  ['april', 'apr', 'avril', 'avr', 'abril', 'abr', 'aprile'],
  ['may', 'mai', 'mayo', 'maggio', 'mag', 'mei'],
  ['june', 'jun', 'juni', 'juin', 'junio', 'giugno', 'giu'],
  ['july', 'jul', 'juli', 'juillet', 'juil', 'julio', 'luglio', 'lug'],
  ['august', 'aug', 'août', 'aout', 'agosto', 'ago', 'augustus'],
  ['september', 'sep', 'sept', 'septembre', 'septiembre', 'settembre', 'set'],
  ['october', 'oct', 'oktober', 'okt', 'octobre', 'octubre', 'ottobre', 'ott'],
  ['november', 'nov', 'novembre', 'noviembre'],
  ['december', 'dec', 'dezember', 'dez', 'décembre', 'decembre', 'déc', 'diciembre', 'dic', 'dicembre'],
];
NAMES.forEach((names, i) => names.forEach((n) => (MONTHS[n] = i)));

const MONTH_RE = new RegExp(`(?<![\\p{L}])(${Object.keys(MONTHS).sort((a, b) => b.length - a.length).join('|')})\\.?(?![\\p{L}])`, 'iu');

function zoneOffsetMinutes(text: string): number | null {
  const z = /(?:GMT|UTC)?\s*([+-])(\d{2}):?(\d{2})\b/.exec(text);
  if (z) return (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3]));
  if (/\b(GMT|UTC|Z)\b/.test(text)) return 0;
  return null;
}

export function parseLooseDate(input: string | null | undefined): string | null {
  if (!input) return null;
  const text = input.replace(/\s+/g, ' ').trim();
  if (!text || text.length > 120) return null;
  // RFC 2822 and ISO forms: let the engine read them when it can
  if (/^(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s+\d{1,2}:\d{2}/.test(text) || /^\d{4}-\d{2}-\d{2}T/.test(text)) {
    const t = Date.parse(text);
    if (!Number.isNaN(t)) return new Date(t).toISOString();
  }
  const month = MONTH_RE.exec(text);
  let year: number;
  let mon: number;
  let day: number;
  let rest: string;
  if (month) {
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
    else if (text.includes('/')) [mon, day, year] = [a - 1, b, c < 100 ? 2000 + c : c]; // en-US 9/7/17
    else [day, mon, year] = [a, b - 1, c < 100 ? 2000 + c : c]; // 03.01.2012
    rest = text.slice(numeric.index + numeric[0].length);
  }
  const time = /(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp]\.?[Mm]\.?)?/.exec(rest);
  let hours = 0;
  let minutes = 0;
  let seconds = 0;
  if (time) {
    hours = Number(time[1]);
    minutes = Number(time[2]);
    seconds = Number(time[3] ?? 0);
    const ampm = time[4]?.replace(/\./g, '').toLowerCase();
    if (ampm === 'pm' && hours < 12) hours += 12;
    if (ampm === 'am' && hours === 12) hours = 0;
  }
  if (year < 1990 || year > 2100 || mon < 0 || mon > 11 || day < 1 || day > 31 || hours > 23 || minutes > 59 || seconds > 60) return null;
  const offset = zoneOffsetMinutes(rest) ?? 0;
  const ms = Date.UTC(year, mon, day, hours, minutes, seconds) - offset * 60_000;
  return new Date(ms).toISOString();
}
