import { beforeAll, describe, expect, it } from 'vitest';
import { sealMessage } from 'mailauth';
import { createSenderTrust, parseAuthenticationResults } from '../../src/ingest/sender-trust.ts';
import type { MailDocument } from '../../src/parse/mail-tree.ts';
import { parseMail } from '../../src/parse/parse-mail.ts';
import { dkimKey, dkimSigned as sign, fakeResolver, forwardedAsAttachment, reportMail } from './helpers.ts';

let ms: { privateKey: string; txt: string };
let fab: { privateKey: string; txt: string };
let dns: ReturnType<typeof fakeResolver>;

beforeAll(() => {
  ms = dkimKey();
  fab = dkimKey();
  dns = fakeResolver({
    'sel._domainkey.microsoftonline.com': ms.txt,
    '_dmarc.microsoftonline.com': 'v=DMARC1; p=reject',
    'sel._domainkey.fabrikam.com': fab.txt,
    '_dmarc.fabrikam.com': 'v=DMARC1; p=quarantine',
  });
});

const ADMIN = 'admin@fabrikam.com';

/** What an external-sender transport rule does: a line before the body, after the signature was made. */
function withBanner(mail: string): string {
  const body = mail.indexOf('\r\n\r\n') + 4;
  return `${mail.slice(0, body)}CAUTION: This email originated from outside the organization.\r\n${mail.slice(body)}`;
}

