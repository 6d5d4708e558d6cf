import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { collectOnPremSides, processOnPremJob } from '../../../src/app/onprem-processor.ts';
import { TransientError } from '../../../src/errors.ts';
import { syncError, ticketJob } from '../../ticket/builders.ts';

/** How a resolve job hears from its onprem child, and what the child's last attempt says. */

const error = syncError({ attribute: 'ProxyAddresses', value: 'smtp:a@corp.example', identity: 'a@corp.example' });
const quota = { ...syncError(), category: 'QuotaExceeded' as const, identity: null, attributes: [], fingerprint: 'f'.repeat(32) };
const job = (values: Record<string, unknown>, failures: Record<string, string>) => ({
  getChildrenValues: async () => values,
  getIgnoredChildrenFailures: async () => failures,
});

describe('collectOnPremSides', () => {
  it('is undefined without an onprem child (AD not configured)', async () => {
    expect(await collectOnPremSides(job({}, {}), [error])).toBeUndefined();
  });

  it('turns a child that failed for good into an unavailable side with its reason and code, for the errors AD was asked about', async () => {
    const sides = await collectOnPremSides(job({}, { 'bull:onprem:1': '[onprem_bad_credentials] on-premises lookup at ldaps://dc1:636: the DC refused the bind credentials' }), [error, quota]);
    expect(sides?.get(error.fingerprint)).toMatchObject({ status: 'unavailable', code: 'onprem_bad_credentials', note: 'on-premises lookup at ldaps://dc1:636: the DC refused the bind credentials' });
    expect(sides?.has(quota.fingerprint)).toBe(false);
  });
});

describe('processOnPremJob', () => {
  const data = { report: ticketJob('corp.example', 1, [error]).report, errors: [error] };
  const down = { session: async () => Promise.reject(new TransientError('on-premises lookup at ldaps://dc1:636: DC unreachable (connect ECONNREFUSED)', 'onprem_unreachable')) };
  const log = pino({ level: 'silent' });

  it('says on its last attempt how many were made, and rethrows earlier ones as they are', async () => {
    await expect(processOnPremJob(data, down, log, { made: 1, max: 4 })).rejects.toThrow(/ECONNREFUSED\)$/);
    await expect(processOnPremJob(data, down, log, { made: 3, max: 4 })).rejects.toThrow('DC unreachable (connect ECONNREFUSED); gave up after 4 attempts');
  });

  it('does not bind for a chunk with nothing to read (tenant-level errors only)', async () => {
    expect(await processOnPremJob({ ...data, errors: [quota] }, down, log)).toEqual([]);
  });
});
