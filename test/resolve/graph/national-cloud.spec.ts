import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imapClientOptions } from '../../../src/ingest/imap-mail-source.ts';
import type { FakeGraph } from '../../fakes/graph/server.ts';
import { configFor, contosoDirectory, silentLogger, startFake } from './harness.ts';

/**
 * Exchange Online's app-only IMAP in a national cloud: the token comes from GRAPH_CLOUD's
 * sign-in host (here the fake, as GRAPH_AUTHORITY_HOST) for that cloud's Exchange resource.
 * It was asked of the global sign-in host for outlook.office365.com whatever the cloud, so a
 * GCC High, DoD or China mailbox could never be read (blind63 C1).
 */

let fake: FakeGraph;
beforeAll(async () => {
  fake = await startFake({ a: contosoDirectory() });
});
afterAll(async () => {
  await fake.close();
});

describe('IMAP_AUTH=oauth2 in a national cloud', () => {
  it.each([
    ['usgov', 'https://outlook.office365.us/.default'],
    ['usgovdod', 'https://outlook-dod.office365.us/.default'],
    ['china', 'https://partner.outlook.cn/.default'],
    ['global', 'https://outlook.office365.com/.default'],
  ])('signs in at the configured sign-in host for %s Exchange (%s)', async (cloud, scope) => {
    fake.resetStats();
    const config = configFor(fake, { GRAPH_CLOUD: cloud, IMAP_HOST: '127.0.0.1', IMAP_USER: 'reports@contoso.com', IMAP_AUTH: 'oauth2' });
    const options = await imapClientOptions(config, silentLogger());
    expect(options.auth).toMatchObject({ user: 'reports@contoso.com', accessToken: expect.stringMatching(/\S{20,}/) });
    expect(fake.stats.tokenScopes).toEqual([scope]);
  });
});
