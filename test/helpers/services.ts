import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { inject } from 'vitest';

const run = promisify(execFile);

/**
 * The real services started by test/global-setup.ts for the integration project:
 * REDIS_URL, IMAP_HOST, IMAP_PORT, IMAP_USER, IMAP_PASSWORD, IMAP_TLS_PORT, IMAP_TLS_CA,
 * IMAP_MAILDIR, RT_URL, RT_REST2_URL, RT_TOKEN, RT_QUEUE, RT_TENANT_QUEUE (a second queue with the key field), RT_DEDUP_CF, E2E_STATE_DIR.
 */
export function services(): Record<string, string> {
  return inject('services');
}

/** Stops and starts one service (`kill: true` = SIGKILL, a crash), e.g. to test reconnects. */
export async function restartService(
  name: 'redis' | 'dovecot' | 'rt',
  options: { kill?: boolean; pauseSeconds?: number } = {},
): Promise<void> {
  const args = ['scripts/services.sh', 'restart', name];
  if (options.kill) args.push('--kill');
  if (options.pauseSeconds) args.push('--pause', String(options.pauseSeconds));
  await run('bash', args, { env: { ...process.env, E2E_STATE_DIR: services().E2E_STATE_DIR } });
}

export async function stopService(name: 'redis' | 'dovecot' | 'rt', options: { kill?: boolean } = {}): Promise<void> {
  const args = ['scripts/services.sh', 'stop', name];
  if (options.kill) args.push('--kill');
  await run('bash', args, { env: { ...process.env, E2E_STATE_DIR: services().E2E_STATE_DIR } });
}

export async function startService(name: 'redis' | 'dovecot' | 'rt'): Promise<void> {
  await run('bash', ['scripts/services.sh', 'start', name], {
    env: { ...process.env, E2E_STATE_DIR: services().E2E_STATE_DIR },
  });
}
