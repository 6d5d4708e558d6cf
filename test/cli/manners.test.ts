import { execFile, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const BIN = resolve('bin/syncdesk.js');

describe('the command line', () => {
  it('--version prints the package version, and in a git checkout the commit it runs (blind36 U9)', async () => {
    const { stdout } = await promisify(execFile)('node', [BIN, '--version']);
    const commit = spawnSync('git', ['rev-parse', '--short=7', 'HEAD'], { encoding: 'utf8' }).stdout.trim();
    expect(stdout.trim()).toBe(`${(JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version} (commit ${commit})`);
  });

  it('piped into head, it stops writing quietly and exits 0 (no EPIPE crash)', () => {
    const r = spawnSync('bash', ['-c', `node ${BIN} parse examples/ examples/ examples/ examples/ | head -n 1 >/dev/null; echo "exit=\${PIPESTATUS[0]}"`], { encoding: 'utf8' });
    expect(r.stdout.trim()).toBe('exit=0');
    expect(r.stderr).not.toMatch(/EPIPE|Error/);
  }, 60_000);

  it('parse of a folder names a file in it that is no mail (a report saved as .htm), and still parses the rest', () => {
    const dir = mkdtempSync(join(tmpdir(), 'syncdesk-passed-over-'));
    copyFileSync(resolve('examples', readdirSync('examples').find((f) => f.endsWith('.eml'))!), join(dir, 'report.eml'));
    writeFileSync(join(dir, 'report.htm'), '<html><body>Directory Synchronization Error Report</body></html>');
    writeFileSync(join(dir, 'takeout.zip'), Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0]));
    // more files that are no mail than the line names: the saved page is still named (blind59 R3)
    for (const name of ['Inbox.msf', 'Info.plist', 'a-dovecot-uidlist']) writeFileSync(join(dir, name), 'x');
    const r = spawnSync('node', [BIN, 'parse', dir], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('passed over 5 file(s) that are no mail: ');
    expect(r.stderr).toContain(`; 1 of them compressed archive(s) (${join(dir, 'takeout.zip')}): unpack them first, syncdesk reads the mails, not archives`);
    expect(r.stderr).toContain(`; 1 of them saved page(s) (${join(dir, 'report.htm')}): syncdesk reads mails, not pages: save or forward the report as a mail (.eml)`);
    expect(r.stdout).toMatch(/1 mail\(s\): 1 parsed, 0 rejected/);
  }, 30_000);

  it('the embedded default on a host without redis-server exits 78, as a setting a person must change: the systemd unit does not restart it in a loop (blind61 D5)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'syncdesk-no-redis-server-'));
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: dirname(process.execPath), SYNCDESK_REDIS_DIR: join(dir, 'redis') };
    delete env.REDIS_URL;
    delete env.SYNCDESK_CONFIG;
    const r = spawnSync(process.execPath, [BIN, 'status'], { encoding: 'utf8', env, cwd: dir, timeout: 60_000 });
    expect(r.stderr).toContain('redis-server not found on PATH');
    expect(r.status).toBe(78);
  }, 60_000);

  it('a tenants file with a mistake exits 78 too, naming the entry and the setting, before anything connects (blind39 M3)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'syncdesk-tenants-'));
    writeFileSync(join(dir, 'tenants.yaml'), 'tenants:\n  - { name: Contoso, tenantId: t-1, desk: { servicenow: { asignmentGroup: Contoso L2 } } }\n');
    const env: NodeJS.ProcessEnv = { ...process.env, GRAPH_TENANTS_FILE: join(dir, 'tenants.yaml'), REDIS_URL: 'redis://127.0.0.1:1' };
    delete env.SYNCDESK_CONFIG;
    const r = spawnSync('node', [BIN, 'replay', '--dry-run', resolve('examples')], { encoding: 'utf8', env, cwd: dir });
    expect(r.status).toBe(78);
    expect(r.stderr).toContain('tenants.0 (Contoso).desk.servicenow: Unrecognized key: "asignmentGroup"');
    expect(r.stderr).not.toMatch(/Redis unreachable/);
  }, 30_000);

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
