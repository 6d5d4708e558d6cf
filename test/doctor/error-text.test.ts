import { describe, expect, it } from 'vitest';
import { errorText } from '../../src/doctor/check.ts';

describe("doctor's one-line error text", () => {
  it('takes the first line, adds the code, and shortens at a word, never mid-word', () => {
    const long = `${'access to mailbox syncreports@contoso.com denied; '.repeat(5)}the app lacks Mail.ReadWrite`;
    const text = errorText(Object.assign(new Error(`${long}\nstack line`), { code: 'MailboxAccessDenied' }), 120);
    const kept = text.slice(0, -1);
    expect(text.endsWith('…') && kept.length <= 120).toBe(true);
    // what is kept ends where a word of the message ends
    expect(long.startsWith(kept) && /\s/.test(long[kept.length]!)).toBe(true);
    expect(text).not.toContain('stack line');
    expect(errorText(Object.assign(new Error('short'), { code: 'X1' }))).toBe('short (X1)');
  });
});
