import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anyEq, eq, graphPath, odataString, or, relativeFromNextLink } from '../../src/resolve/odata.ts';
import { evaluate, parseFilter, validateFilter } from '../fakes/graph/filter.ts';

/** What the fake Graph does with a url: parse it, form-decode `$filter`, parse the filter. */
function filterAsGraphSeesIt(url: string) {
  const text = new URL(url, 'https://graph.invalid').searchParams.get('$filter')!;
  return parseFilter(text);
}

describe('OData literals', () => {
  it('doubles quotes', () => {
    expect(odataString("O'Brien")).toBe("'O''Brien'");
    expect(eq('mail', "a'b")).toBe("mail eq 'a''b'");
    expect(anyEq('proxyAddresses', 'smtp:x')).toBe("proxyAddresses/any(x:x eq 'smtp:x')");
  });

  it('percent-encodes every option value, so # + & survive the trip', () => {
    const url = graphPath('/users', { $filter: eq('mail', 'a+b#c&d@x'), $top: 999 });
    expect(url).toBe("/users?$filter=mail%20eq%20'a%2Bb%23c%26d%40x'&$top=999");
    const node = filterAsGraphSeesIt(url);
    expect(node).toEqual({ t: 'cmp', op: 'eq', path: ['mail'], value: 'a+b#c&d@x' });
  });

  it('property: any value is one literal, whatever it holds, and matches exactly itself', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(..."'\"()#&+%/\\:=,; ao1€x".split('')), maxLength: 40 }), fc.string({ maxLength: 20 }), (a, b) => {
        const value = a + b;
        const url = graphPath('/users', { $filter: or(eq('mail', value), anyEq('proxyAddresses', `smtp:${value}`)) });
        const node = filterAsGraphSeesIt(url);
        validateFilter(node, 'user', false);
        expect(node.t).toBe('or');
        expect(evaluate(node, { mail: value, proxyAddresses: [] })).toBe(true);
        expect(evaluate(node, { mail: `${value}x`, proxyAddresses: ['smtp:other'] })).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('nextLinks become relative urls on the same API, whatever host they name', () => {
    expect(relativeFromNextLink('https://graph.microsoft.com/v1.0/users?$skiptoken=abc')).toBe('/users?$skiptoken=abc');
    expect(relativeFromNextLink('https://evil.example/v1.0/groups?$top=2')).toBe('/groups?$top=2');
  });
});
