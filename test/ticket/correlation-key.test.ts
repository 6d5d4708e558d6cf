import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { correlationKey, digestKey, KEY_PATTERN } from '../../src/ticket/correlation-key.ts';
import { syncError } from './builders.ts';

const T = 'contoso.onmicrosoft.com';

describe('correlationKey', () => {
  it('is aadsync- and 40 hex: fits a Jira label, SN correlation_id, Zendesk external_id', () => {
    const key = correlationKey(T, syncError());
    expect(key).toMatch(KEY_PATTERN);
    expect(key).toHaveLength(48);
  });

  it('ignores case and surrounding space in identity and value, and the case of the smtp: prefix', () => {
    const a = syncError({ attribute: 'ProxyAddresses', value: 'SMTP:John@Contoso.com', identity: 'John@Contoso.com' });
    const b = syncError({ attribute: 'proxyAddresses', value: ' smtp:john@contoso.com ', identity: 'john@contoso.com ' });
    expect(correlationKey(T, a)).toBe(correlationKey(T.toUpperCase(), b));
  });

  it('ignores the wording of the message and the fingerprint for known categories', () => {
    const a = syncError();
    const b = { ...syncError(), message: 'reworded by a newer report layout', fingerprint: 'f'.repeat(32) };
    expect(correlationKey(T, a)).toBe(correlationKey(T, b));
  });

  it('separates tenants, categories, objects, attributes and values', () => {
    const base = syncError();
    const key = correlationKey(T, base);
    expect(correlationKey('fabrikam.com', base)).not.toBe(key);
    expect(correlationKey(T, { ...base, category: 'DataValidation' })).not.toBe(key);
    expect(correlationKey(T, { ...base, identity: 'jane@contoso.com' })).not.toBe(key);
    expect(correlationKey(T, syncError({ attribute: 'ProxyAddresses' }))).not.toBe(key);
    expect(correlationKey(T, syncError({ value: 'john2@contoso.com', identity: 'john@contoso.com' }))).not.toBe(key);
  });

  it('keys on the object as the report names it; the on-premises id only stands in for a missing name', () => {
    // forwards and layouts drop the id column, never the object: both must land on one ticket
    const withId = syncError({ onPremisesObjectId: 'AbCd==', identity: 'john@contoso.com' });
    expect(correlationKey(T, { ...withId, onPremisesObjectId: null })).toBe(correlationKey(T, withId));
    const anonymous = syncError({ onPremisesObjectId: 'AbCd==', identity: null });
    expect(correlationKey(T, { ...anonymous, onPremisesObjectId: 'EfGh==' })).not.toBe(correlationKey(T, anonymous));
  });

  it('keys Unknown errors on their text, ignoring ids and numbers that change between reports', () => {
    const u = { ...syncError(), category: 'Unknown' as const, attributes: [], identity: null, message: 'Export failed (tracking 7c9e6679-7425-40de-944b-e07fc1f90ae7, attempt 3).' };
    expect(correlationKey(T, { ...u, message: 'Export failed (tracking 11111111-2222-3333-4444-555555555555, attempt 4).' })).toBe(correlationKey(T, u));
    expect(correlationKey(T, { ...u, message: 'Another problem entirely.' })).not.toBe(correlationKey(T, u));
    expect(correlationKey(T, { ...u, fingerprint: 'a'.repeat(32) })).toBe(correlationKey(T, u));
  });

  it('is deterministic and well-formed for any input', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.option(fc.string(), { nil: null }), (tenant, attr, value) => {
        const e = { ...syncError(), attributes: [{ name: attr || 'x', value }] };
        const k = correlationKey(tenant, e);
        expect(k).toMatch(KEY_PATTERN);
        expect(correlationKey(tenant, structuredClone(e))).toBe(k);
      }),
    );
  });

  it('gives each report its own digest key', () => {
    expect(digestKey(T, 'r1')).not.toBe(digestKey(T, 'r2'));
    expect(digestKey(T, 'r1')).toMatch(KEY_PATTERN);
  });
});
