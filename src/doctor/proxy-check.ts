import { maskUrlUserinfo } from '../redact.ts';
import { pass, warn, type CheckResult } from './check.ts';

/**
 * The outbound proxy the environment names (HTTPS_PROXY, either case), as a host
 * that reaches the internet only through one needs it. The desks' axios and @azure/identity's
 * sign-in read those variables themselves; Node's fetch, which the Graph client sends every
 * lookup with, follows them only when Node started with NODE_USE_ENV_PROXY=1 or
 * --use-env-proxy (Node 22.21 or later). Without that, sign-in works and every lookup fails.
 * No row when no proxy is named.
 */
export function checkProxy(env: Record<string, string | undefined>, node: NodeStart = thisNode()): CheckResult[] {
  const proxy = env.HTTPS_PROXY ?? env.https_proxy;
  const plain = env.HTTP_PROXY ?? env.http_proxy;
  if (!proxy && !plain) return [];
  // HTTP_PROXY is for http:// requests only (Node's, axios'): everything syncdesk calls out to is HTTPS
  if (!proxy) return [warn('proxy', `HTTP_PROXY names ${maskUrlUserinfo(plain!)} but HTTPS_PROXY is not set: Graph lookups and the desks (HTTPS) go around it`, 'set HTTPS_PROXY too (the same proxy, as a rule)')];
  const noProxy = env.NO_PROXY ?? env.no_proxy;
  const where = `${maskUrlUserinfo(proxy)}${noProxy ? ` (not for ${noProxy})` : ''}`;
  if (!supportsEnvProxy(node.version)) {
    return [warn('proxy', `outbound requests are to go through ${where}, but Node ${node.version} has no built-in proxy support: Graph lookups would go around it`, 'run Node 22.21 or later (scripts/node-lts.sh) with NODE_USE_ENV_PROXY=1')];
  }
  if (!node.envProxy) {
    return [
      warn(
        'proxy',
        `outbound requests are to go through ${where}: sign-in and the desks follow it, but Graph lookups (Node's fetch) go around it in this process`,
        'start syncdesk with NODE_USE_ENV_PROXY=1 in its environment (the systemd unit and the image set it)',
      ),
    ];
  }
  return [pass('proxy', `outbound requests go through ${where}: Graph, sign-in and the desks`)];
}

/** How this Node process started: its version, and whether it reads the proxy variables for fetch. */
export interface NodeStart {
  version: string;
  envProxy: boolean;
}

function thisNode(): NodeStart {
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  return { version: process.version, envProxy: process.env.NODE_USE_ENV_PROXY === '1' || flags.includes('--use-env-proxy') };
}

/** Node's built-in proxy support: 22.21 and later on 22, 24.5 and later, every later major. */
function supportsEnvProxy(version: string): boolean {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  return major === 22 ? minor >= 21 : major === 24 ? minor >= 5 : major > 24;
}
