import { join } from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import type { StatusReport } from '../../src/cli/status.ts';
import { services } from '../helpers/services.ts';
import { runCli, tempDir, uid } from '../prove/helpers.ts';

/**
 * After a change of desk the old desk's tickets are the admin's to close, and nothing named
 * them (blind69 M3): `status` lists the open problems whose ticket syncdesk knows by another
 * desk's address, each by its URL.
 */
describe('status after a change of desk', () => {
  it("lists the open problems whose ticket is at another desk, by URL; the desk's own and settled ones are not listed", async () => {
    const prefix = `sd${uid()}`;
    const dir = tempDir('status-desk');
    const redis = new Redis(services().REDIS_URL!);
    try {
      const state = (key: string, ticketUrl: string, status = 'open') =>
        JSON.stringify({ key, stream: 'contoso.com', status, ticketId: key, ticketUrl, summary: `[Duplicate UserPrincipalName] ${key}@contoso.com`, reports: [] });
      await redis.set(`${prefix}:ticket:key:a`, state('a', 'https://old.zendesk.example/agent/tickets/21'));
      await redis.set(`${prefix}:ticket:key:b`, state('b', `file://${join(dir, 'old-tickets')}/T1.json`));
      await redis.set(`${prefix}:ticket:key:c`, state('c', `file://${join(dir, 'tickets')}/T2.json`));
      await redis.set(`${prefix}:ticket:key:d`, state('d', 'https://old.zendesk.example/agent/tickets/22', 'resolved'));
      const env = { REDIS_URL: services().REDIS_URL!, REDIS_PREFIX: prefix, TICKET_SINK: 'file', TICKET_DIR: join(dir, 'tickets'), MAIL_STORE_DIR: join(dir, 'mail'), LOG_LEVEL: 'error' };

      const text = await runCli(['status'], env);
      expect(text.output).toContain('Open problems: 3');
      expect(text.output).toContain(`2 of them with a ticket at another desk than this one (file://${join(dir, 'tickets')}): close them there`);
      expect(text.output).toMatch(/^ {4}https:\/\/old\.zendesk\.example\/agent\/tickets\/21 {2}\[Duplicate UserPrincipalName\] a@contoso\.com$/m);
      expect(text.output).toContain(`file://${join(dir, 'old-tickets')}/T1.json`);
      expect(text.output).not.toContain('T2.json');
      expect(text.output).not.toContain('tickets/22');

      const json = JSON.parse((await runCli(['status', '--json'], env)).output.trim().split('\n').at(-1)!) as StatusReport;
      expect(json.openProblems.atAnotherDesk.problems.map((p) => p.ticketId).sort()).toEqual(['a', 'b']);
    } finally {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length) await redis.del(...keys);
      await redis.quit();
    }
  }, 60_000);
});
