import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, terminalLines } from '../src/logger.ts';

/** An interactive command at a terminal prints its log as plain lines between its own (blind31 R10), secrets still redacted. */
describe('the log at a terminal', () => {
  it('is one plain line per entry: level word, message, the error when the message lacks it', () => {
    let out = '';
    const terminal = new Writable({ write: (chunk, _e, done) => ((out += String(chunk)), done()) });
    const logger = createLogger({ level: 'info', destination: terminalLines(terminal) });
    logger.warn({ action: 'ingest', code: 'rejected' }, 'mail kept but not readable: unreadable: no header lines');
    logger.error({ err: new Error('connect ECONNREFUSED 127.0.0.1:9') }, 'desk unreachable');
    logger.info({ password: 'hunter2-secret' }, 'signed in');
    logger.debug('not shown');
    expect(out).toBe(
      [
        'syncdesk: warning: mail kept but not readable: unreadable: no header lines',
        'syncdesk: error: desk unreachable: connect ECONNREFUSED 127.0.0.1:9',
        'syncdesk: info: signed in',
        '',
      ].join('\n'),
    );
    expect(out).not.toContain('{');
  });
});

/** A tenants file's entry is no part of the config schema: its secrets are redacted all the same (review37 R7). */
describe('the JSON log', () => {
  it("shows neither a tenant entry's client secret nor its certificate password", () => {
    let out = '';
    const logger = createLogger({ level: 'info', destination: new Writable({ write: (chunk, _e, done) => ((out += String(chunk)), done()) }) });
    logger.info({ tenant: { name: 'Contoso', clientSecret: 'tenant-secret-1', certificatePassword: 'pfx-pass-2' } }, 'tenant');
    expect(out).toContain('"name":"Contoso"');
    expect(out).not.toContain('tenant-secret-1');
    expect(out).not.toContain('pfx-pass-2');
  });
});
