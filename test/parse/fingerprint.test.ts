import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ERROR_CATEGORIES, type Attribute } from '../../schemas/report.schema.ts';
import { fingerprintOf } from '../../src/parse/fingerprint.ts';

/**
 * A fingerprint is the key under which a problem's ticket is stored: a fingerprint that
 * changed between versions would open a second ticket for every known problem. Its definition,
 * written the plain way: the first 32 hex digits of the SHA-256 of the JSON of
 * [category, object trimmed in lower case, the attributes' `name=value` keys sorted, ""].
 * (Unknown errors add their text; that path is not the one compared here.)
 */
function byDefinition(category: string, object: string | null, attributes: readonly Attribute[]): string {
  const keys = attributes.map((a) => `${a.name.toLowerCase()}=${(a.value ?? '').trim().toLowerCase()}`).sort();
  return createHash('sha256')
    .update(JSON.stringify([category, (object ?? '').trim().toLowerCase(), keys, '']))
    .digest('hex')
    .slice(0, 32);
}

const KNOWN = ERROR_CATEGORIES.filter((c) => c !== 'Unknown');
// the characters that decide between the ASCII bytes and the general path, mixed with letters
const tricky = fc.constantFrom(' ', '\t', '\n', '\u000b', '\u00a0', '\ufeff', '"', '\\', '\u0001', 'É', 'ß', 'İ', '日', '\ud83d', '\ude00', '😀', '=', ',', '[');
const text = fc.array(fc.oneof(fc.constantFrom(...'abcXYZ019@.:;_-'), tricky), { maxLength: 24 }).map((cs) => cs.join(''));
const attribute = fc.record({ name: fc.oneof(fc.constantFrom('UserPrincipalName', 'ProxyAddresses', 'Mail'), text.filter(Boolean)), value: fc.option(text) });

describe('fingerprintOf', () => {
  it('is the SHA-256 of the key as JSON, for keys of plain ASCII and of any other characters alike', () => {
    fc.assert(
      fc.property(fc.constantFrom(...KNOWN), fc.option(text), fc.array(attribute, { maxLength: 5 }), (category, object, attributes) => {
        expect(fingerprintOf(category, object, attributes, 'any message')).toBe(byDefinition(category, object, attributes));
      }),
      { numRuns: 3000 },
    );
  });

  it('does not depend on the order of the attributes, nor on the case of names and values, nor on spaces around the object', () => {
    const a = fingerprintOf('DuplicateAttribute', 'Ann Lee', [
      { name: 'UserPrincipalName', value: 'ann@contoso.com' },
      { name: 'ProxyAddresses', value: 'SMTP:ann@contoso.com' },
    ], 'x');
    const b = fingerprintOf('DuplicateAttribute', '  ann lee ', [
      { name: 'proxyaddresses', value: 'smtp:ANN@contoso.com' },
      { name: 'userprincipalname', value: ' ann@contoso.com' },
    ], 'y');
    expect(a).toBe(b);
    expect(fingerprintOf('DataValidation', 'Ann Lee', [], 'x')).not.toBe(fingerprintOf('DuplicateAttribute', 'Ann Lee', [], 'x'));
  });

  it('keeps the values tickets were stored under', () => {
    // computed by the fingerprint of session 9 (before the ASCII path): a change here orphans every stored ticket
    const annLee = [
      { name: 'UserPrincipalName', value: 'ann@contoso.com' },
      { name: 'ProxyAddresses', value: 'SMTP:ann@contoso.com' },
    ];
    expect(fingerprintOf('DuplicateAttribute', 'Ann Lee', annLee, 'x')).toBe('ec9d727b3587750427bf9a712168d5cc');
    expect(fingerprintOf('Unknown', 'Ann Lee', [], 'Error 42 on {0b1c2d3e-0000-1111-2222-333344445555} at  10:00')).toBe('a2077bbf10a6b5371c4cec0bbc6441ca');
  });
});
