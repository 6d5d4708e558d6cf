import { describe, expect, it } from 'vitest';
import { terminalText } from '../src/terminal-text.ts';

describe('terminalText', () => {
  it('shows C0 and C1 control characters and DEL as \\u escapes', () => {
    expect(terminalText('ev\u001b[31mil\u001b]0;PWNED\u0007@contoso.com')).toBe('ev\\u001b[31mil\\u001b]0;PWNED\\u0007@contoso.com');
    expect(terminalText('a\u0000b\rc\u007fd\u009b2Je\u0085')).toBe('a\\u0000b\\u000dc\\u007fd\\u009b2Je\\u0085');
  });

  it('shows the bidirectional controls and the line and paragraph separators too: a name cannot reorder the line', () => {
    expect(terminalText('user\u202eexe.pdf@contoso.com')).toBe('user\\u202eexe.pdf@contoso.com');
    expect(terminalText('a\u2066b\u2069c\u2028d\u2029e')).toBe('a\\u2066b\\u2069c\\u2028d\\u2029e');
  });

  it('keeps tab, line feed and all other text as it is', () => {
    const text = 'CONTOSO\\jdoe\tMüller été 日本 😀\n[UserPrincipalName x@contoso.com;] \u00a0(U+00A0)';
    expect(terminalText(text)).toBe(text);
  });
});
