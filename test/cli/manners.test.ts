import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
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
});