describe('sender trust', () => {
  it('strict: accepts a Microsoft report with a valid aligned DKIM signature (DMARC pass)', async () => {
    const trust = createSenderTrust({ policy: 'strict', allowedForwarders: [], resolver: dns });
    const v = await trust.evaluate(await sign(reportMail('t1'), 'microsoftonline.com', ms.privateKey));
    expect(v.trusted).toBe(true);
    expect(v.reason).toContain('DMARC pass');
    expect(v.sender).toBe('msonlineservicesteam@microsoftonline.com');
  });

  it('reads the mail as the parser decoded it (one MIME decode per mail), with the same verdicts', async () => {
    const trust = createSenderTrust({ policy: 'strict', allowedForwarders: [], resolver: dns });
    const signed = await sign(reportMail('t1d'), 'microsoftonline.com', ms.privateKey);
    let documents: readonly MailDocument[] = [];
    await parseMail(signed, { opened: (docs) => (documents = docs) });
    expect(await trust.evaluate(signed, { documents })).toEqual(await trust.evaluate(signed));
    // the verdict is the documents' word: the same bytes described as from someone else are not Microsoft's
    const other = documents.map((d, i) => (i === 0 ? { ...d, from: 'someone@fabrikam.com' } : d));
    expect((await trust.evaluate(signed, { documents: other })).sender).toBe('someone@fabrikam.com');
    // an attached original still verifies from the parser's documents
    const forwarded = Buffer.from(forwardedAsAttachment(signed.toString(), ADMIN, 'fwd-d'));
    let fwdDocs: readonly MailDocument[] = [];
    await parseMail(forwarded, { opened: (docs) => (fwdDocs = docs) });
    expect(await trust.evaluate(forwarded, { documents: fwdDocs })).toMatchObject({ trusted: true, reason: expect.stringContaining('attached report') });
  });

  it('strict: quarantines a forged Microsoft report (no signature)', async () => {
    const trust = createSenderTrust({ policy: 'strict', allowedForwarders: [], resolver: dns });
    const v = await trust.evaluate(Buffer.from(reportMail('t2')));
    expect(v.trusted).toBe(false);
    expect(v.reason).toMatch(/claims Microsoft sender msonlineservicesteam@microsoftonline\.com without a DMARC pass/);
    // an unsigned mail's DKIM is said as "none", not as an undefined domain (blind31 R10)
    expect(v.reason).toMatch(/dkim=none\b/);
    expect(v.reason).not.toContain('undefined');
  });

  it('strict: quarantines a report signed by an attacker key, and one altered after signing', async () => {
    const trust = createSenderTrust({ policy: 'strict', allowedForwarders: [], resolver: dns });
    const attacker = dkimKey();
    expect((await trust.evaluate(await sign(reportMail('t3'), 'microsoftonline.com', attacker.privateKey))).trusted).toBe(false);
    const genuine = (await sign(reportMail('t4'), 'microsoftonline.com', ms.privateKey)).toString();
    const tampered = Buffer.from(genuine.replace('Fabrikam, Inc..', 'Contoso, Inc..'));
    expect((await trust.evaluate(tampered)).trusted).toBe(false);
  });

  it("a body changed after Microsoft signed it (a banner, a rewritten link): the reason says so, not a bare 'neutral' (blind38 G5)", async () => {
    const trust = createSenderTrust({ policy: 'forwarders', allowedForwarders: [], resolver: dns });
    const genuine = (await sign(reportMail('t4b'), 'microsoftonline.com', ms.privateKey)).toString();
    const bannered = Buffer.from(withBanner(genuine));
    const v = await trust.evaluate(bannered);
    expect(v.trusted).toBe(false);
    expect(v.reason).toContain('dkim=microsoftonline.com:neutral (body hash did not verify: the body was changed after it was signed, by a banner, disclaimer or link rewriting on the way?)');
  });

  it('a valid ARC seal counts by its sealing domain only, and a reason names an untrusted sealer (blind38 G2)', async () => {
    const gw = dkimKey();
    const sealDns = fakeResolver({
      'sel._domainkey.microsoftonline.com': ms.txt,
      '_dmarc.microsoftonline.com': 'v=DMARC1; p=reject',
      'arc1._domainkey.gw.fabrikam.com': gw.txt,
    });
    const genuine = (await sign(reportMail('t4c'), 'microsoftonline.com', ms.privateKey)).toString();
    const bannered = withBanner(genuine);
    // the gateway checked the mail before its banner, then sealed what it passed on
    const aar = 'mx1.gw.fabrikam.com; dkim=pass header.d=microsoftonline.com; spf=pass smtp.mailfrom=microsoftonline.com; dmarc=pass header.from=microsoftonline.com';
    // authResults and cv are read by mailauth's createSeal, though its types leave them out
    const options = { signingDomain: 'gw.fabrikam.com', selector: 'arc1', privateKey: gw.privateKey, authResults: aar, cv: 'none' };
    const seal = await sealMessage(Buffer.from(bannered), options as Parameters<typeof sealMessage>[1]);
    const sealed = Buffer.concat([seal, Buffer.from(bannered)]);
    const byId = await createSenderTrust({ policy: 'strict', allowedForwarders: [], resolver: sealDns, trustedAuthServIds: ['mx1.gw.fabrikam.com'] }).evaluate(sealed);
    expect(byId.trusted).toBe(false);
    expect(byId.reason).toContain('arc=pass (sealed by gw.fabrikam.com, not trusted: TRUSTED_AUTHSERV_IDS lists a sealer by its d=)');
    const bySealer = await createSenderTrust({ policy: 'strict', allowedForwarders: [], resolver: sealDns, trustedAuthServIds: ['gw.fabrikam.com'] }).evaluate(sealed);
    expect(bySealer).toMatchObject({ trusted: true, reason: 'Microsoft sender msonlineservicesteam@microsoftonline.com, DMARC pass (ARC)' });
  });

  it('strict: accepts a report forwarded as an attachment when the attached original still verifies', async () => {
    const trust = createSenderTrust({ policy: 'strict', allowedForwarders: [], resolver: dns });
    const inner = (await sign(reportMail('t5'), 'microsoftonline.com', ms.privateKey)).toString();
    const v = await trust.evaluate(Buffer.from(forwardedAsAttachment(inner, ADMIN, 't5')));
    expect(v.trusted).toBe(true);
    expect(v.reason).toContain('attached report');
    const unsignedInner = await trust.evaluate(Buffer.from(forwardedAsAttachment(reportMail('t6'), ADMIN, 't6')));
    expect(unsignedInner.trusted).toBe(false);
  });

  it('forwarders: accepts an allow-listed forwarder with an aligned DKIM pass, not an unlisted one', async () => {
    const trust = createSenderTrust({ policy: 'forwarders', allowedForwarders: [ADMIN], resolver: dns });
    const fw = forwardedAsAttachment(reportMail('t7'), ADMIN, 't7');
    const ok = await trust.evaluate(await sign(fw, 'fabrikam.com', fab.privateKey));
    expect(ok).toMatchObject({ trusted: true, sender: ADMIN });
    const unsigned = await trust.evaluate(Buffer.from(fw));
    expect(unsigned.trusted).toBe(false);
    expect(unsigned.reason).toContain('allow-listed forwarder admin@fabrikam.com failed authentication');
    const other = forwardedAsAttachment(reportMail('t8'), 'eve@fabrikam.com', 't8');
    const v = await trust.evaluate(await sign(other, 'fabrikam.com', fab.privateKey));
    expect(v.trusted).toBe(false);
    expect(v.reason).toContain('neither a known Microsoft sender nor an allow-listed forwarder');
  });

  it('strict refuses an allow-listed forwarder that forwards inline', async () => {
    const trust = createSenderTrust({ policy: 'strict', allowedForwarders: [ADMIN], resolver: dns });
    const fw = forwardedAsAttachment(reportMail('t9'), ADMIN, 't9');
    expect((await trust.evaluate(await sign(fw, 'fabrikam.com', fab.privateKey))).trusted).toBe(false);
  });

  it('believes Authentication-Results only from a trusted authserv-id, and only the topmost one', async () => {
    const fw = forwardedAsAttachment(reportMail('t10'), ADMIN, 't10');
    const withAr = (id: string, verdict: string): Buffer =>
      Buffer.from(`Authentication-Results: ${id};\r\n dkim=${verdict} header.d=fabrikam.com;\r\n dmarc=${verdict} header.from=fabrikam.com\r\n${fw}`);
    const trust = createSenderTrust({ policy: 'forwarders', allowedForwarders: [ADMIN], resolver: dns, trustedAuthServIds: ['mx.fabrikam.com'] });
    expect((await trust.evaluate(withAr('mx.fabrikam.com', 'pass'))).trusted).toBe(true);
    expect((await trust.evaluate(withAr('evil.example', 'pass'))).trusted).toBe(false);
    // the server's own (topmost) verdict wins over a forged "pass" lower down
    const layered = Buffer.from(
      `Authentication-Results: mx.fabrikam.com; dmarc=fail header.from=fabrikam.com\r\n` +
        `Authentication-Results: mx.fabrikam.com; dmarc=pass header.from=fabrikam.com\r\n${fw}`,
    );
    expect((await trust.evaluate(layered)).trusted).toBe(false);
  });

  it('a trusted server saying dmarc=pass for a Microsoft sender satisfies strict', async () => {
    const trust = createSenderTrust({ policy: 'strict', allowedForwarders: [], resolver: dns, trustedAuthServIds: ['mx.fabrikam.com'] });
    const mail = `Authentication-Results: mx.fabrikam.com; spf=pass smtp.mailfrom=microsoftonline.com;\r\n dmarc=pass (p=reject) header.from=MicrosoftOnline.com\r\n${reportMail('t11')}`;
    expect((await trust.evaluate(Buffer.from(mail))).trusted).toBe(true);
    const wrongDomain = `Authentication-Results: mx.fabrikam.com; dmarc=pass header.from=evil.example\r\n${reportMail('t12')}`;
    expect((await trust.evaluate(Buffer.from(wrongDomain))).trusted).toBe(false);
  });

  it("ignores a trusted server's results written below every Received line of that server: the sender wrote them (blind35 S2)", async () => {
    const trust = createSenderTrust({ policy: 'strict', allowedForwarders: [], resolver: dns, trustedAuthServIds: ['mx.fabrikam.com'] });
    const received = (by: string, from = 'mail-xyz.outbound.protection.outlook.com') => `Received: from ${from} (${from} [40.107.1.1])\r\n\tby ${by} with ESMTPS id abc; Thu, 16 Apr 2026 18:20:05 +0000\r\n`;
    const ar = (verdict: string) => `Authentication-Results: mx.fabrikam.com; spf=${verdict} smtp.mailfrom=microsoftonline.com; dmarc=${verdict} header.from=microsoftonline.com\r\n`;
    // the MX added none of its own: the "pass" under its Received line came with the mail
    const forged = await trust.evaluate(Buffer.from(received('mx.fabrikam.com') + ar('pass') + reportMail('t14')));
    expect(forged.trusted).toBe(false);
    expect(forged.reason).toContain('Authentication-Results of mx.fabrikam.com below every Received line of mx.fabrikam.com ignored: the sender wrote it');
    // the MX's own, above the line it wrote on taking the mail
    expect((await trust.evaluate(Buffer.from(ar('pass') + received('mx.fabrikam.com') + reportMail('t15')))).trusted).toBe(true);
    // Postfix through a content filter: the MX takes the mail twice; its results sit between its two Received lines
    const refiltered = received('mx.fabrikam.com', 'localhost') + ar('pass') + received('mx.fabrikam.com') + reportMail('t16');
    expect((await trust.evaluate(Buffer.from(refiltered))).trusted).toBe(true);
    // a server whose Received lines do not carry its authserv-id: its topmost results count, as before
    expect((await trust.evaluate(Buffer.from(ar('pass') + received('relay7.fabrikam.com') + reportMail('t17')))).trusted).toBe(true);
  });

  it("two results of one server that disagree: the one with fewer passes counts, wherever the forged one is (blind35 S2)", async () => {
    const trust = createSenderTrust({ policy: 'strict', allowedForwarders: [], resolver: dns, trustedAuthServIds: ['mx.fabrikam.com'] });
    const ar = (verdict: string) => `Authentication-Results: mx.fabrikam.com; spf=${verdict} smtp.mailfrom=microsoftonline.com; dmarc=${verdict} header.from=microsoftonline.com\r\n`;
    const v = await trust.evaluate(Buffer.from(ar('pass') + ar('fail') + reportMail('t18')));
    expect(v.trusted).toBe(false);
    expect(v.reason).toContain('server says mx.fabrikam.com: spf=fail dmarc=fail');
  });

  it('a look-alike of a Microsoft sender is held, and the reason spells out what is not what it looks like (blind35 S7)', async () => {
    const trust = createSenderTrust({ policy: 'strict', allowedForwarders: [], resolver: dns });
    const v = await trust.evaluate(Buffer.from(reportMail('t19', { from: 'MSOnlineServicesTeam@Micr\u043esoftOnline.com' })));
    expect(v.trusted).toBe(false);
    expect(v.reason).toBe('sender msonlineservicesteam@micr\u043esoftonline.com is not a known Microsoft sender (policy strict); the address holds characters that look like others: U+043E (Cyrillic \u043e) at 26 (msonlineservicesteam@micr[U+043E]softonline.com)');
  });

  it("a report a Google Group relayed under its own From: held unless the group is a forwarder, and the reason says whose mail it relays (blind46 N1)", async () => {
    const GROUP = 'it-alerts@fabrikam.com';
    // Google Groups' "X via Group": From is the group, the original sender in X-Original-From
    const relayed = reportMail('t20', { from: `'Microsoft Online Services Team' via IT Alerts <${GROUP}>` }).replace(
      'To: ',
      'X-Original-From: Microsoft Online Services Team <MSOnlineServicesTeam@MicrosoftOnline.com>\r\nX-Original-Sender: msonlineservicesteam@microsoftonline.com\r\nTo: ',
    );
    const signed = await sign(relayed, 'fabrikam.com', fab.privateKey);
    const held = await createSenderTrust({ policy: 'forwarders', allowedForwarders: [], resolver: dns }).evaluate(signed);
    expect(held.trusted).toBe(false);
    expect(held.reason).toBe(
      `sender ${GROUP} is neither a known Microsoft sender nor an allow-listed forwarder; it relays mail from msonlineservicesteam@microsoftonline.com (a group or list wrote its own From over it: name ${GROUP} in ALLOWED_FORWARDERS or a tenant's forwarders to take its mail)`,
    );
    expect(await createSenderTrust({ policy: 'forwarders', allowedForwarders: [GROUP], resolver: dns }).evaluate(signed)).toMatchObject({ trusted: true, sender: GROUP });
    // the report is Microsoft's, passed on by the group
    const out = await parseMail(signed);
    expect(out.ok && out.reports[0]).toMatchObject({ from: 'MSOnlineServicesTeam@MicrosoftOnline.com', forwardedBy: GROUP });
  });

  it('policy off trusts everything', async () => {
    const trust = createSenderTrust({ policy: 'off', allowedForwarders: [], resolver: dns });
    expect((await trust.evaluate(Buffer.from(reportMail('t13')))).trusted).toBe(true);
  });

  it('parses Authentication-Results with comments and folding', () => {
    const ar = parseAuthenticationResults(' mx.example.com (version 1);\r\n dkim=pass (good sig) header.d=a.com;\r\n spf=softfail smtp.mailfrom=b.com; dmarc=pass header.from="a.com"');
    expect(ar?.authservId).toBe('mx.example.com');
    expect(ar?.results.get('dkim')).toEqual({ result: 'pass', props: { 'header.d': 'a.com' } });
    expect(ar?.results.get('spf')?.result).toBe('softfail');
    expect(ar?.results.get('dmarc')?.props['header.from']).toBe('a.com');
  });
});
