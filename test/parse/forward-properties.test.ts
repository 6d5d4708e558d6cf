/**
 * Property test: a generated report forwarded by each mail client of real-reports.md §6
 * (its own header block, language and date format, the date in the forwarder's local time
 * without a zone), or replied to with the report quoted with `> `, yields the same records
 * and fingerprints as the report itself; `from` is Microsoft's sender, `forwardedBy` the
 * forwarder, `sentAt` the report's own send time. Seeds come from test/setup/fast-check.ts.
 */

import fc from 'fast-check';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import type { ParsedReport } from '../../schemas/report.schema.ts';
import { parseMail } from '../../src/parse/parse-mail.ts';
import { escapeHtml, messageBytes, renderMessage, textPart } from '../fixtures/builders/mime.ts';
import { generateSpec, renderReport, SAMPLE_LAYOUTS, type Layout } from './report-generator.ts';

const RUNS = Number(process.env.FC_RUNS ?? 40);
const MS = 'MSOnlineServicesTeam@MicrosoftOnline.com';
const MS_NAMED = `Microsoft Online Services Team <${MS}>`;
const FORWARDER = 'alex.wilber@contoso.com';
const SUBJECT = 'Directory Synchronization Error Report';

const pad = (n: number): string => String(n).padStart(2, '0');
const EN_DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const EN_MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const FR_DAYS = ['dimanche', 'lundi', 'mardi', 'mercredi', 'jeudi', 'vendredi', 'samedi'];
const FR_MONTHS = ['janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet', 'août', 'septembre', 'octobre', 'novembre', 'décembre'];
const ES_DAYS = ['domingo', 'lunes', 'martes', 'miércoles', 'jueves', 'viernes', 'sábado'];
const ES_MONTHS = ['enero', 'febrero', 'marzo', 'abril', 'mayo', 'junio', 'julio', 'agosto', 'septiembre', 'octubre', 'noviembre', 'diciembre'];
const DE_DAYS = ['Sonntag', 'Montag', 'Dienstag', 'Mittwoch', 'Donnerstag', 'Freitag', 'Samstag'];
const DE_MONTHS = ['Januar', 'Februar', 'März', 'April', 'Mai', 'Juni', 'Juli', 'August', 'September', 'Oktober', 'November', 'Dezember'];
const ZONE_NAMES: Record<number, string> = { 0: 'GMT', 60: 'CET', 120: 'CEST', [-300]: 'EST', 540: 'JST' };

/** Local wall-clock parts of `d` in a zone `offset` minutes east of UTC. */
function local(d: Date, offset: number) {
  const l = new Date(d.getTime() + offset * 60_000);
  const h = l.getUTCHours();
  return { y: l.getUTCFullYear(), mo: l.getUTCMonth(), d: l.getUTCDate(), wd: l.getUTCDay(), h, mi: pad(l.getUTCMinutes()), h12: h % 12 || 12, pm: h >= 12 };
}

function rfc2822(d: Date, offset: number): string {
  const l = local(d, offset);
  const sign = offset < 0 ? '-' : '+';
  return `${EN_DAYS[l.wd]!.slice(0, 3)}, ${pad(l.d)} ${EN_MONTHS[l.mo]!.slice(0, 3)} ${l.y} ${pad(l.h)}:${l.mi}:00 ${sign}${pad(Math.floor(Math.abs(offset) / 60))}${pad(Math.abs(offset) % 60)}`;
}

interface Client {
  name: string;
  /** Header lines, in the client's language and date format (the date local to `offset`). */
  header(sent: Date, offset: number): string[];
  separator?: string;
  subjectPrefix: string;
  /** A reply: the report lines are quoted with `> ` below the attribution. */
  reply?: boolean;
}

