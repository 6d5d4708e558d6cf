import { describe, expect, it } from 'vitest';
import { parseLooseDate } from '../../src/parse/dates.ts';

/**
 * Dates as real clients write them in forward headers. Unless marked, each line is copied from
 * crisp-oss/email-forward-parser's client fixtures (test/fixtures/forward-clients/); the Greek
 * one is from an Outlook.com forward published in a public repository.
 */
describe('parseLooseDate: dates of real forward headers, in their languages', () => {
  it.each([
    ['2021. október 26. 14:25:08 EEST', '2021-10-26T11:25:08.000Z'], // Hungarian Apple Mail: year first
    ['2021. okt. 27., Sze, 9:31', '2021-10-27T09:31:00.000Z'], // Hungarian Gmail
    ['26. lokakuuta 2021 klo 14.25.08 UTC+3', '2021-10-26T11:25:08.000Z'], // Finnish: a dot in the time, "UTC+3"
    ['ke 27. lokak. 2021 klo 9.31', '2021-10-27T09:31:00.000Z'], // Finnish Gmail: "lokak.", a form ICU does not write
    ['الأحد، ٣ فبراير ٢٠١٩ ٥:٤١ م', '2019-02-03T17:41:00.000Z'], // Arabic Gmail: Arabic-Indic digits (AnasJS/svuchatbot's mail)
    ['26 жовтня 2021 р. о 14:25:08 GMT+3', '2021-10-26T11:25:08.000Z'], // Ukrainian
    ['ср, 27 окт. 2021 г. в 09:31', '2021-10-27T09:31:00.000Z'], // Russian Gmail, short month
    ['śr., 27 paź 2021 o 09:31', '2021-10-27T09:31:00.000Z'], // Polish Gmail
    ['czwartek, 28 października 2021 o 12:46', '2021-10-28T12:46:00.000Z'], // Polish Outlook: the month in the genitive
    ['26. října 2021 14:25:08 GMT+3', '2021-10-26T11:25:08.000Z'], // Czech
    ['st 27. 10. 2021 v 9:31', '2021-10-27T09:31:00.000Z'], // Czech Gmail: a space after each dot
    ['27 Eki 2021 Çar, 09:31', '2021-10-27T09:31:00.000Z'], // Turkish Gmail
    ['K, 27. oktoober 2021 kell 09:31', '2021-10-27T09:31:00.000Z'], // Estonian Gmail
    ['26. oktober 2021 kl. 14.25.08 EEST', '2021-10-26T11:25:08.000Z'], // Danish
    ['Τρίτη, 4 Οκτωβρίου 2022 4:56 μμ', '2022-10-04T16:56:00.000Z'], // Greek Outlook.com: μμ is PM
    ['Monday, September 19, 2022, 5:55:44 PM -0400', '2022-09-19T21:55:44.000Z'],
    ['qua., 27 de out. de 2021 às 09:31', '2021-10-27T09:31:00.000Z'], // Portuguese Gmail
    ['יום ב׳, 22 בספט׳ 2025, 8:03', '2025-09-22T08:03:00.000Z'], // Hebrew as ICU/CLDR writes it (Node's Intl): a geresh ends the short month
  ])('%s', (text, iso) => {
    expect(parseLooseDate(text)).toBe(iso);
  });

  it('AM and PM words of other languages: 下午 (Chinese), 오후 (Korean), p. m. (Spanish)', () => {
    // the forms ICU writes for zh-TW and ko, as Outlook prints them
    expect(parseLooseDate('2020年4月16日 星期四 下午 08:20')).toBe('2020-04-16T20:20:00.000Z');
    expect(parseLooseDate('2020년 4월 16일 목요일 오후 8:20')).toBe('2020-04-16T20:20:00.000Z');
    expect(parseLooseDate('viernes, 16 de junio de 2017 12:03 a. m.')).toBe('2017-06-16T00:03:00.000Z');
  });

  it('an hour alone with its day period is that hour, not midnight (blind52 T3)', () => {
    expect(parseLooseDate('Monday, March 9, 2026 6 PM GMT')).toBe('2026-03-09T18:00:00.000Z');
    expect(parseLooseDate('Monday, March 9, 2026 12 AM')).toBe('2026-03-09T00:00:00.000Z');
    expect(parseLooseDate('Monday, March 9, 2026 12 PM +0100')).toBe('2026-03-09T11:00:00.000Z');
    expect(parseLooseDate('March 9, 2026 6 p.m.')).toBe('2026-03-09T18:00:00.000Z');
    // a number beside a word that is no day period is no hour
    expect(parseLooseDate('Montag, 9. März 2026 3 Uhr')).toBe('2026-03-09T00:00:00.000Z');
  });

  it('a dotted abbreviation is the month whose long name it starts, when it starts no other', () => {
    // Finnish Gmail's abbreviations, as in public mailing-list quotes ("ti 25. lokak. 2022 klo 10.06")
    expect(parseLooseDate('ti 25. lokak. 2022 klo 10.06')).toBe('2022-10-25T10:06:00.000Z');
    expect(parseLooseDate('su 3. kesäk. 2020 klo 14.00')).toBe('2020-06-03T14:00:00.000Z');
    // "list." starts Croatian listopad (October) and Polish/Czech listopad (November): no month
    expect(parseLooseDate('2 list. 2021 09:26')).toBeNull();
    // a dotted word that starts no month is no month ("Dept.")
    expect(parseLooseDate('Dept. 5 2021')).toBeNull();
  });

  it('a month word that gives no date leaves the numbers to read: a name before a numeric date', () => {
    expect(parseLooseDate('May Lee kirjoitti 28/10/2021 12.46:')).toBe('2021-10-28T12:46:00.000Z');
  });

  it('a month word two languages disagree on is read near a known date, else not at all', () => {
    // "listopada": Polish November, Croatian October (crisp's yahoo_pl and apple_mail_hr fixtures)
    expect(parseLooseDate('wtorek, 2 listopada 2021, 09:26:50', { near: '2021-11-02T12:00:00Z' })).toBe('2021-11-02T09:26:50.000Z');
    expect(parseLooseDate('26. listopada 2021. u 14:25:08', { near: '2021-10-27T12:00:00Z' })).toBe('2021-10-26T14:25:08.000Z');
    expect(parseLooseDate('2 listopada 2021 09:26')).toBeNull();
  });
});
