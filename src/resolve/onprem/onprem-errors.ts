import { InvalidCredentialsError, NoSuchObjectError, ResultCodeError } from 'ldapts';
import { PermanentError, TransientError } from '../../errors.ts';

/** LDAP result codes worth retrying: busy (51), unavailable (52), time limit (3), other (80). */
const TRANSIENT_RESULT_CODES = new Set([3, 51, 52, 80]);
/** Socket errors of a DC that is down, restarting or out of reach. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND']);

/**
 * Maps an ldapts or socket error to what the queue should do: an unreachable or slow DC is
 * transient, bad credentials and every other LDAP refusal are permanent.
 */
export function classifyLdapError(err: unknown, what: string): TransientError | PermanentError {
  if (err instanceof TransientError || err instanceof PermanentError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof InvalidCredentialsError)
    return new PermanentError(`${what}: the DC refused the bind credentials (${message})`, 'onprem_bad_credentials', { cause: err });
  if (err instanceof NoSuchObjectError) {
    // a search's base that is not there (or that the account may not see): the DC's own text says less
    return new PermanentError(`${what}: the base DN is not on this DC, or the account cannot see it (LDAP result 32, no such object: ${message}); check ONPREM_BASE_DN with \`syncdesk doctor\``, 'onprem_no_base', { cause: err });
  }
  if (err instanceof ResultCodeError) {
    if (TRANSIENT_RESULT_CODES.has(err.code))
      return new TransientError(`${what}: LDAP result ${err.code} (${message})`, 'onprem_busy', undefined, { cause: err });
    return new PermanentError(`${what}: LDAP result ${err.code} (${message})`, 'onprem_ldap_error', { cause: err });
  }
  const code = (err as { code?: unknown } | null)?.code;
  // TLS failures (unknown CA, wrong host name) need a config change, not a retry
  if (typeof code === 'string' && /CERT|SELF_SIGNED|VERIFY|ISSUER|ERR_TLS|ERR_SSL/.test(code))
    return new PermanentError(`${what}: TLS to the DC failed (${message})`, 'onprem_tls', { cause: err });
  if ((typeof code === 'string' && NETWORK_CODES.has(code)) || /timed? ?out|socket|connection|closed/i.test(message))
    return new TransientError(`${what}: DC unreachable (${message})`, 'onprem_unreachable', undefined, { cause: err });
  return new TransientError(`${what}: ${message}`, 'onprem_unreachable', undefined, { cause: err });
}
