import { describe, expect, it } from 'vitest';
import type { ContentBlock } from '../../schemas/ticket.schema.ts';
import { escapeMarkdown, toHtml, toMarkdown } from '../../src/ticket/sinks/markup.ts';

const hostile: ContentBlock[] = [
  { kind: 'heading', text: 'Who <holds>' },
  { kind: 'paragraph', text: '<img src=x onerror=alert(1)> & *bold* [link](http://evil)' },
  { kind: 'list', items: ['- not a list', '# not a heading'] },
  { kind: 'fields', rows: [['a|b', 'c|d']] },
  { kind: 'code', text: "Get-MgUser -Filter \"mail eq 'a@b.c'\" ```" },
];

describe('markup', () => {
  it('HTML escapes every value', () => {
    const html = toHtml(hostile);
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt; &amp; *bold*');
    expect(html).toContain('<pre><code>Get-MgUser -Filter &quot;mail eq &#39;a@b.c&#39;&quot; ```</code></pre>');
    expect(html).toContain('<th>a|b</th><td>c|d</td>');
  });
  it("HTML carries no terminal control characters: a mail's ESC and BEL (colours, OSC 8 links) are dropped (blind47 J2)", () => {
    const html = toHtml([{ kind: 'paragraph', text: 'x\u001b[31mRED\u001b]8;;http://evil.example\u0007LINK\r\nnext' }]);
    expect(html).toBe('<p>x[31mRED]8;;http://evil.exampleLINK<br>next</p>');
  });
  it('Markdown escapes emphasis, links, HTML, table pipes and line-leading markers', () => {
    const md = toMarkdown(hostile);
    expect(md).toContain('\\<img src=x onerror=alert(1)\\> \\& \\*bold\\* \\[link\\](http://evil)');
    // an entity shows as typed, not as the character CommonMark would make of it (blind47 J6)
    expect(escapeMarkdown('&lt;b&gt;')).toBe('\\&lt;b\\&gt;');
    expect(md).toContain('- \\- not a list');
    expect(md).toContain('- \\# not a heading');
    expect(md).toContain('| a\\|b | c\\|d |');
    // a fence longer than any backtick run inside the code
    expect(md).toContain("````powershell\nGet-MgUser -Filter \"mail eq 'a@b.c'\" ```\n````");
  });
  it('leaves ordinary addresses readable', () => {
    expect(escapeMarkdown('john.smith@contoso.com (cloud-only)')).toBe('john.smith@contoso.com (cloud-only)');
    expect(escapeMarkdown('1. Change the UPN')).toBe('1\\. Change the UPN');
  });
});
