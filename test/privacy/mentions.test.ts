import { describe, expect, it } from 'vitest';
import { mentions, unsearchable, withoutMentions } from '../../src/privacy/mentions.ts';

describe('a value named as a whole (syncdesk forget)', () => {
  it('finds an address, a UPN or a name wherever it stands, case aside: in a proxy address, a bracket, JSON, prose', () => {
    for (const text of ['smtp:John@Contoso.com;', '[ProxyAddresses SMTP:john@contoso.com;]', '{"identity":"JOHN@CONTOSO.COM"}', 'held by john@contoso.com.', '<john@contoso.com>'])
      expect(mentions(text, 'john@contoso.com'), text).toBe(true);
    expect(mentions('displayName: "Patti Fernandez"', 'patti fernandez')).toBe(true);
    // a name is written with its accents and without: either finds both
    expect(mentions('held by Renée Dubois (cloud-only)', 'Renee Dubois')).toBe(true);
    expect(mentions('held by Renee Dubois', 'Renée Dubois')).toBe(true);
    expect(withoutMentions('Zoë Ångström, zoe angstrom', 'Zoe Angstrom')).toBe('(forgotten), (forgotten)');
  });

  it('does not take a longer name or address for it', () => {
    for (const text of ['bigjohn@contoso.com', 'john@contoso.community', 'x.john@contoso.com', 'john@contoso.com-old.example', 'Patti Fernandez-Smith'])
      expect(mentions(text, text.includes('Patti') ? 'Patti Fernandez' : 'john@contoso.com'), text).toBe(false);
  });

  it('replaces only the whole mentions, keeping the rest of a record', () => {
    expect(withoutMentions('sender John@contoso.com is not trusted; bigjohn@contoso.com is, john@contoso.com.', 'john@contoso.com')).toBe('sender (forgotten) is not trusted; bigjohn@contoso.com is, (forgotten).');
    // a letter whose lower case is longer (İ) keeps every index in place
    expect(withoutMentions('İ john@contoso.com', 'john@contoso.com')).toBe('İ (forgotten)');
  });

  it('refuses a value too short or without letters to remove safely', () => {
    expect(unsearchable('jo')).toMatch(/shorter than 5 characters/);
    expect(unsearchable('.....')).toMatch(/no letter or digit/);
    expect(unsearchable('john@contoso.com')).toBeNull();
  });
});
