import type { ImapFlow } from 'imapflow';
import { imapAdminOf, imapTlsEnvOf } from './imap-clients.ts';
import { services } from './services.ts';

/** A connected client of the test Dovecot (see imapAdminOf). */
export function imapAdmin(): Promise<ImapFlow> {
  return imapAdminOf(services());
}

/** The variables of a syncdesk process reading the test Dovecot over TLS. */
export function imapTlsEnv(): Record<string, string> {
  return imapTlsEnvOf(services());
}
