/**
 * What an IMAP failure says, for the log and /readyz. imapflow's error message is "Command
 * failed" for any refused command; the server's own words are in `responseText` ("Mailbox
 * doesn't exist: Reports") and its response code in `serverResponseCode`
 * (AUTHENTICATIONFAILED), which is what an admin needs to see.
 */
export function imapErrorText(err: unknown): string {
  const e = err as { message?: string; code?: string; responseText?: string; serverResponseCode?: string; authenticationFailed?: boolean } | null;
  const said = e?.responseText?.trim();
  const base = e?.authenticationFailed ? 'login refused' : String(e?.message ?? err);
  if (!said) return e?.code && !base.includes(e.code) ? `${base} (${e.code})` : base;
  const code = e?.serverResponseCode && !said.includes(e.serverResponseCode) ? ` [${e.serverResponseCode}]` : '';
  // "Command failed" adds nothing to the server's words
  return e?.authenticationFailed || base !== 'Command failed' ? `${base}: ${said}${code}` : `${said}${code}`;
}
