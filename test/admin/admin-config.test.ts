import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { basicCredentials } from '../../src/admin/server.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';

describe('admin configuration', () => {
  it('defaults to loopback port 9464, user admin, no password (dashboard off)', () => {
    expect(loadConfig({}).admin).toEqual({ host: '127.0.0.1', port: 9464, user: 'admin' });
  });

  it('reads ADMIN_* and the password from ADMIN_PASSWORD_FILE', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'syncdesk-admin-cfg-')), 'pw');
    writeFileSync(file, 's3cret pass\n');
    const config = loadConfig({ ADMIN_HOST: '0.0.0.0', ADMIN_PORT: '0', ADMIN_USER: 'ops', ADMIN_PASSWORD_FILE: file });
    expect(config.admin).toEqual({ host: '0.0.0.0', port: 0, user: 'ops', password: 's3cret pass' });
  });

  it('names ADMIN_PORT when it is not a port', () => {
    expect(() => loadConfig({ ADMIN_PORT: 'http' })).toThrow(/ADMIN_PORT/);
    expect(() => loadConfig({ ADMIN_PORT: '70000' })).toThrow(/ADMIN_PORT/);
  });

  it('never logs the dashboard password', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', destination: { write: (s: string) => lines.push(s) } as unknown as NodeJS.WritableStream });
    logger.info({ config: loadConfig({ ADMIN_PASSWORD: 'hunter2-admin' }) }, 'config');
    expect(lines.join('')).not.toContain('hunter2-admin');
  });
});

describe('basicCredentials', () => {
  const header = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;
  it('splits at the first colon, so passwords may contain colons', () => {
    expect(basicCredentials(header('ops:a:b:c'))).toEqual({ user: 'ops', password: 'a:b:c' });
    expect(basicCredentials(header('ops:'))).toEqual({ user: 'ops', password: '' });
  });
  it('refuses anything else', () => {
    expect(basicCredentials(undefined)).toBeNull();
    expect(basicCredentials('Bearer abc')).toBeNull();
    expect(basicCredentials(header('no-colon'))).toBeNull();
  });
});
