import { describe, expect, it } from 'vitest';
import { parseMail } from '../../src/parse/parse-mail.ts';

/**
 * The resiliency notice ("This object has been updated in your Azure Active Directory, but with
 * some modified properties …") in the German of KB 3166795 as blind65 quoted it: the object was
 * updated and the value set aside, so the record says so, as it does for the English and
 * Japanese notices (blind65 P1). The rows are the KB's; the mail around them is inferred.
 */
const mail = [
  'From: MSOnlineServicesTeam@MicrosoftOnline.com', 'To: admin@contoso.com', 'Subject: Directory Synchronization Error Report',
  'Date: Thu, 16 Jun 2016 08:20:00 +0000', 'Message-ID: <kb3166795-de@example.invalid>', 'MIME-Version: 1.0', 'Content-Type: text/html; charset=utf-8', '',
  '<html><body><p>Während der Synchronisierung sind die folgenden Fehler aufgetreten:</p><table>',
  '<tr><th>Identität</th><th>Fehlerbeschreibung</th><th>Lokale Objekt-ID</th></tr>',
  '<tr><td>john.smith@contoso.com</td><td>Dieses Objekt wurde in Azure Active Directory, jedoch mit einigen geänderten Eigenschaften aktualisiert, da die folgenden Attribute einem anderen Objekt [ProxyAddresses SMTP:john@contoso.com;] zugeordnet sind.</td><td>aGFzaGFuY2hvcjAwMDAwMQ==</td></tr>',
  '<tr><td>jane@contoso.com</td><td>Dieses Objekt kann in Azure Active Directory nicht aktualisiert werden, da die folgenden Attribute einem anderen Objekt [ProxyAddresses SMTP:jane@contoso.com;] zugeordnet sind.</td><td>aGFzaGFuY2hvcjAwMDAwMg==</td></tr>',
  '</table></body></html>', '',
].join('\r\n');

describe("the German resiliency notice (KB 3166795's wording)", () => {
  it('marks the value set aside, and only for the notice: a duplicate that blocks the object stays one', async () => {
    const parsed = await parseMail(Buffer.from(mail));
    if (!parsed.ok) throw new Error(parsed.rejection.detail);
    const errors = parsed.reports[0]!.errors;
    expect(errors.map((e) => [e.identity, e.category, e.attributes[0]?.value, e.valueQuarantined ?? false])).toEqual([
      ['john.smith@contoso.com', 'DuplicateAttribute', 'SMTP:john@contoso.com', true],
      ['jane@contoso.com', 'DuplicateAttribute', 'SMTP:jane@contoso.com', false],
    ]);
  });
});
