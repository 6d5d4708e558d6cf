import { parseLooseDate, type LooseDateOptions } from './dates.ts';

/**
 * Headers of a mail forwarded or replied to inline, as mail clients write them into the
 * body: Outlook (classic, Mac, mobile, web) in many languages, Gmail, Apple Mail, Thunderbird
 * (also its header table, one label cell and one value cell), and reply attribution lines
 * ("On … <a@b> wrote:"). They give the original sender, date and subject of a report that
 * reached us as someone else's forward or reply.
 *
 * The label vocabulary follows real client output: real-reports.md §6, the fixtures of
 * crisp-oss/email-forward-parser, and Outlook's Hebrew and Arabic blocks and OWA 2010's
 * Traditional Chinese one (從/至) as public mails show them (lore.kernel.org;
 * AnasJS/svuchatbot). That package was evaluated and not used: it needs the native `re2`
 * module, reads plain text only (our bodies are often HTML blocks), finds one forward level,
 * leaves dates unparsed, and lacks classic Outlook's Japanese block (差出人/送信日時) and
 * "Enviado el:".
 */

export interface ForwardHeaders {
  from: string | null;
  /** The first address of its To: line (or of Cc:, when that came first). */
  to: string | null;
  sentAt: string | null;
  subject: string | null;
  /** Index of the header's first line in the lines it was found in. */
  line: number;
}

type Field = keyof ForwardHeaders;

const FIELD: Record<string, Field> = {};
const words = (field: Field, list: string): void => list.split('|').forEach((w) => (FIELD[w] = field));
words('from', "from|von|de|da|van|från|fra|od|lähettäjä|šalje|feladó|expeditorul|отправитель|kimden|від кого|saatja|de la|gönderen|от|от кого|від|mittente|nadawca|από|差出人|送信者|送信元|发件人|寄件者|從|보낸 사람|מאת|من");
words(
  'sentAt',
  "date|sent|datum|dato|gesendet|envoyé|date d'envoi|enviado|enviado el|enviado em|enviada em|fecha|inviato|data|dată|verzonden|skickat|sendt|päivämäärä|päiväys|dátum|дата|tarih|lähetetty|elküldve|wysłano|trimis|отправлено|odoslané|odesláno|gönderilen|gönderildi|відправлено|στάλθηκε|送信日時|日付|发送时间|发送日期|日期|寄件日期|보낸 날짜|נשלח|تم الإرسال",
);
words('subject', 'subject|betreff|objet|asunto|oggetto|onderwerp|ämne|emne|temat|předmět|aihe|predmet|tárgy|assunto|subiectul|тема|konu|sujet|subiect|naslov|θέμα|件名|主题|主旨|제목|נושא|الموضوع');
words('to', "to|an|à|a|para|aan|till|til|do|cc|bcc|komu|vastaanottaja|prima|címzett|destinatarul|кому|pre|kime|pour|adresat|kopie|kopio|másolat|kopi|dw|копия|kopia|kópia|másolatot kap|către|bilgi|копія|copie à|προς|κοιν|宛先|送信先|收件人|收件者|至|抄送|副本|받는 사람|참조|אל|إلى");

/** Whether a label names a mail's sending time ("Sent", "Gesendet", "Envoyé", "送信日時"): a saved mail's header uses a forward header's words. */
export function isSentAtLabel(label: string): boolean {
  return FIELD[label.trim().toLowerCase()] === 'sentAt';
}

/** Labels of English clients: their numeric dates may be month first (US) or day first (UK). */
const ENGLISH_FROM = new Set(['from']);

