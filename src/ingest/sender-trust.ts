import { promises as dns } from 'node:dns';
import { authenticate, type AuthenticateResult, type DNSResolver } from 'mailauth';
import { openMail, type MailDocument } from '../parse/mail-tree.ts';
import { lookAlikes, spelledOut } from '../look-alikes.ts';
import { MICROSOFT_SENDERS } from '../parse/subject.ts';

/**
 * Sender trust: may this mail open tickets? Anyone can write
 * `From: MSOnlineServicesTeam@MicrosoftOnline.com`, so the address alone proves nothing.
 *
 * What a mail fetched from IMAP still carries: its DKIM signatures (verifiable any time
 * later, as long as the key is published), the receiving server's
 * `Authentication-Results` (which saw the connecting IP, so the only place SPF is
 * meaningful), and ARC seals. The SMTP client IP is gone, so SPF computed here is only
 * possible with `trustReceived` (the topmost Received header, written by our own MX).
 *
 * Evidence that a sender is authentic, in this order:
 * 1. the topmost `Authentication-Results` whose authserv-id is in `trustedAuthServIds`
 *    (configure only servers that always add one: a forged header further down is then
 *    never the topmost; one below every Received line its server wrote is ignored, and of
 *    two of one server that disagree the worse counts: trustedServerVerdict) saying
 *    `dmarc=pass` (or Exchange's `compauth=pass`) for the From domain;
 * 2. a passing ARC chain sealed by a domain in `trustedAuthServIds`, whose
 *    ARC-Authentication-Results say `dmarc=pass`;
 * 3. DMARC computed here by mailauth (DKIM alignment; SPF too with `trustReceived`).
 *
 * Policies:
 * - `strict`: the report's sender must be a known Microsoft sender with a DMARC pass.
 *   A report forwarded *as an attachment* keeps its own DKIM signature, so the attached
 *   message is checked the same way.
 * - `forwarders`: `strict`, or the outer sender is in `allowedForwarders` and passes
 *   DKIM (aligned) or DMARC, or the trusted server's results say dmarc/dkim/spf pass.
 * - `off`: every mail is trusted.
 */


export type TrustPolicy = 'strict' | 'forwarders' | 'off';

export interface TrustVerdict {
  trusted: boolean;
  /** One sentence for the admin: why the mail was accepted or quarantined. */
  reason: string;
  /** The address the decision was about (the report's sender or the forwarder). */
  sender: string | null;
  /** Trusted as an allowed forwarder (`sender`), not as Microsoft's own mail. */
  forwarder?: true;
  checks: { dmarc: string; dkim: string; serverAuth: string | null; arc: string };
}

export interface SenderTrust {
  /** `documents`: the mail as the parser decoded it (mail-tree.ts); without them the mail is decoded here. */
  evaluate(raw: Buffer, meta?: { envelopeFrom?: string | null; documents?: readonly MailDocument[] | null }): Promise<TrustVerdict>;
}

export interface SenderTrustOptions {
  policy: TrustPolicy;
  allowedForwarders: string[];
  /** authserv-ids (and ARC sealing domains) whose verdicts are believed. */
  trustedAuthServIds?: string[];
  /** DNS for DKIM keys and DMARC records; tests pass a local fake. @defaultValue dns.promises.resolve */
  resolver?: DNSResolver;
  /** Take the client IP/helo for SPF from the topmost Received header. @defaultValue false */
  trustReceived?: boolean;
  /** Extra known report senders (lower-case addresses), added to MICROSOFT_SENDERS. */
  extraKnownSenders?: string[];
}

interface ServerAuth {
  authservId: string;
  results: Map<string, { result: string; props: Record<string, string> }>;
}

const domainOf = (address: string): string => address.slice(address.lastIndexOf('@') + 1).toLowerCase();

const BODY_CHANGED_RE = /body hash did not verify/i;
const BODY_CHANGED = 'body hash did not verify: the body was changed after it was signed, by a banner, disclaimer or link rewriting on the way?';

