import { randomBytes } from 'node:crypto';

/**
 * Access tokens of the fake Entra ID, shaped like Entra's app-only tokens: a JWT whose
 * payload carries the tenant (`tid`), the app (`appid`) and its application permissions
 * (`roles`, only when some are granted). Graph decides on those claims, and so does
 * `syncdesk doctor` (it reads `roles` to name a missing permission); the fake mail
 * endpoints check them. Unsigned: nothing here verifies signatures.
 */

export interface TokenClaims {
  tid: string;
  appid: string;
  roles: string[];
}

const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');

export function mintToken(tenantId: string, clientId: string, roles: string[] = [], audience = 'https://graph.microsoft.com'): string {
  const now = Math.floor(Date.now() / 1000);
  const payload = { aud: audience, iss: `https://sts.windows.net/${tenantId}/`, iat: now, nbf: now, exp: now + 3599, tid: tenantId, appid: clientId, idtyp: 'app', ...(roles.length ? { roles } : {}) };
  return `${b64({ typ: 'JWT', alg: 'RS256', kid: 'fake' })}.${b64(payload)}.${randomBytes(16).toString('base64url')}`;
}

export function tokenClaims(token: string): TokenClaims {
  const part = token.split('.')[1] ?? '';
  const p = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as { tid?: string; appid?: string; roles?: string[] };
  return { tid: p.tid ?? '', appid: p.appid ?? '', roles: p.roles ?? [] };
}
