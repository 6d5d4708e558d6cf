import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const BIN = resolve('bin/syncdesk.js');

describe('the command line', () => {
  it('--version prints the package version', async () => {
    const { stdout } = await promisify(execFile)('node', [BIN, '--version']);
    expect(stdout.trim()).toBe((JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version);
  });

  it('piped into head, it stops writing quietly and exits 0 (no EPIPE crash)', () => {
    const r = spawnSync('bash', ['-c', `node ${BIN} parse examples/ examples/ examples/ examples/ | head -n 1 >/dev/null; echo "exit=\${PIPESTATUS[0]}"`], { encoding: 'utf8' });
    expect(r.stdout.trim()).toBe('exit=0');
    expect(r.stderr).not.toMatch(/EPIPE|Error/);
  }, 60_000);

  it('a wrong setting exits 78 (EX_CONFIG), naming the key both ways, before anything connects', () => {
    const env: NodeJS.ProcessEnv = { ...process.env, IMAP_PORT: 'nine', REDIS_URL: 'redis://127.0.0.1:1' };
    delete env.SYNCDESK_CONFIG;
    const r = spawnSync('node', [BIN, 'status'], { encoding: 'utf8', env, cwd: mkdtempSync(join(tmpdir(), 'syncdesk-cfg-')) });
    expect(r.status).toBe(78);
    expect(r.stderr).toContain('syncdesk: invalid configuration:');
    expect(r.stderr).toContain('imap.port (IMAP_PORT)');
    expect(r.stderr).not.toMatch(/Redis unreachable/);
  }, 30_000);
});
