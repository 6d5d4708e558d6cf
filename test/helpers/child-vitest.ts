import { spawn } from 'node:child_process';
import { expect } from 'vitest';
import { makeTlsMaterial } from '../fakes/graph/tls.ts';
import { services } from './services.ts';

/**
 * Runs a set of specs against the HTTPS fake Graph in a child vitest: they need the fake's
 * CA in NODE_EXTRA_CA_CERTS, which Node reads only when it starts. The child gets the CA,
 * FAKE_GRAPH_TLS_DIR (the fake's key and certificate) and the integration project's Redis.
 * Asserts that it passed and that it ran tests.
 */
export async function passChildVitest(config: string): Promise<string> {
  const material = makeTlsMaterial();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_EXTRA_CA_CERTS: material.caPath,
    FAKE_GRAPH_TLS_DIR: material.dir,
    REDIS_URL: services().REDIS_URL,
    NO_COLOR: '1',
  };
  delete env.FORCE_COLOR;
  // The child is a vitest of its own, not a worker of this one.
  for (const key of Object.keys(env)) if (key.startsWith('VITEST')) delete env[key];
  const child = spawn(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', '--config', config, '--reporter', 'verbose'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  process.stdout.write(output);
  expect(code, output.slice(-6000)).toBe(0);
  const plain = output.replace(/\u001b\[[0-9;]*m/g, '');
  expect(plain).toMatch(/Tests\s+\d+ passed \(\d+\)/);
  expect(plain).not.toMatch(/\bfailed\b/);
  return plain;
}
