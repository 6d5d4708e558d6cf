/**
 * The source anchor inside an Entra connector DN. Sync Service Manager and the export-error
 * records name a cloud object as `CN={hex}` (email-format.md: "Dn (`CN={hex}`)"): the hex is the
 * anchor's base64 text, byte by byte (ADSyncTools' ConvertFrom-ADSyncToolsAadDistinguishedName:
 * "CN={514635484D4B376E38307176645973555049486139513D3D}" → its ImmutableID). A report or a pasted
 * record that names the object so gives its anchor; a cloud anchor (`User_<guid>`) is no source anchor.
 */
export function anchorFromConnectorDn(identity: string | null): string | null {
  const hex = identity ? CONNECTOR_DN_RE.exec(identity.trim())?.[1] : undefined;
  if (!hex || hex.length % 2) return null;
  const text = Buffer.from(hex, 'hex').toString('latin1');
  return BASE64_RE.test(text) && text.length % 4 === 0 ? text : null;
}

const CONNECTOR_DN_RE = /^CN=\{([0-9A-F]{8,})\}$/i;
const BASE64_RE = /^[A-Za-z0-9+/]+={0,2}$/;
