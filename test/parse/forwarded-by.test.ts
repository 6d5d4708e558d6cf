import { describe, expect, it } from 'vitest';
import { attachedMessage, messageBytes, multipart, renderMessage, textPart } from '../fixtures/builders/mime.ts';
import { parseOne } from './parse-one.ts';

const MS = 'Microsoft Online Services Team <MSOnlineServicesTeam@MicrosoftOnline.com>';
const SUBJECT = 'Directory Synchronization Error Report';
const BEAT = 'Beat Huber <beat.huber@alpineoutfitters.ch>';
const LENA = 'Lena Frei <lena.frei@alpineoutfitters.ch>';
const DESK = 'helpdesk@alpineoutfitters.ch';
const REPORT_TEXT = [
  'The Identity synchronization tool batch run was completed on Monday, 20 January 2025 04:40:00 GMT for directory Alpine Outfitters [alpineoutfitters.onmicrosoft.com].',
  '',
  'The following errors occurred during synchronization:',
  '',
  'Identity\tError Description\tSource Anchor',
  'sandra.keller@alpineoutfitters.ch\tUnable to update this object because the following attributes associated with this object have values that may already be associated with another object in your local directory services: [ProxyAddresses SMTP:verkauf@alpineoutfitters.ch;]. Correct or remove the duplicate values in your local directory.\tc2FuZHJhS2VsbGVy',
].join('\n');

const mail = (from: string, subject: string, id: string, content: ReturnType<typeof textPart>): string =>
  renderMessage({ from, to: DESK, subject, date: 'Mon, 20 Jan 2025 09:00:00 +0100', messageId: `<${id}@alpineoutfitters.ch>`, content });
const forwardHeader = (from: string, subject: string): string => `From: ${from}\nSent: Monday, January 20, 2025 8:00 AM\nTo: ${DESK}\nSubject: ${subject}`;

describe('forwardedBy: the person whose mail reached the mailbox, however deep the report lies', () => {
  it('names the outer forwarder of a forward-as-attachment of a forward-as-attachment (blind27 M3: it named the colleague between)', async () => {
    const report = mail(MS, SUBJECT, 'report', textPart({ subtype: 'plain', text: REPORT_TEXT }));
    const beats = mail(BEAT, `WG: ${SUBJECT}`, 'beat', multipart('mixed', 'b_beat', [textPart({ subtype: 'plain', text: 'Lena, kannst du das ansehen?' }), attachedMessage(report, 'report.eml')]));
    const lenas = mail(LENA, `WG: WG: ${SUBJECT}`, 'lena', multipart('mixed', 'b_lena', [textPart({ subtype: 'plain', text: 'Bitte ein Ticket.' }), attachedMessage(beats, 'beat.eml')]));
    const parsed = await parseOne(messageBytes(lenas));
    expect(parsed.from).toBe('MSOnlineServicesTeam@MicrosoftOnline.com');
    expect(parsed.forwardedBy).toBe('lena.frei@alpineoutfitters.ch');
  });

  it("names the admin who redirected the report (Resent-From: the report's own From kept; blind46 N3)", async () => {
    const report = mail(MS, SUBJECT, 'redirected', textPart({ subtype: 'plain', text: REPORT_TEXT }));
    const redirected = `Resent-From: ${LENA}\r\nResent-To: ${DESK}\r\nResent-Date: Mon, 20 Jan 2025 10:00:00 +0100\r\n${messageBytes(report).toString('latin1')}`;
    const parsed = await parseOne(Buffer.from(redirected, 'latin1'));
    expect(parsed.from).toBe('MSOnlineServicesTeam@MicrosoftOnline.com');
    expect(parsed.forwardedBy).toBe('lena.frei@alpineoutfitters.ch');
  });

  it("names the Gmail account that forwarded the report automatically (X-Forwarded-For; blind46 N3)", async () => {
    const report = mail(MS, SUBJECT, 'gmail-auto', textPart({ subtype: 'plain', text: REPORT_TEXT }));
    const forwarded = `X-Forwarded-To: ${DESK}\r\nX-Forwarded-For: lena.frei@gmail.com ${DESK}\r\n${messageBytes(report).toString('latin1')}`;
    const parsed = await parseOne(Buffer.from(forwarded, 'latin1'));
    expect(parsed.from).toBe('MSOnlineServicesTeam@MicrosoftOnline.com');
    expect(parsed.forwardedBy).toBe('lena.frei@gmail.com');
  });

  it('names the outer forwarder of an inline forward of an inline forward, as it did', async () => {
    const beats = `Lena, kannst du das ansehen?\n\n${forwardHeader(MS, SUBJECT)}\n\n${REPORT_TEXT}`;
    const lenas = `Bitte ein Ticket.\n\n${forwardHeader(BEAT, `WG: ${SUBJECT}`)}\n\n${beats}`;
    const parsed = await parseOne(messageBytes(mail(LENA, `WG: WG: ${SUBJECT}`, 'lena-inline', textPart({ subtype: 'plain', text: lenas }))));
    expect(parsed.from).toBe('MSOnlineServicesTeam@MicrosoftOnline.com');
    expect(parsed.forwardedBy).toBe('lena.frei@alpineoutfitters.ch');
  });

  it('names the outer forwarder when an attached mail forwards the report inline', async () => {
    const beats = mail(BEAT, `WG: ${SUBJECT}`, 'beat-inline', textPart({ subtype: 'plain', text: `Lena, kannst du das ansehen?\n\n${forwardHeader(MS, SUBJECT)}\n\n${REPORT_TEXT}` }));
    const lenas = mail(LENA, `WG: WG: ${SUBJECT}`, 'lena-mixed', multipart('mixed', 'b_lena', [textPart({ subtype: 'plain', text: 'Bitte ein Ticket.' }), attachedMessage(beats, 'beat.eml')]));
    expect((await parseOne(messageBytes(lenas))).forwardedBy).toBe('lena.frei@alpineoutfitters.ch');
  });
});
