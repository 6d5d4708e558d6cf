import { ImapFlow } from 'imapflow';

/**
 * The test Dovecot as a client sees it, from the services' variables (REDIS_URL, IMAP_HOST,
 * IMAP_PORT, …). No vitest here: the benchmarks start the same services outside a test run.
 */

/**
 * A connected client for creating mailboxes, appending mails and looking at flags as a mail
 * client would (plain port, no TLS; errors are the caller's to see through its assertions,
 * not an unhandled event).
 */
export async function imapAdminOf(s: Record<string, string>): Promise<ImapFlow> {
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
export function imapTlsEnvOf(s: Record<string, string>): Record<string, string> {
  return {
    IMAP_HOST: s.IMAP_HOST!,
    IMAP_PORT: s.IMAP_TLS_PORT!,
    IMAP_SECURE: 'true',
    IMAP_TLS_CA: s.IMAP_TLS_CA!,
    IMAP_USER: s.IMAP_USER!,
    IMAP_PASSWORD: s.IMAP_PASSWORD!,
  };
}
