import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { freePorts } from './helpers/ports.ts';

/**
 * Starts the real services the integration tests talk to (Redis, Dovecot, RT 5), on
 * loopback ports chosen here, with all their state in one fresh folder. The project's
 * own scripts/services.sh installs the Debian packages when missing.
 */

const run = promisify(execFile);


declare module 'vitest' {
  export interface ProvidedContext {
    services: Record<string, string>;
  }
}

let stateDir = '';

export async function setup(project: TestProject): Promise<void> {
  stateDir = mkdtempSync('/var/tmp/syncdesk-test-');
  chmodSync(stateDir, 0o755); // Dovecot runs as its own user and must reach its folder
  const [redisPort, imapPort, imapsPort, rtPort] = await freePorts(4);
  const env = {
    ...process.env,
    E2E_STATE_DIR: stateDir,
    E2E_REDIS_PORT: String(redisPort),
    E2E_REDIS_APPENDFSYNC: 'always', // a killed Redis must lose nothing in the crash tests
    E2E_IMAP_PORT: String(imapPort),
    E2E_IMAPS_PORT: String(imapsPort),
    E2E_RT_PORT: String(rtPort),
  };
  const { stdout } = await run('bash', ['scripts/services.sh', 'up'], { env, maxBuffer: 1 << 20 });
  const services: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const m = /^export ([A-Z0-9_]+)='(.*)'$/.exec(line);
    if (m) services[m[1]!] = m[2]!.replace(/'\\''/g, "'");
  }
  project.provide('services', services);
}

export async function teardown(): Promise<void> {
  if (!stateDir) return;
  await run('bash', ['scripts/services.sh', 'reset'], { env: { ...process.env, E2E_STATE_DIR: stateDir } });
}