const LINE_RE = /^\*?([\p{L}' ]{1,16}?)\*?\s*[:：]\s*\*?(.*?)\*?$/u;

const WRAPPED_ADDRESS_RE = /^(?:<[^<>\s]+@[^<>\s]+>|\[mailto:[^\]\s]+\])$/i;

/** Reply attribution lines, per language: "On <date>, <name> <address> wrote:" and kin. */
const ATTRIBUTION_RE =
  /^(?:(on)|am|le|el|il giorno|op|em|den|dnia|dne)\s+(.+?)\s*(?:wrote|schrieb|a écrit|escribió|ha scritto|geschreven|escreveu|skrev(?: följande)?|napisał|napsal\(a\))\s*:$/iu;

/**
 * A forward header written on one line: Yahoo glues its fields together ("----- Forwarded
 * Message ----- From: … <a@b>To: …Sent: … GMT+1Subject: …", crisp-oss's yahoo_* fixtures).
 * Labels start with a capital there, which tells "Aan:" from the "an:" inside it.
 */
const GLUED_LABEL_RE = new RegExp(
  `(?:${Object.keys(FIELD)
    .flatMap((w) => [w[0]!.toUpperCase() + w.slice(1), w.toUpperCase()])
    .sort((a, b) => b.length - a.length)
    .join('|')})\\s*[:：]\\s`,
  'gu',
);

/** The line cut before each label when it holds a whole header (a From and two more fields), else the line. */
function unglue(line: string): string[] {
  // a header is a few hundred characters: a longer line is body text, not worth the search
  if (line.length > 2000 || !line.includes(':')) return [line];
  const at = [...line.matchAll(GLUED_LABEL_RE)];
  if (at.length < 3 || !at.some((m) => FIELD[m[0].replace(/\s*[:：]\s$/u, '').toLowerCase()] === 'from')) return [line];
  const cuts = [0, ...at.map((m) => m.index), line.length];
  return cuts.slice(1).map((end, i) => line.slice(cuts[i], end).trim()).filter(Boolean);
}

/**
 * A reply attribution in a language the verbs of ATTRIBUTION_RE do not cover, told by its
 * shape: one short line ending in a colon that names one address and a date ("28/10/2021
 * 12:46 időpontban John Doe (john.doe@acme.com) ezt írta:", "John Doe <…> kirjoitti
 * 28/10/2021 12.46:", crisp-oss's outlook_2019_* fixtures).
 */
function attributionByShape(line: string, date: (text: string, english: boolean) => string | null): Omit<ForwardHeaders, 'line'> | null {
  if (line.length > 200) return null;
  // framed instead of ending in a colon: Zoho's "---- On … <a@b> wrote ----", GroupWise's
  // ">>> Name<a@b> 03/01/22 9:05 AM >>>" (its leading ">>>" read as quote marks already)
  const framed = FRAME_RE.exec(line)?.[1];
  if (!framed && !/[:：]$/u.test(line)) return null;
  const from = addressOf(framed ?? line);
  if (!from) return null;
  const rest = withoutSender(framed ?? line);
  // a numeric date is read by the carrier's own date first ("03/01/22" from GroupWise is US, from
  // most others day first); with "wrote" (English, US or UK) nothing else settles it
  const sentAt = date(rest, true) ?? (/\bwrote\b/i.test(rest) ? null : date(rest, false));
  return sentAt ? { from, to: null, sentAt, subject: null } : null;
}
const FRAME_RE = /^(?:-{2,}|={2,})?\s*(.+?)\s*(?:-{2,}|={2,}|>{3})$/;
/** A label and its value with no colon between, read only this many lines below a banner. */
const BARE_LABEL_RE = /^([\p{L}']{1,16})\s+(\S.*)$/u;
const BANNER_LINES = 6;
const RESPOND_RE = /^Please respond to\b/i;
const MBOX_FROM_RE = /^From \S+@\S+\s+\w{3}\s+\w{3}\s+\d{1,2}\s+\d{1,2}:\d{2}/;

/** A line without its name and address: the date is what is left. */
function withoutSender(line: string): string {
  return line.replace(/<[^<>]*>|\([^()]*@[^()]*\)|\[mailto:[^\]]*\]|"[^"]*"|\S+@\S+/g, ' ');
}

/**
 * Lotus Notes names a mail's sender without a label: "Name" <a@b> on 03/05/2013 09:02:11 AM
 * (R5, then "Please respond to …"), or "Name" <a@b> over a line with the date alone (6 and
 * later), its To:, cc: and Subject: fields below (lkml and Enron mails show both). The
 * sender and the date's text, when such fields come next (blank lines and "Please respond
 * to" between).
 */
function unlabelledSender(lines: readonly string[], i: number, strip: (line: string) => string): { from: string; sentAt: string | undefined; skip: number } | null {
  const line = strip(lines[i]!);
  // an mbox "From a@b  Wed Feb  2 07:04:15 2022" line (a procmail log pasted in a note) is no Notes sender
  if (line.length > 200 || LINE_RE.test(line) || RESPOND_RE.test(line) || MBOX_FROM_RE.test(line) || !addressOf(line)) return null;
  const on = / on (.+)$/.exec(withoutSender(line));
  let skip = 0;
  let sentAt = on?.[1];
  const next = lines[i + 1] === undefined ? '' : strip(lines[i + 1]!);
  // any reading will do to tell a date: which one it is, the carrier's date settles later
  if (!on && next && !addressOf(next) && parseLooseDate(next, { order: 'dmy' })) {
    sentAt = next;
    skip = 1;
  }
  for (let k = i + 1 + skip; k <= i + 6 + skip && k < lines.length; k++) {
    const below = strip(lines[k]!);
    if (!below || RESPOND_RE.test(below)) continue;
    const field = FIELD[LINE_RE.exec(below)?.[1]!.trim().toLowerCase() ?? ''];
    return field === 'to' || field === 'subject' ? { from: line.replace(/\s+on\s+[^<>@]*$/, ''), sentAt, skip } : null;
  }
  return null;
}

/** Every forward header block and reply attribution in the lines, in order (nested ones come later). */
export function findForwardHeaders(bodyLines: string[], options: Pick<LooseDateOptions, 'offsetMinutes' | 'near'> = {}): ForwardHeaders[] {
  // each line of a glued header keeps the index of the line it came from
  const source: number[] = [];
  const lines = bodyLines.flatMap((l, i) => unglue(l).map((part) => (source.push(i), part)));
  const blocks: ForwardHeaders[] = [];
  let current: Partial<Record<Field, string>> = {};
  let english = true;
  let pending: Field | null = null;
  let wrappedFrom = false;
  let seen = 0;
  let gap = 0;
  const date = (text: string | undefined, en: boolean): string | null => parseLooseDate(text, { ...options, order: en ? undefined : 'dmy' });
  let start = 0;
  const close = (): void => {
    if (current.from && (current.subject !== undefined || current.sentAt)) {
      blocks.push({ from: addressOf(current.from), to: current.to ? addressOf(current.to) : null, sentAt: date(current.sentAt, english), subject: current.subject?.trim() || null, line: start });
    }
    current = {};
    pending = null;
    seen = 0;
  };
  const unquoted = (l: string): string => l.replace(/^(?:\s*>)+\s?/, '').trim();
  let bannerUntil = -1;
  for (let i = 0; i < lines.length; i++) {
    const line = unquoted(lines[i]!);
    const attribution = ATTRIBUTION_RE.exec(line) ?? (i + 1 < lines.length && /^(?:on|am|le|el)\s/i.test(line) ? ATTRIBUTION_RE.exec(`${line} ${unquoted(lines[i + 1]!)}`) : null);
    if (attribution && addressOf(attribution[2]!)) {
      close();
      const text = attribution[2]!;
      const cut = text.search(/["“«„]|<|\[/);
      blocks.push({ from: addressOf(text), to: null, sentAt: date(cut > 0 ? text.slice(0, cut) : text, !!attribution[1]), subject: null, line: source[i]! });
      continue;
    }
    const byShape = LINE_RE.test(line) ? null : attributionByShape(line, date);
    if (byShape) {
      close();
      blocks.push({ ...byShape, line: source[i]! });
      continue;
    }
    const notes = seen ? null : unlabelledSender(lines, i, unquoted);
    if (notes) {
      start = source[i]!;
      current.from = notes.from;
      current.sentAt = notes.sentAt;
      english = true;
      seen = 1;
      gap = 0;
      i += notes.skip;
      continue;
    }
    // eM Client writes its labels without colons under its banner ("------ Originalnachricht ------" / "Von …" / "Datum …")
    if (FRAME_RE.test(line) && !addressOf(line)) bannerUntil = i + BANNER_LINES;
    const m = LINE_RE.exec(line) ?? (i <= bannerUntil ? BARE_LABEL_RE.exec(line) : null);
    const label = m?.[1]!.trim().toLowerCase();
    const field = label ? FIELD[label] : undefined;
    if (m && field) {
      if (field === 'from' && current.from) close(); // a new block starts
      if (!seen) start = source[i]!;
      if (field === 'from') english = ENGLISH_FROM.has(label!);
      const value = m[2]!.trim();
      if (current[field] === undefined) current[field] = value;
      // Thunderbird's header table and some HTML layouts put the value on the next line
      pending = value ? null : field;
      // a plain-text forward wrapped at 76 columns can leave "<address>" alone on the next line
      wrappedFrom = field === 'from' && !!value && !addressOf(value);
      seen++;
      gap = 0;
    } else if (wrappedFrom && WRAPPED_ADDRESS_RE.test(line)) {
      current.from = `${current.from} ${line}`;
      wrappedFrom = false;
    } else if (pending && line) {
      if (!current[pending]) current[pending] = line;
      pending = null;
      gap = 0;
    } else if (seen) {
      if (++gap > 2) close();
    }
  }
  close();
  return blocks;
}

/**
 * Whether a line starts a forward header or is a reply's attribution: a From line ("From: Team
 * <a@b>", "Von: …", its address perhaps wrapped to the next line, Yahoo's glued header) or
 * "On … <a@b> wrote:". The text above such a line is the forwarder's note (parse-mail.ts
 * reads no errors in it).
 */
export function startsForwardHeader(line: string): boolean {
  const text = line.replace(/^(?:\s*>)+\s?/, '').trim();
  if (!text.includes(':') && !text.includes('：')) return false;
  const label = LINE_RE.exec(text);
  if (label) return FIELD[label[1]!.trim().toLowerCase()] === 'from' && label[2]!.trim() !== '';
  // the rest need an address: Yahoo's glued header (its From is not the line's first field) and attributions
  if (!text.includes('@')) return false;
  if (unglue(text).some((part) => FIELD[LINE_RE.exec(part)?.[1]!.trim().toLowerCase() ?? ''] === 'from')) return true;
  return ATTRIBUTION_RE.test(text) || (/[:：]$/u.test(text) && attributionByShape(text, (t) => parseLooseDate(t, { order: 'dmy' })) !== null);
}

/**
 * A table row that is a forward header, not an error: Thunderbird's header table puts the
 * label ("Subject:", "Von:", "件名:") in one cell and the value in the next.
 */
export function isForwardHeaderRow(cells: readonly string[]): boolean {
  if (cells.length !== 2) return false;
  const m = LINE_RE.exec(cells[0]!.trim());
  return !!m && !m[2] && FIELD[m[1]!.trim().toLowerCase()] !== undefined;
}

/** `Name <a@b>` or `a@b [mailto:a@b]` or `a@b` → `a@b`. */
export function addressOf(text: string): string | null {
  if (!text.includes('@')) return null;
  const angle = /<\s*([^<>\s]+@[^<>\s]+)\s*>/.exec(text) ?? /\[mailto:([^\]\s]+)\]/i.exec(text);
  if (angle) return angle[1]!;
  // around each "@" only: the pattern tried at every place of a long run without one takes quadratic time
  for (let at = text.indexOf('@'), tries = 0; at >= 0 && tries < MAX_AT_TRIES; at = text.indexOf('@', at + 1), tries++) {
    const bare = BARE_ADDRESS_RE.exec(text.slice(Math.max(0, at - ADDRESS_REACH), at + ADDRESS_REACH));
    if (bare) return bare[1]!;
  }
  return null;
}
const BARE_ADDRESS_RE = /([^\s<>"'()[\]:;,]+@[^\s<>"'()[\]:;,]+\.[a-z]{2,})/i;
/** A mailbox's local part is at most 64 characters and its domain 255 (RFC 5321). */
const ADDRESS_REACH = 256;
const MAX_AT_TRIES = 20;
