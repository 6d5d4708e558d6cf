import { describe, expect, it } from 'vitest';
import { ERROR_CATEGORIES, type SyncError } from '../../schemas/report.schema.ts';
import { categoryOf } from '../../src/cli/status.ts';
import { correlationKey } from '../../src/ticket/correlation-key.ts';
import { renderSummary } from '../../src/ticket/render.ts';
import { syncError, ticketJob } from '../ticket/builders.ts';

const TENANT = 'contoso.onmicrosoft.com';

/** The summary the ticket stage writes for an error, as `syncdesk status` finds it in the ticket's state. */
function summaryOf(error: SyncError): string {
  return renderSummary({ key: correlationKey(TENANT, error), report: ticketJob(TENANT, 1, [error]).report, error, resolution: undefined });
}

describe('status counts open problems by the category their ticket summary was written for', () => {
  it('for every category and every title the ticket stage gives one', () => {
    const errors = [
      ...ERROR_CATEGORIES.map((category) => syncError({ category, message: 'Some error text.' })),
      syncError({ category: 'DeletingCloudOnlyObject', message: 'Unable to update the password of this cloud-only object.' }),
      syncError({ category: 'DuplicateAttribute', attributes: [] }),
    ];
    // the password change is titled apart from the delete it is filed with: it must be counted with it, not as "other"
    expect(summaryOf(errors.at(-2)!)).toMatch(/^\[Cloud-only password change\]/);
    for (const error of errors) expect(categoryOf(summaryOf(error)), summaryOf(error)).toBe(error.category);
  });

  it('reads the summaries of tickets opened before, and counts what names no category as other', () => {
    expect(categoryOf('[Sync error] Error 016: Synchronization has been stopped. — tenant contoso')).toBe('Unknown');
    expect(categoryOf('[Duplicate ProxyAddresses] smtp:sales@contoso.com on jane@contoso.com — tenant contoso')).toBe('DuplicateAttribute');
    expect(categoryOf('LargeObject on big@contoso.com')).toBe('LargeObject');
    expect(categoryOf('[Something else] x')).toBe('other');
    expect(categoryOf(undefined)).toBe('other');
  });
});
