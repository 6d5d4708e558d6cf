import { EventEmitter } from 'node:events';
import type { ImapFlow, ImapFlowOptions } from 'imapflow';
import { describe, expect, it } from 'vitest';
import { createImapMailSource } from '../../src/ingest/imap-mail-source.ts';
import { DEFAULT_TIMING } from '../../src/ingest/imap-listener.ts';
import { backoffDelay } from '../../src/ingest/mail-listener.ts';
import { silentLogger, testConfig } from './helpers.ts';

/**
 * Exchange Online announces PERMANENTFLAGS without `\*`: a custom keyword would be
 * dropped silently. Dovecot always allows keywords, so this branch is tested with a
 * stand-in client whose mailbox reports Exchange's PERMANENTFLAGS.
 */
class FakeImapClient extends EventEmitter {
  usable = true;
  capabilities = new Map<string, boolean>([['IDLE', true], ['MOVE', true]]);
  mailbox: { path: string; uidValidity: bigint; exists: number; permanentFlags: Set<string> } | false = false;
  calls: string[] = [];
  constructor(private readonly permanentFlags: string[], private readonly storeAccepts = true) {
    super();
  }
  async connect() {}
  async mailboxOpen(path: string) {
    this.mailbox = { path, uidValidity: 7n, exists: 3, permanentFlags: new Set(this.permanentFlags) };
  }
  async getMailboxLock() {
    return { release: () => undefined };
  }
  async messageFlagsAdd(range: string, flags: string[]) {
    this.calls.push(`STORE ${range} +FLAGS ${flags.join(' ')}`);
    return this.storeAccepts;
  }
  async mailboxCreate(path: string) {
    this.calls.push(`CREATE ${path}`);
    return { path, created: true };
  }
  async messageMove(range: string, dest: string) {
    this.calls.push(`MOVE ${range} ${dest}`);
    return { path: 'INBOX', destination: dest, uidValidity: 7n, uidMap: new Map() };
  }
  async logout() {}
  close() {}
}

async function markWith(client: FakeImapClient) {
  const config = testConfig({ IMAP_HOST: '127.0.0.1', IMAP_USER: 'u', IMAP_PASSWORD: 'p', IMAP_PROCESSED_FOLDER: 'Handled' });
  const source = createImapMailSource(config, { logger: silentLogger(), createClient: () => client as unknown as ImapFlow });
  const conn = await source.connect();
  const box = await conn.refresh().catch(() => null);
  return { conn, box, result: await conn.markHandled([4, 9]) };
}

describe('marking handled mail on the server', () => {
  it('uses the keyword where PERMANENTFLAGS has \\* (Dovecot, Gmail)', async () => {
    const client = new FakeImapClient(['\\Seen', '\\Deleted', '\\*']);
    const { result } = await markWith(client);
    expect(result).toBe('keyword');
    expect(client.calls).toEqual(['STORE 4,9 +FLAGS $SyncdeskHandled']);
  });

  it('moves to the processed folder where the server keeps no custom keywords (Exchange Online), never \\Seen', async () => {
    const client = new FakeImapClient(['\\Seen', '\\Answered', '\\Flagged', '\\Deleted', '\\Draft', '$MDNSent']);
    const { result } = await markWith(client);
    expect(result).toBe('moved');
    expect(client.calls).toEqual(['CREATE Handled', 'MOVE 4,9 Handled']);
    expect(client.calls.join(' ')).not.toContain('\\Seen');
  });

  it('falls back to a move when the server refuses the keyword', async () => {
    const client = new FakeImapClient(['\\*'], false);
    const { result } = await markWith(client);
    expect(result).toBe('moved');
    expect(client.calls).toEqual(['STORE 4,9 +FLAGS $SyncdeskHandled', 'CREATE Handled', 'MOVE 4,9 Handled']);
  });
});

describe('XOAUTH2 (Exchange Online app-only)', () => {
  it('asks for a new access token on every connection and passes it as accessToken, with TLS on', async () => {
    const config = testConfig({ IMAP_HOST: 'outlook.office365.com', IMAP_USER: 'reports@contoso.com', IMAP_AUTH: 'oauth2' });
    let issued = 0;
    const seen: ImapFlowOptions[] = [];
    const source = createImapMailSource(config, {
      logger: silentLogger(),
      getAccessToken: async () => `token-${++issued}`,
      createClient: (o) => {
        seen.push(o);
        return new FakeImapClient([]) as unknown as ImapFlow;
      },
    });
    await source.connect();
    await source.connect();
    expect(seen.map((o) => o.auth)).toEqual([
      { user: 'reports@contoso.com', accessToken: 'token-1' },
      { user: 'reports@contoso.com', accessToken: 'token-2' },
    ]);
    expect(seen[0]).toMatchObject({ host: 'outlook.office365.com', port: 993, secure: true });
  });
});

describe('reconnect backoff', () => {
  it('grows exponentially from 2 s, is capped at 30 s, with ±1 s jitter', () => {
    const mid = () => 0.5;
    expect([0, 1, 2, 3, 10].map((a) => backoffDelay(a, DEFAULT_TIMING, mid))).toEqual([2000, 3000, 4500, 6750, 30000]);
    expect(backoffDelay(0, DEFAULT_TIMING, () => 0)).toBe(1000);
    expect(backoffDelay(20, DEFAULT_TIMING, () => 0.999999)).toBe(31000);
  });
});
