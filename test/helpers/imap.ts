import { ImapFlow } from 'imapflow';
import { services } from './services.ts';

/**
 * A connected client of the test Dovecot, for tests to create mailboxes, append mails and
 * look at flags as a mail client would (plain port, no TLS; errors are the test's to see
 * through its assertions, not an unhandled event).
 */
export async function imapAdmin(): Promise<ImapFlow> {
  const s = services();
  const c = new ImapFlow({
    host: s.IMAP_HOST!,
    port: Number(s.IMAP_PORT),
    secure: false,
    doSTARTTLS: false,
    auth: { user: s.IMAP_USER!, pass: s.IMAP_PASSWORD! },
    logger: false,
  });
  c.on('error', () => undefined);
  await c.connect();
  return c;
}

/** The variables of a syncdesk process reading the test Dovecot over TLS. */
export function imapTlsEnv(): Record<string, string> {
  const s = services();
  return {
    IMAP_HOST: s.IMAP_HOST!,
    IMAP_PORT: s.IMAP_TLS_PORT!,
    IMAP_SECURE: 'true',
    IMAP_TLS_CA: s.IMAP_TLS_CA!,
    IMAP_USER: s.IMAP_USER!,
    IMAP_PASSWORD: s.IMAP_PASSWORD!,
  };
}
