import { describe, expect, it } from 'vitest';
import { gluedHeader, unglueTables } from '../../src/parse/glued-rows.ts';

/**
 * html-to-text's default table (mailparser's `text` of an HTML-only mail) glues a row's cells
 * and puts rows one space apart. The whole path, from real fixtures through mailparser, is in
 * text-dumps.test.ts; these pin the edges the fixtures do not show.
 */
describe('gluedHeader', () => {
  it('parts column names glued where a capital follows a small letter', () => {
    expect(gluedHeader('IdentityError DescriptionSource Anchor amy@contoso.comUnable to update')).toEqual({
      names: ['Identity', 'Error Description', 'Source Anchor'],
      roles: ['identity', 'description', 'objectId'],
      end: 'IdentityError DescriptionSource Anchor'.length,
    });
  });

  it('takes no line of names a space apart (lynx writes those), nor prose that starts with a camel-cased word', () => {
    expect(gluedHeader('Identity Error Description Source Anchor')).toBeNull();
    expect(gluedHeader('PowerShell Error Description follows')).toBeNull();
    expect(gluedHeader('ObjectTypeUser')).toBeNull();
  });
});

describe('unglueTables', () => {
  const sentence = 'This synchronization operation, Delete, is not valid. Contact Technical Support.';

  it('writes one row per error sentence, the cells around it parted from the next row’s', () => {
    const text = `IdentityObject TypeError DescriptionSource Anchor Zoë Park 4User${sentence}P+G+TjKAr5wAeNYNlwhEDw== svcUser@contoso.comGroup${sentence}cwkNjpg+pTVNvduCNEhLEw==`;
    expect(unglueTables(['', text, ''])).toEqual([
      '',
      'Identity Object Type Error Description Source Anchor',
      `Zoë Park 4 User ${sentence} P+G+TjKAr5wAeNYNlwhEDw==`,
      `svcUser@contoso.com Group ${sentence} cwkNjpg+pTVNvduCNEhLEw==`,
      '',
    ]);
  });

  it('gives an empty cell’s neighbour to the next row: an address after a sentence with no anchor starts that row', () => {
    const text = `IdentityError DescriptionSource Anchor Sales Team${sentence} old.user@contoso.com${sentence}b2xkVXNlckNvbnRvc28x`;
    expect(unglueTables([text]).slice(1)).toEqual([`Sales Team ${sentence}`, `old.user@contoso.com ${sentence} b2xkVXNlckNvbnRvc28x`]);
  });

  it('writes a key-value table’s fields one per line, each label parted from the value glued to it', () => {
    const text = ['IdentityChloé Lefèvre Object typeContact Source', 'anchorY2hsb2VMZWZldnJlMDAwMQ== Error descriptionUnable to update these objects.'];
    expect(unglueTables(['', ...text])).toEqual([
      '',
      'Identity Chloé Lefèvre',
      'Object type Contact',
      'Source anchor Y2hsb2VMZWZldnJlMDAwMQ==',
      'Error description Unable to update these objects.',
    ]);
  });

  it('takes no label inside a sentence where the value would not fit it ("objects", "Identityless")', () => {
    const lines = ['Identityless objects were found. Object typeless.'];
    expect(unglueTables(lines)).toEqual(lines);
  });

  it('leaves a paragraph in which no error sentence is found as it was', () => {
    const lines = ['IdentityError DescriptionSource Anchor', 'nothing here'];
    expect(unglueTables(lines)).toEqual(lines);
  });
});