const CLIENTS: Client[] = [
  {
    name: 'classic Outlook (en)',
    subjectPrefix: 'FW: ',
    separator: '-----Original Message-----',
    header: (s, o) => {
      const l = local(s, o);
      return [`From: Microsoft Online Services Team [mailto:${MS}]`, `Sent: ${EN_DAYS[l.wd]}, ${EN_MONTHS[l.mo]} ${l.d}, ${l.y} ${l.h12}:${l.mi} ${l.pm ? 'PM' : 'AM'}`, 'To: IT Admins <itadmins@contoso.com>', `Subject: ${SUBJECT}`];
    },
  },
  {
    name: 'classic Outlook (fr)',
    subjectPrefix: 'TR: ',
    separator: "-----Message d'origine-----",
    header: (s, o) => {
      const l = local(s, o);
      return [`De : Microsoft Online Services Team [mailto:${MS}]`, `Envoyé : ${FR_DAYS[l.wd]} ${l.d} ${FR_MONTHS[l.mo]} ${l.y} ${pad(l.h)}:${l.mi}`, 'À : itadmins@contoso.com', `Objet : ${SUBJECT}`];
    },
  },
  {
    name: 'classic Outlook (es)',
    subjectPrefix: 'RV: ',
    header: (s, o) => {
      const l = local(s, o);
      return [`De: Microsoft Online Services Team [mailto:${MS}]`, `Enviado el: ${ES_DAYS[l.wd]}, ${l.d} de ${ES_MONTHS[l.mo]} de ${l.y} ${l.h12}:${l.mi} ${l.pm ? 'p.m.' : 'a.m.'}`, 'Para: itadmins@contoso.com', `Asunto: ${SUBJECT}`];
    },
  },
  {
    name: 'classic Outlook (de)',
    subjectPrefix: 'WG: ',
    separator: '-----Ursprüngliche Nachricht-----',
    header: (s, o) => {
      const l = local(s, o);
      return [`Von: ${MS_NAMED}`, `Gesendet: ${DE_DAYS[l.wd]}, ${l.d}. ${DE_MONTHS[l.mo]} ${l.y} ${pad(l.h)}:${l.mi}`, 'An: itadmins@contoso.com', `Betreff: ${SUBJECT}`];
    },
  },
  {
    name: 'classic Outlook (ja)',
    subjectPrefix: 'FW: ',
    header: (s, o) => {
      const l = local(s, o);
      return [`差出人: ${MS_NAMED}`, `送信日時: ${l.y}年${l.mo + 1}月${l.d}日 ${pad(l.h)}:${l.mi}`, '宛先: itadmins@contoso.com', `件名: ${SUBJECT}`];
    },
  },
  {
    name: 'Outlook for Mac (en)',
    subjectPrefix: 'FW: ',
    header: (s, o) => {
      const l = local(s, o);
      return [`From: ${MS_NAMED}`, `Date: ${EN_DAYS[l.wd]}, ${l.d} ${EN_MONTHS[l.mo]} ${l.y} at ${pad(l.h)}:${l.mi}`, 'To: itadmins@contoso.com', `Subject: ${SUBJECT}`];
    },
  },
  {
    name: 'Outlook for Mac (fr)',
    subjectPrefix: 'TR : ',
    header: (s, o) => {
      const l = local(s, o);
      return [`De : ${MS_NAMED}`, `Date : ${FR_DAYS[l.wd]}, ${l.d} ${FR_MONTHS[l.mo]} ${l.y} à ${pad(l.h)}:${l.mi}`, 'À : itadmins@contoso.com', `Objet : ${SUBJECT}`];
    },
  },
  {
    name: 'Outlook mobile / web',
    subjectPrefix: 'Fw: ',
    separator: '________________________________',
    header: (s, o) => {
      const l = local(s, o);
      return [`From: ${MS_NAMED}`, `Sent: ${EN_DAYS[l.wd]}, ${EN_MONTHS[l.mo]} ${l.d}, ${l.y} ${l.h12}:${l.mi}:00 ${l.pm ? 'PM' : 'AM'}`, 'To: IT Admins <itadmins@contoso.com>', `Subject: ${SUBJECT}`];
    },
  },
  {
    name: 'Gmail',
    subjectPrefix: 'Fwd: ',
    separator: '---------- Forwarded message ---------',
    header: (s, o) => {
      const l = local(s, o);
      return [`From: ${MS_NAMED}`, `Date: ${EN_DAYS[l.wd]!.slice(0, 3)}, ${EN_MONTHS[l.mo]!.slice(0, 3)} ${l.d}, ${l.y} at ${l.h12}:${l.mi} ${l.pm ? 'PM' : 'AM'}`, `Subject: ${SUBJECT}`, 'To: <itadmins@contoso.com>'];
    },
  },
  {
    name: 'Apple Mail',
    subjectPrefix: 'Fwd: ',
    separator: 'Begin forwarded message:',
    header: (s, o) => {
      const l = local(s, o);
      return [`From: ${MS_NAMED}`, `Subject: ${SUBJECT}`, `Date: ${l.d} ${EN_MONTHS[l.mo]} ${l.y} at ${pad(l.h)}:${l.mi}:00 ${ZONE_NAMES[o]}`, 'To: itadmins@contoso.com'];
    },
  },
  {
    name: 'Thunderbird',
    subjectPrefix: 'Fwd: ',
    separator: '-------- Forwarded Message --------',
    header: (s) => [`Subject: \t${SUBJECT}`, `Date: \t${rfc2822(s, 0)}`, `From: \t${MS_NAMED}`, 'To: \titadmins@contoso.com'],
  },
  {
    name: 'Gmail reply',
    subjectPrefix: 'Re: ',
    reply: true,
    header: (s, o) => {
      const l = local(s, o);
      return [`On ${EN_DAYS[l.wd]!.slice(0, 3)}, ${EN_MONTHS[l.mo]!.slice(0, 3)} ${l.d}, ${l.y} at ${l.h12}:${l.mi} ${l.pm ? 'PM' : 'AM'} Microsoft Online Services Team <${MS}> wrote:`];
    },
  },
  {
    name: 'Outlook for Mac reply (en-GB, numeric day first)',
    subjectPrefix: 'Re: ',
    reply: true,
    header: (s, o) => {
      const l = local(s, o);
      return [`On ${pad(l.d)}/${pad(l.mo + 1)}/${l.y}, ${pad(l.h)}:${l.mi}, "Microsoft Online Services Team" <${MS}> wrote:`];
    },
  },
];

