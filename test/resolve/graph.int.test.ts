import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { makeTlsMaterial } from '../fakes/graph/tls.ts';
import { services } from '../helpers/services.ts';

/**
 * Runs the Graph specs (test/resolve/graph/*.spec.ts) against the HTTPS fake Graph through
 * the real @azure/identity and Graph client. They need the fake's CA in NODE_EXTRA_CA_CERTS,
 * which Node reads only when it starts, so they run in a child vitest started here with it
 * set (plus the real Redis of the integration project, for the lookup cache).
 *
 * Run one spec directly: make the CA with makeTlsMaterial(), then
 * `NODE_EXTRA_CA_CERTS=<dir>/ca.pem FAKE_GRAPH_TLS_DIR=<dir> REDIS_URL=… npx vitest run --config test/resolve/graph/vitest.config.ts <spec>`.
 */
describe('resolve stage against the fake Graph (child vitest with the fake CA trusted)', () => {
  it('passes every Graph spec', async () => {
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
    const child = spawn(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', '--config', 'test/resolve/graph/vitest.config.ts', '--reporter', 'verbose'], {
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
  }, 300_000);
});
