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

  it('prefers the on-premises id over the identity, keeping its case (base64 anchors)', () => {
    const a = syncError({ onPremisesObjectId: 'AbCd==', identity: 'old@contoso.com' });
    const renamed = { ...a, identity: 'new@contoso.com' };
    expect(correlationKey(T, renamed)).toBe(correlationKey(T, a));
    expect(correlationKey(T, { ...a, onPremisesObjectId: 'abcd==' })).not.toBe(correlationKey(T, a));
  });

  it('keys Unknown errors on their fingerprint (a hash of the normalised message)', () => {
    const u = { ...syncError(), category: 'Unknown' as const, attributes: [], identity: null };
    expect(correlationKey(T, { ...u, message: 'other words' })).toBe(correlationKey(T, u));
    expect(correlationKey(T, { ...u, fingerprint: 'a'.repeat(32) })).not.toBe(correlationKey(T, u));
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