const TEXT_LAYOUTS = SAMPLE_LAYOUTS.filter((l) => l.kind === 'pipe' || l.kind === 'nextline' || l.kind === 'field-lines');
const HTML_LAYOUTS = SAMPLE_LAYOUTS.filter((l) => l.kind === 'html-table');

/** The report's own body, as its mail carries it. */
async function reportBody(spec: ReturnType<typeof generateSpec>, layout: Layout): Promise<{ html: string | null; text: string }> {
  const mail = await simpleParser(renderReport(spec, layout));
  return { html: typeof mail.html === 'string' ? mail.html : null, text: mail.text ?? '' };
}

function wrap(client: Client, body: { html: string | null; text: string }, sent: Date, offset: number, seed: number): Buffer {
  const header = client.header(sent, offset);
  const lead = client.reply ? 'Answered above, the desk takes the rest.' : 'Please have a look.';
  let content;
  if (body.html && !client.reply) {
    const inner = /<body[^>]*>([\s\S]*)<\/body>/i.exec(body.html)?.[1] ?? body.html;
    const head = `${client.separator ? `${escapeHtml(client.separator)}<br>` : ''}${header.map(escapeHtml).join('<br>\n')}`;
    content = textPart({ subtype: 'html', encoding: 'quoted-printable', text: `<html><body><p>${lead}</p>\n<div id="divRplyFwdMsg"><p class="MsoNormal">${head}</p></div>\n${inner}</body></html>` });
  } else {
    const quoted = client.reply ? body.text.split('\n').map((l) => (l ? `> ${l}` : '>')).join('\n') : body.text;
    const text = [lead, '', ...(client.separator ? [client.separator] : []), ...header, '', quoted].join('\n');
    content = textPart({ subtype: 'plain', encoding: 'quoted-printable', text });
  }
  const forwardedAt = new Date(sent.getTime() + 90 * 60_000);
  return messageBytes(
    renderMessage({
      from: `Alex Wilber <${FORWARDER}>`,
      to: 'servicedesk@contoso.com',
      subject: `${client.subjectPrefix}${SUBJECT}`,
      date: rfc2822(forwardedAt, offset),
      messageId: `<fwd-prop-${seed}@contoso.com>`,
      content,
    }),
  );
}

const view = (r: ParsedReport) => r.errors.map((e) => ({ category: e.category, identity: e.identity, attributes: e.attributes, fingerprint: e.fingerprint }));

const caseArb = fc.record({
  n: fc.integer({ min: 1, max: 5 }),
  seed: fc.integer({ min: 1, max: 0x7fffffff }),
  // whole minutes: most clients print no seconds
  sentMinute: fc.integer({ min: Date.UTC(2015, 0, 1) / 60_000, max: Date.UTC(2027, 0, 1) / 60_000 }),
  offset: fc.constantFrom(0, 60, 120, -300, 540),
});

describe('forwards and replies of every client keep the report', () => {
  for (const client of CLIENTS) {
    const layouts = client.reply ? TEXT_LAYOUTS : [...TEXT_LAYOUTS, ...HTML_LAYOUTS];
    it(`${client.name}: same records and fingerprints, Microsoft's sender, the forwarder, the report's send time`, async () => {
      await fc.assert(
        fc.asyncProperty(caseArb, fc.constantFrom(...layouts), async ({ n, seed, sentMinute, offset }, layout) => {
          const spec = generateSpec(n, seed);
          const direct = await parseMail(renderReport(spec, layout));
          expect(direct.ok).toBe(true);
          if (!direct.ok) return;
          const sent = new Date(sentMinute * 60_000);
          const outcome = await parseMail(wrap(client, await reportBody(spec, layout), sent, offset, seed));
          expect(outcome.ok ? null : outcome.rejection).toBeNull();
          if (!outcome.ok) return;
          expect(outcome.reports).toHaveLength(1);
          const report = outcome.reports[0]!;
          expect(view(report)).toEqual(view(direct.reports[0]!));
          expect(report.from?.toLowerCase()).toBe(MS.toLowerCase());
          expect(report.forwardedBy).toBe(FORWARDER);
          expect(report.subject).toBe(SUBJECT);
          expect(report.sentAt).toBe(sent.toISOString());
        }),
        { numRuns: RUNS },
      );
    });
  }
});
