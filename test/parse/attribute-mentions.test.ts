import { describe, expect, it } from 'vitest';
import { bracketIn } from '../../src/parse/attribute-mentions.ts';
import { parseAttributeList } from '../../src/parse/brackets.ts';
import { extractErrors } from '../helpers/blocks.ts';
import { textToBlocks } from '../../src/parse/text-blocks.ts';

/** Attribute lists in texts no English sentence explains (src/parse/attribute-mentions.ts). */
describe('bracketIn', () => {
  it('reads a bracket left open as Microsoft Japan\'s support blog quotes a report: the value ends where the Japanese text starts', () => {
    // jpazureid/blog, duplicate-attribute-recoverability-behavior.md, scenario 2 (the SipProxyAddress mail)
    const text =
      'このオブジェクトを更新できません。このオブジェクトに関連付けられている次の属性の値が、ローカル ディレクトリ サービスの別のオブジェクトに既に関連付けられていることが原因として考えられます: [SipProxyAddress user01@contoso.com ディレクトリで重複している値を修正または削除してください。';
    expect(bracketIn(text)).toEqual([{ name: 'SipProxyAddress', value: 'user01@contoso.com' }]);
  });

  it('takes from an open bracket only a value whose end it can see: an X500 value with spaces gives the name alone', () => {
    expect(bracketIn('values: [UserPrincipalName ann@contoso.com')).toEqual([{ name: 'UserPrincipalName', value: 'ann@contoso.com' }]);
    expect(bracketIn('values: [ProxyAddresses X500:/o=Exchange Labs/cn=Recipients')).toEqual([{ name: 'ProxyAddresses', value: null }]);
    expect(bracketIn('see [note one')).toBeNull();
  });

  it('keeps a value\'s own empty pair of brackets: a binary attribute printed as its .NET type name', () => {
    // an export error quoted by orbid365.be, with Entra Connect's spelling of the attribute
    const text = 'the attributes have values: [OnPremiseSecurityIdentifier System.Byte[];]. Correct or remove the duplicate values.';
    expect(bracketIn(text)).toEqual([{ name: 'OnPremisesSecurityIdentifier', value: 'System.Byte[]' }]);
    expect(bracketIn('see [] and [UserPrincipalName ann@contoso.com;]')).toEqual([{ name: 'UserPrincipalName', value: 'ann@contoso.com' }]);
  });

  it("keeps a value's own pair of brackets whole: \"cn=john[1]\" ends the value, not the list (blind50 V3)", () => {
    const x500 = 'X500:/o=Contoso/ou=Exchange/cn=Recipients/cn=john[1]';
    expect(bracketIn(`a value in the local directory: [ProxyAddresses ${x500};smtp:john@contoso.com;] Fix it.`)).toEqual([
      { name: 'ProxyAddresses', value: x500 },
      { name: 'ProxyAddresses', value: 'smtp:john@contoso.com' },
    ]);
    // a stray bracket before the list is no part of it; a pair that names nothing is passed over
    expect(bracketIn('see [note [UserPrincipalName ann@contoso.com;]')).toEqual([{ name: 'UserPrincipalName', value: 'ann@contoso.com' }]);
    expect(bracketIn('see [1] and [UserPrincipalName ann@contoso.com;]')).toEqual([{ name: 'UserPrincipalName', value: 'ann@contoso.com' }]);
  });

  it("reads the same value out of Microsoft's duplicate sentence", () => {
    const x500 = 'X500:/o=Contoso/ou=Exchange/cn=Recipients/cn=john[1]';
    const sentence = `Unable to update this object because the following attributes associated with this object have values that may already be associated with another object in your local directory services: [ProxyAddresses ${x500};]. Correct or remove the duplicate values in your local directory.`;
    const [e] = extractErrors(textToBlocks(['Identity\tError Description', `John\t${sentence}`].join('\n'))).errors;
    expect(e).toMatchObject({ category: 'DuplicateAttribute', identity: 'John', attributes: [{ name: 'ProxyAddresses', value: x500 }] });
    expect(e!.message).toMatch(/local directory\.$/);
  });
});