/** RFC 8601 Authentication-Results value → authserv-id and method results (comments removed). */
export function parseAuthenticationResults(value: string): ServerAuth | null {
  let text = value.replace(/\r?\n[ \t]+/g, ' ');
  for (let prev = ''; prev !== text; ) {
    prev = text;
    text = text.replace(/\([^()]*\)/g, ' ');
  }
  const parts = text.split(';').map((p) => p.trim());
  const authservId = parts.shift()?.split(/\s+/)[0]?.toLowerCase();
  if (!authservId) return null;
  const results = new Map<string, { result: string; props: Record<string, string> }>();
  for (const part of parts) {
    const tokens = part.split(/\s+/).filter(Boolean);
    const head = tokens.shift();
    const m = head && /^([a-z0-9-]+)=([a-z]+)$/i.exec(head);
    if (!m) continue;
    const props: Record<string, string> = {};
    for (const t of tokens) {
      const eq = t.indexOf('=');
      if (eq > 0) props[t.slice(0, eq).toLowerCase()] = t.slice(eq + 1).replace(/^"|"$/g, '');
    }
    const method = m[1]!.toLowerCase();
    if (!results.has(method)) results.set(method, { result: m[2]!.toLowerCase(), props });
  }
  return { authservId, results };
}

/** The mail's own header fields in order, top first (names lower-case, values unfolded): Received and Authentication-Results are told apart by place. */
function headerFieldsInOrder(raw: Buffer): Array<{ name: string; value: string }> {
  const text = raw.toString('latin1', 0, Math.min(raw.length, 256 * 1024));
  const end = /\r?\n\r?\n/.exec(text)?.index ?? text.length;
  const fields: Array<{ name: string; value: string }> = [];
  for (const line of text.slice(0, end).replace(/\r?\n(?=[ \t])/g, '').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) fields.push({ name: line.slice(0, colon).trim().toLowerCase(), value: line.slice(colon + 1).trim() });
  }
  return fields;
}

const PASSES = ['dmarc', 'compauth', 'dkim', 'spf'];
const passCount = (auth: ServerAuth): number => PASSES.filter((m) => auth.results.get(m)?.result === 'pass').length;

/**
 * The trusted servers' verdict on a mail: the topmost Authentication-Results of a trusted
 * authserv-id that its server can have written. A server adds its results above
 * the Received line it wrote on taking the mail; results of its id below every Received line
 * it wrote were in the mail before it got there: the sender wrote them (RFC 8601 §7.1), and
 * they pass wherever the server adds none of its own. They are ignored, and said. (A server
 * whose Received lines do not name it by its authserv-id cannot be checked so: its topmost
 * results count, as before.) Two results of one server that disagree mean one is forged:
 * the one with fewer passes counts.
 */
function trustedServerVerdict(raw: Buffer, trustedIds: ReadonlySet<string>): { auth: ServerAuth | null; ignored: string | null } {
  const fields = headerFieldsInOrder(raw);
  const receivedBy = fields.map((f) => (f.name === 'received' ? (/\bby\s+([^\s;()]+)/i.exec(f.value)?.[1]?.toLowerCase() ?? null) : null));
  const candidates: ServerAuth[] = [];
  let ignored: string | null = null;
  fields.forEach((f, i) => {
    if (f.name !== 'authentication-results') return;
    const ar = parseAuthenticationResults(f.value);
    if (!ar || !trustedIds.has(ar.authservId)) return;
    const writes = receivedBy.some((by) => by === ar.authservId);
    if (writes && !receivedBy.slice(i + 1).includes(ar.authservId)) ignored ??= `Authentication-Results of ${ar.authservId} below every Received line of ${ar.authservId} ignored: the sender wrote it`;
    else candidates.push(ar);
  });
  const top = candidates[0];
  if (!top) return { auth: null, ignored };
  const same = candidates.filter((c) => c.authservId === top.authservId);
  return { auth: same.reduce((worst, c) => (passCount(c) < passCount(worst) ? c : worst), top), ignored };
}

