import { BusyError, InvalidCredentialsError, NoSuchObjectError } from 'ldapts';
import { describe, expect, it } from 'vitest';
import { PermanentError, TransientError } from '../../../src/errors.ts';
import { classifyLdapError } from '../../../src/resolve/onprem/onprem-errors.ts';

describe('what the onprem queue does with an LDAP failure', () => {
  it('a base DN that is not there is a permanent fault that names ONPREM_BASE_DN, not the DC\'s raw text alone', () => {
    const err = classifyLdapError(new NoSuchObjectError("0000208D: NameErr: DSID-03100241, problem 2001 (NO_OBJECT), data 0, best match of: 'DC=corp,DC=example'"), 'on-premises find holders at ldaps://dc1:636');
    expect(err).toBeInstanceOf(PermanentError);
    expect(err).toMatchObject({ code: 'onprem_no_base' });
    expect(err.message).toMatch(/^on-premises find holders at ldaps:\/\/dc1:636: the base DN is not on this DC, or the account cannot see it \(LDAP result 32, no such object: 0000208D.*\); check ONPREM_BASE_DN/);
  });

  it('a busy DC is retried; refused credentials are not', () => {
    expect(classifyLdapError(new BusyError('busy'), 'x')).toBeInstanceOf(TransientError);
    expect(classifyLdapError(new InvalidCredentialsError('bad'), 'x')).toMatchObject({ code: 'onprem_bad_credentials' });
  });
});
