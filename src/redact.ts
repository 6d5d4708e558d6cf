/** The user and password in any URL (`https://u:p@host`): a Redis, desk, LDAP or authority URL may carry them. */
const URL_USERINFO_RE = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]*@/gi;

/** `text` with the user and password of every URL in it masked (`redis://***@host`), for messages, logs and doctor's report. */
export function maskUrlUserinfo(text: string): string {
  return text.replace(URL_USERINFO_RE, '$1***@');
}