function describeServer(auth: ServerAuth | null): string | null {
  if (!auth) return null;
  return `${auth.authservId}: ${[...auth.results].map(([k, v]) => `${k}=${v.result}`).join(' ')}`;
}

export function createSenderTrust(options: SenderTrustOptions): SenderTrust {
  const trustedIds = new Set((options.trustedAuthServIds ?? []).map((s) => s.toLowerCase()));
  const known = new Set([...MICROSOFT_SENDERS, ...(options.extraKnownSenders ?? [])].map((s) => s.toLowerCase()));
  const forwarders = new Set(options.allowedForwarders.map((s) => s.toLowerCase()));
  const resolver: DNSResolver = options.resolver ?? ((name, rr) => dns.resolve(name, rr) as Promise<string[][] | string[]>);

  async function check(raw: Buffer, from: string | null, envelopeFrom: string | null | undefined, serverAuth: ServerAuth | null) {
    let auth: AuthenticateResult | null = null;
    try {
      auth = await authenticate(raw, {
        resolver,
        sender: envelopeFrom ?? undefined,
        trustReceived: options.trustReceived ?? false,
        disableBimi: true,
        mta: 'syncdesk',
      });
    } catch {
      auth = null; // an unparsable mail simply has no authentication
    }
    const fromDomain = from ? domainOf(from) : null;
    const dmarc = auth?.dmarc ? auth.dmarc.status.result : 'none';
    const alignedDkim = (auth?.dkim.results ?? []).some(
      (r) => r.status.result === 'pass' && fromDomain !== null && (r.signingDomain.toLowerCase() === fromDomain || fromDomain.endsWith(`.${r.signingDomain.toLowerCase()}`)),
    );
    // mailauth answers an unsigned mail with one result and no signing domain: said as its result alone;
    // a signature whose body hash no longer matches says so ("neutral" alone sent no one to the banner rule)
    const dkim = auth?.dkim.results.length
      ? auth.dkim.results.map((r) => (r.signingDomain ? `${r.signingDomain}:${r.status.result}` : r.status.result) + (BODY_CHANGED_RE.test(r.status.comment ?? '') ? ` (${BODY_CHANGED})` : '')).join(',')
      : 'none';
    let arc = 'none';
    let arcDmarcPass = false;
    if (auth?.arc) {
      arc = auth.arc.status.result;
      const sealer = auth.arc.signature ? auth.arc.signature.signingDomain.toLowerCase() : '';
      const aar = (auth.arc.authenticationResults ?? {}) as { dmarc?: { result?: string; header?: { from?: string } } };
      arcDmarcPass =
        arc === 'pass' && trustedIds.has(sealer) && aar.dmarc?.result === 'pass' && (!aar.dmarc.header?.from || aar.dmarc.header.from.toLowerCase() === fromDomain);
      // a seal is trusted by its signing domain (d=): the authserv-id inside its results is only
      // what the sealer wrote, and any domain can seal (the reason must name the sealer)
      if (arc === 'pass') arc = `pass (sealed by ${sealer}${trustedIds.has(sealer) ? '' : `, not trusted: TRUSTED_AUTHSERV_IDS lists a sealer by its d=`})`;
    }
    const serverFromOk = (props: Record<string, string>): boolean => !props['header.from'] || props['header.from'].toLowerCase() === fromDomain;
    const server = serverAuth?.results;
    const serverDmarcPass =
      !!server && (['dmarc', 'compauth'] as const).some((m) => server.get(m)?.result === 'pass' && serverFromOk(server.get(m)!.props));
    const serverAnyPass = !!server && ['dmarc', 'dkim', 'spf', 'compauth'].some((m) => server.get(m)?.result === 'pass');
    return {
      dmarcPass: dmarc === 'pass' || serverDmarcPass || arcDmarcPass,
      via: dmarc === 'pass' ? 'DMARC computed here' : serverDmarcPass ? `Authentication-Results of ${serverAuth!.authservId}` : 'ARC',
      alignedDkim,
      serverAnyPass,
      checks: { dmarc, dkim, serverAuth: describeServer(serverAuth), arc },
    };
  }

  return {
    async evaluate(raw, meta = {}) {
      const blank = { dmarc: 'skipped', dkim: 'skipped', serverAuth: null, arc: 'skipped' };
      if (options.policy === 'off') return { trusted: true, reason: 'sender trust is off', sender: null, checks: blank };

      const docs = meta.documents ?? (await openMail(raw).catch(() => []));
      const outerDoc = docs[0]?.depth === 0 ? docs[0] : undefined;
      const from = outerDoc?.from?.toLowerCase() ?? null;
      const { auth: serverAuth, ignored } = trustedServerVerdict(raw, trustedIds);
      const outer = await check(raw, from, meta.envelopeFrom, serverAuth);

      if (from && known.has(from)) {
        if (outer.dmarcPass) return { trusted: true, reason: `Microsoft sender ${from}, DMARC pass (${outer.via})`, sender: from, checks: outer.checks };
      }
      // A report forwarded as an attachment keeps its own DKIM signature.
      for (const inner of docs) {
        if (inner.depth !== 1 || !inner.raw) continue;
        const innerFrom = inner.from?.toLowerCase() ?? null;
        if (!innerFrom || !known.has(innerFrom)) continue;
        const innerCheck = await check(inner.raw, innerFrom, null, null);
        if (innerCheck.dmarcPass)
          return {
            trusted: true,
            reason: `attached report from Microsoft sender ${innerFrom}, DMARC pass on the attached message`,
            sender: innerFrom,
            checks: innerCheck.checks,
          };
      }

      const failure = `dmarc=${outer.checks.dmarc} dkim=${outer.checks.dkim}${outer.checks.arc !== 'none' ? `; arc=${outer.checks.arc}` : ''}${outer.checks.serverAuth ? `; server says ${outer.checks.serverAuth}` : ''}${ignored ? `; ${ignored}` : ''}`;
      if (options.policy === 'forwarders' && from && forwarders.has(from)) {
        if (outer.dmarcPass || outer.alignedDkim || outer.serverAnyPass)
          return { trusted: true, reason: `allow-listed forwarder ${from}, authenticated`, sender: from, forwarder: true, checks: outer.checks };
        return { trusted: false, reason: `allow-listed forwarder ${from} failed authentication (${failure})`, sender: from, checks: outer.checks };
      }
      if (from && known.has(from))
        return { trusted: false, reason: `claims Microsoft sender ${from} without a DMARC pass (${failure})`, sender: from, checks: outer.checks };
      // a Cyrillic о in "micrоsoftonline.com" reads as a false alarm unless said
      const looks = from ? lookAlikes(from) : [];
      const lookAlike = looks.length ? `; the address holds characters that look like others: ${looks.join(', ')} (${spelledOut(from!)})` : '';
      // a group or list that put its own From over Microsoft's (Google Groups' "via"): say so, and how to take it
      const relayed = outerDoc?.relayedFrom?.toLowerCase();
      const relay =
        relayed && known.has(relayed)
          ? `; it relays mail from ${relayed} (a group or list wrote its own From over it${options.policy === 'strict' ? '' : `: name ${from} in ALLOWED_FORWARDERS or a tenant's forwarders to take its mail`})`
          : '';
      return {
        trusted: false,
        reason:
          (options.policy === 'strict'
            ? `sender ${from ?? '(none)'} is not a known Microsoft sender (policy strict)`
            : `sender ${from ?? '(none)'} is neither a known Microsoft sender nor an allow-listed forwarder`) +
          lookAlike +
          relay,
        sender: from,
        checks: outer.checks,
      };
    },
  };
}
