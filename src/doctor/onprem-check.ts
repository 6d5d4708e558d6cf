import type { Config } from '../../schemas/config.schema.ts';
import { PermanentError, TransientError } from '../errors.ts';
import { OnPremDirectory } from '../resolve/onprem/onprem-directory.ts';
import { errorText, fail, pass, skip, warn, withTimeout, type CheckResult } from './check.ts';

/**
 * On-premises AD (ONPREM_*): one bind with the read-only account, then the base DN, the
 * anchor attribute in the forest's schema and on at least one user. Run it on the host of
 * `syncdesk worker --queues onprem`: that is where the DC must be reachable.
 */

function bindFix(code: string | undefined, config: Config): string {
  const o = config.onprem;
  switch (code) {
    case 'onprem_bad_credentials':
      return `check ONPREM_BIND_DN (${o.bindDn}) and ONPREM_BIND_PASSWORD (or ONPREM_BIND_PASSWORD_FILE); the account must not be locked or expired`;
    case 'onprem_tls':
      return 'the DC certificate is not trusted for this host name: set ONPREM_TLS_CA to the CA file that signed it, and use the name in the certificate in ONPREM_URL';
    case 'onprem_starttls_refused':
      return 'the DC offers no TLS on this port (no certificate for LDAP): give it one, then StartTLS works, or use ldaps://…:636; the password is never sent without TLS';
    case 'onprem_ldap_error':
      return 'the DC refused the bind: a simple bind needs LDAPS (ldaps://…:636) or StartTLS (ldap://…:389); check the account';
    default:
      return `check ONPREM_URL (${o.url}), that the DC listens there, and the firewall between this host and the DC (636 LDAPS, 3269 Global Catalog over TLS)`;
  }
}

export async function checkOnPrem(config: Config, options: { timeoutMs?: number } = {}): Promise<CheckResult[]> {
  const o = config.onprem;
  if (!o.url) return [skip('on-premises AD', 'not read from this host (ONPREM_URL unset): tickets show the Entra ID side only, unless a tenant names its forest (`onpremForest`)')];
  if (!o.bindDn || !o.bindPassword || !o.baseDn) {
    return [skip('on-premises AD', `ONPREM_URL set without the account: this host queues on-premises lookups of ${o.url} for an onprem worker; run doctor on that worker's host to check the bind`)];
  }
  const timeoutMs = options.timeoutMs ?? 15_000;
  const dir = new OnPremDirectory({ url: o.url, bindDn: o.bindDn, bindPassword: o.bindPassword, baseDn: o.baseDn, anchorAttribute: o.anchorAttribute, tlsCa: o.tlsCa, timeoutMs: Math.min(o.timeoutMs, timeoutMs) });
  let probe;
  try {
    probe = await withTimeout(dir.probe(), timeoutMs, 'on-premises AD');
  } catch (err) {
    const code = err instanceof PermanentError || err instanceof TransientError ? err.code : undefined;
    return [fail('on-premises AD bind', `${o.bindDn} at ${o.url}: ${errorText(err)}`, bindFix(code, config))];
  }
  const results = [pass('on-premises AD bind', `${o.bindDn} bound at ${o.url}${/^ldap:/i.test(o.url) ? ' (StartTLS)' : ''}`)];
  if (!probe.baseDnFound) {
    results.push(fail('on-premises base DN', `${o.baseDn} does not exist (or the account cannot read it)`, 'set ONPREM_BASE_DN to the domain (DC=corp,DC=example,DC=com) or an OU above every synced object'));
    return results;
  }
  results.push(pass('on-premises base DN', `${o.baseDn} readable`));
  const anchor = o.anchorAttribute;
  if (!probe.anchorInSchema) {
    results.push(fail('on-premises anchor', `${anchor} is not in the forest's schema`, 'set ONPREM_ANCHOR_ATTRIBUTE to the source anchor Entra Connect uses (objectGUID, or ms-DS-ConsistencyGuid on Windows Server 2016 schemas and later)'));
  } else if (!probe.anchorInUse) {
    results.push(
      warn(
        'on-premises anchor',
        `no user under ${o.baseDn} has ${anchor}: a failing object is found by its objectGUID, as Entra Connect exports an object whose ${anchor} is empty, else by its identity`,
        'if Entra Connect uses objectGUID as source anchor, set ONPREM_ANCHOR_ATTRIBUTE=objectGUID; ms-DS-ConsistencyGuid is only filled on objects Entra Connect has exported',
      ),
    );
  } else {
    results.push(pass('on-premises anchor', `${anchor} is set on users under ${o.baseDn}`));
  }
  return results;
}
