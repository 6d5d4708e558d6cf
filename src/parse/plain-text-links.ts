/**
 * Outlook's plain text of an HTML mail (an admin forwarding a report as plain text, or an
 * Outlook set to read and forward in plain text) writes every link as its text followed by its
 * target in angle brackets, with no space between: "john.smith@contoso.com<mailto:john.smith@contoso.com>",
 * "kb/2647098<http://support.microsoft.com/kb/2647098>", and in its forward header
 * "From: Team <MSOnlineServicesTeam@MicrosoftOnline.com<mailto:MSOnlineServicesTeam@MicrosoftOnline.com>>".
 * Addresses in a report are links once any hop (Gmail, OWA, Word) made them so. The target is
 * no part of what the report says: left in, it became part of a value ("…@contoso.com<mailto:…>"),
 * a ticket no lookup could resolve and that a clean copy of the report did not match.
 *
 * A name and address as a header writes them ("Ann <ann@contoso.com>") has a space before the
 * bracket and no scheme in it, and stays.
 */
const LINK_TARGET_RE = /(?<=\S)<(?:mailto:|https?:\/\/)[^<>\s]*>/gi;

/** The line without the link targets a plain-text conversion appended. */
export function withoutLinkTargets(line: string): string {
  return line.includes('<') ? line.replace(LINK_TARGET_RE, '') : line;
}
