import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { checkOnPrem } from '../../src/doctor/onprem-check.ts';

/** Without the account there is nothing to bind with: doctor says what this host does instead. (Binds: onprem-lookup.int.test.ts.) */
describe('doctor: on-premises AD without the account', () => {
  it('skips when ONPREM_URL is unset', async () => {
    expect(await checkOnPrem(loadConfig({}))).toEqual([expect.objectContaining({ check: 'on-premises AD', status: 'skip', ok: true })]);
  });

  it('skips a host that only queues lookups (ONPREM_URL alone), naming where to check the bind', async () => {
    const [r] = await checkOnPrem(loadConfig({ ONPREM_URL: 'ldaps://dc1.corp.example:636' }));
    expect(r).toMatchObject({ status: 'skip', ok: true });
    expect(r!.detail).toContain("run doctor on that worker's host");
  });
});
