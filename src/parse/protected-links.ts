/**
 * Links a mail gateway rewrote, put back to what the report said. Gateways wrap every link
 * in one of their own, and some wrap bare host names in plain text too: Barracuda turned the
 * report's "[fabrikam.onmicrosoft.com]" into "[https://linkprotect.cudasvc.com/url?a=https%3a%2f%2f
 * fabrikam.onmicrosoft.com&c=E,1,…&typo=1]" (its rewrites of "args.to" in public mails show the
 * same). The original is in the wrapper: percent-encoded in Safe Links' `url=` and Barracuda's
 * `a=`, Proofpoint v2's `u=` ("-3A" for "%3A", "_" for "/"), and between "__" and "__;" in
 * Proofpoint v3 (whose "*" marks characters it moved elsewhere: such a link is left alone).
 */

const MARKERS_RE = /safelinks\.protection\.outlook\.com|linkprotect\.cudasvc\.com|urldefense\./i;
const URL_CHARS = String.raw`[^\s\]\[<>"']`;
// the wrapper's tail up to, not into, the sentence's own punctuation: "(…&reserved=0)." keeps ")."
const TAIL = String.raw`(?:${URL_CHARS}*[^\s\]\[<>"'.,;:!?)])?`;
const QUERY_WRAPPED_RE = new RegExp(
  String.raw`https?://(?:[\w-]+\.safelinks\.protection\.outlook\.com/?\?(?:${URL_CHARS}*?&(?:amp;)?)?url=|linkprotect\.cudasvc\.com/url\?(?:${URL_CHARS}*?&(?:amp;)?)?a=|urldefense\.proofpoint\.com/v2/url\?(?:${URL_CHARS}*?&(?:amp;)?)?u=)([^&\s\]\[<>"']+)${TAIL}`,
  'gi',
);
const PROOFPOINT_V3_RE = new RegExp(String.raw`https?://urldefense(?:\.proofpoint)?\.com/v3/__([^*\s]+?)__;${TAIL}`, 'gi');

/** The text with each gateway-wrapped link replaced by the link it wraps. */
export function unwrapProtectedLinks(text: string): string {
  if (!MARKERS_RE.test(text)) return text;
  return text
    .replace(QUERY_WRAPPED_RE, (whole: string, wrapped: string) => {
      const encoded = /urldefense\.proofpoint\.com\/v2\//i.test(whole) ? wrapped.replace(/-([0-9A-Fa-f]{2})/g, '%$1').replace(/_/g, '/') : wrapped;
      return decoded(encoded) ?? whole;
    })
    .replace(PROOFPOINT_V3_RE, (_whole: string, url: string) => url);
}

function decoded(encoded: string): string | null {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return null;
  }
}
