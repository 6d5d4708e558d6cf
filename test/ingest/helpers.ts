import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { dkimSign, type DNSResolver } from 'mailauth';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import type { Config } from '../../schemas/config.schema.ts';

/** Test mails and fakes shared by the ingestion tests. */

export const MS_SENDER = 'MSOnlineServicesTeam@MicrosoftOnline.com';

/** A "Directory Synchronization Error Report" (the 2012 quota layout), unique per `tag`. */
export function reportMail(tag: string, options: { from?: string; messageId?: string; date?: Date } = {}): string {
  const date = options.date ?? new Date('2026-03-04T00:01:13Z');
  const messageId = options.messageId ?? `<dirsync-${tag}@microsoftonline.com>`;
  return [
    `From: ${options.from ?? MS_SENDER}`,
    'To: Fabrikam Admin <admin@fabrikam.com>',
    'Subject: Directory Synchronization Error Report',
    `Date: ${date.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: ${messageId}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset="us-ascii"',
    'Content-Transfer-Encoding: 7bit',
    '',
    'Hello Fabrikam Admin,',
    'The Directory Synchronization batch run was',
    'completed on Tuesday, 03 March 2026 23:54:02 GMT for tenant Fabrikam, Inc..',
    'The following errors occurred during synchronization:',
    'Synchronization has been stopped. The company has',
    'exceeded the number of objects that can be synchronized. Contact Technical',
    "Support and ask for an increase in your company's quota..",
    `Tracking ID: ${tag.length >= 8 ? tag : tag.padEnd(8, '0')}-5739-4d70-9b2e-4f10d87598a0`,
    '',
    'Thank you,',
    'Microsoft Online Services Team',
    '',
  ].join('\r\n');
}

/** A report forwarded by an admin, the original attached as message/rfc822. */
/** A forward of one mail or several, each an attached message/rfc822 (Outlook's "Forward as Attachment"). */
export function forwardedAsAttachment(inner: string | string[], from: string, tag: string): string {
  const b = `b-${tag}`;
  const attached = [inner].flat().flatMap((mail, i) => [`--${b}`, 'Content-Type: message/rfc822', `Content-Disposition: attachment; filename="report-${i + 1}.eml"`, '', mail]);
  return [
    `From: ${from}`,
    'To: syncdesk@fabrikam.com',
    'Subject: FW: Directory Synchronization Error Report',
    'Date: Wed, 04 Mar 2026 08:00:00 +0000',
    `Message-ID: <fw-${tag}@fabrikam.com>`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${b}"`,
    '',
    `--${b}`,
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'See attached.',
    ...attached,
    `--${b}--`,
    '',
  ].join('\r\n');
}

export function plainMail(tag: string, from = 'colleague@fabrikam.com'): string {
  return [`From: ${from}`, 'To: syncdesk@fabrikam.com', `Subject: Lunch on ${tag}?`, `Message-ID: <${tag}@fabrikam.com>`, '', 'Pizza?', ''].join('\r\n');
}

export function dkimKey(): { privateKey: string; txt: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const der = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  return { privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), txt: `v=DKIM1; k=rsa; p=${der}` };
}

/**
 * `message` with a DKIM signature of `domain` (selector `sel`). The signing time is pinned:
 * without it mailauth stamps t= anew (rounded to the second) each time it formats the
 * header, so a signing that straddles a half second signs one t= and writes another.
 */
export async function dkimSigned(message: string, domain: string, privateKey: string): Promise<Buffer> {
  const { signatures, errors } = await dkimSign(message, {
    // mailauth's typings want the top-level fields, its signer reads signatureData
    ...{ signingDomain: domain, selector: 'sel', privateKey },
    signatureData: [{ signingDomain: domain, selector: 'sel', privateKey }],
    signTime: new Date(),
  });
  if (errors.length) throw new Error(`DKIM signing failed: ${JSON.stringify(errors)}`);
  return Buffer.from(signatures + message);
}

/** A DNS that knows only the TXT records given (lower-case names); everything else is NXDOMAIN. No network. */
export function fakeResolver(txt: Record<string, string>): DNSResolver & { queries: string[] } {
  const queries: string[] = [];
  const resolver = async (name: string, rrtype: string): Promise<string[][]> => {
    queries.push(`${rrtype} ${name}`);
    const value = rrtype === 'TXT' ? txt[name.toLowerCase()] : undefined;
    if (value === undefined) throw Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    return [[value]];
  };
  return Object.assign(resolver, { queries });
}

/** The service's logger at `level`, its entries kept in `entries` as parsed JSON (what an admin reading the log sees). */
export function recordingLogger(level: 'info' | 'warn'): { logger: Logger; entries: Array<{ level: number; code?: string; msg: string }> } {
  const entries: Array<{ level: number; code?: string; msg: string }> = [];
  const destination = new Writable({ write: (chunk, _enc, done) => (entries.push(JSON.parse(String(chunk))), done()) });
  return { logger: createLogger({ level, destination }), entries };
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

export function testConfig(env: Record<string, string | undefined> = {}): Config {
  return loadConfig({ REDIS_PREFIX: `t${randomUUID().slice(0, 8)}`, ...env });
}
