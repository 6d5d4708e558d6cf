import { existsSync, readFileSync } from 'node:fs';

/** syncdesk's version, from its package.json (read when asked, not at import). */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/**
 * The version and, in a git checkout, the commit it runs (`0.1.0 (commit 3904d5e)`): two builds
 * of one package version are told apart. Read from the files, no git needed.
 */
export function runningVersion(): string {
  const commit = checkoutCommit(new URL('../.git/', import.meta.url));
  return commit ? `${packageVersion()} (commit ${commit.slice(0, 7)})` : packageVersion();
}

function checkoutCommit(git: URL): string | null {
  try {
    const head = readFileSync(new URL('HEAD', git), 'utf8').trim();
    const ref = /^ref: (.+)$/.exec(head)?.[1];
    if (!ref) return /^[0-9a-f]{40}$/.test(head) ? head : null;
    const loose = new URL(ref, git);
    if (existsSync(loose)) return readFileSync(loose, 'utf8').trim();
    const packed = readFileSync(new URL('packed-refs', git), 'utf8');
    return new RegExp(`^([0-9a-f]{40}) ${ref.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm').exec(packed)?.[1] ?? null;
  } catch {
    return null;
  }
}
