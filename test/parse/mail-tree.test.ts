import { describe, expect, it } from 'vitest';
import { openMail } from '../../src/parse/mail-tree.ts';

const mail = (date: string): Buffer =>
  Buffer.from(['From: MSOnlineServicesTeam@MicrosoftOnline.com', 'Subject: Directory Synchronization Error Report', date, 'Content-Type: text/plain; charset=utf-8', '', 'body', ''].join('\r\n'));

describe('openMail', () => {
  it('reads a Date header mailparser cannot as a loose date, and never dates a mail by the time it was read', async () => {
    // Apple Mail's header as a saved text gives it (found by the eighth blind test: the report was dated today)
    expect((await openMail(mail('Date: 8 March 2022 at 23:32:40 CET')))[0]!.sentAt).toBe('2022-03-08T22:32:40.000Z');
    expect((await openMail(mail('Date: someday soon')))[0]!.sentAt).toBeNull();
    expect((await openMail(mail('Date: Tue, 08 Mar 2022 23:32:40 +0100')))[0]!.sentAt).toBe('2022-03-08T22:32:40.000Z');
  });
});