describe('parseAttributeList', () => {
  it("splits a name glued to its value, as a page's bold attribute name reads when copied (blind66 P1)", () => {
    // Microsoft Japan's identity blog (2017) shows "[**UserPrincipalName**user01@contoso.com;]"
    expect(parseAttributeList('[UserPrincipalNameuser01@contoso.com;]')).toEqual([{ name: 'UserPrincipalName', value: 'user01@contoso.com' }]);
    expect(parseAttributeList('[ProxyAddressesSMTP:user01@contoso.com;smtp:u1@contoso.com;]')).toEqual([
      { name: 'ProxyAddresses', value: 'SMTP:user01@contoso.com' },
      { name: 'ProxyAddresses', value: 'smtp:u1@contoso.com' },
    ]);
    expect(parseAttributeList('[UserPrincipalName a@contoso.com;ProxyAddressesSMTP:a@contoso.com;]')).toEqual([
      { name: 'UserPrincipalName', value: 'a@contoso.com' },
      { name: 'ProxyAddresses', value: 'SMTP:a@contoso.com' },
    ]);
    // the same in a paste's markdown bold (blind66b N1)
    expect(parseAttributeList('[**ProxyAddresses**SMTP:user01@contoso.com;]')).toEqual([{ name: 'ProxyAddresses', value: 'SMTP:user01@contoso.com' }]);
    // a value that only starts like a name stays a value: "Mailbox@" is no Mail attribute
    expect(parseAttributeList('[ProxyAddresses SMTP:a@contoso.com;Mailbox@contoso.com;]')).toEqual([
      { name: 'ProxyAddresses', value: 'SMTP:a@contoso.com' },
      { name: 'ProxyAddresses', value: 'Mailbox@contoso.com' },
    ]);
  });

  it('reads a value Microsoft marked as personal data without its <pii> markers', () => {
    // the resiliency text as a public README quotes it (sfonteneau/AzureADConnect_Samba4)
    expect(parseAttributeList('[ProxyAddresses <pii>SMTP:chewie@testoutlook.mail.onmicrosoft.com</pii>;]')).toEqual([
      { name: 'ProxyAddresses', value: 'SMTP:chewie@testoutlook.mail.onmicrosoft.com' },
    ]);
  });

  it('keeps an X.400 address whole, its own `;` parts and final `;` included, between the values around it (blind45 Q10, blind50)', () => {
    // Exchange writes an X.400 proxy address with a final `;` ("…;S=Gu;G=Lee;"): the list's own follows it
    expect(parseAttributeList('[ProxyAddresses SMTP:lee.gu@contoso.com;X400:c=US;a= ;p=Contoso;o=Exchange;s=Gu;g=Lee;;smtp:lee@contoso.com;]')).toEqual([
      { name: 'ProxyAddresses', value: 'SMTP:lee.gu@contoso.com' },
      { name: 'ProxyAddresses', value: 'X400:c=US;a= ;p=Contoso;o=Exchange;s=Gu;g=Lee;' },
      { name: 'ProxyAddresses', value: 'smtp:lee@contoso.com' },
    ]);
  });

  it("keeps a Unified Messaging address whole: its phone-context is no value of its own (blind50)", () => {
    expect(parseAttributeList('[ProxyAddresses SMTP:voice@contoso.com;EUM:1234;phone-context=contoso.com;smtp:v2@contoso.com;]')).toEqual([
      { name: 'ProxyAddresses', value: 'SMTP:voice@contoso.com' },
      { name: 'ProxyAddresses', value: 'EUM:1234;phone-context=contoso.com' },
      { name: 'ProxyAddresses', value: 'smtp:v2@contoso.com' },
    ]);
  });
});

