import { describe, expect, it } from 'vitest';
import { sharedSettings, type HostRecord } from '../../src/app/hosts.ts';
import { loadConfig } from '../../src/config.ts';
import { redisOfThisHostOnly, scaleOutVerdict } from '../../src/doctor/scale-out-check.ts';

const now = new Date('2026-12-02T12:00:00Z');
const config = (env: Record<string, string>) => loadConfig({ REDIS_URL: 'redis://redis.internal:6379', ...env });

function host(name: string, env: Record<string, string>, roles = ['resolve', 'ticket'], hoursAgo = 1): HostRecord {
  return { host: name, pid: 4242, roles, at: new Date(now.getTime() - hoursAgo * 3_600_000).toISOString(), shared: sharedSettings(config(env)) };
}

describe('doctor: what hosts sharing one Redis must agree on', () => {
  it('names each host whose settings differ, with its value and ours, and how to fix it', () => {
    const verdict = scaleOutVerdict(config({}), [host('ingest-1', {}, ['listen']), host('worker-2', { TICKET_DIGEST: 'true', TICKET_SINK: 'rt', RT_URL: 'https://rt.example.com', RT_TOKEN: 'x' })], now);
    expect(verdict.status).toBe('warn');
    expect(verdict.detail).toContain('worker-2 pid 4242 (resolve, ticket; started 1 h ago): TICKET_DIGEST=true (here: false), TICKET_SINK=rt (here: file)');
    expect(verdict.detail).not.toContain('ingest-1');
    expect(verdict.fix).toMatch(/TICKET_DIGEST, TICKET_SINK and ONPREM_URL alike on every host/);
  });

  it('passes hosts that agree, counting processes and machines', () => {
    const verdict = scaleOutVerdict(config({}), [host('ingest-1', {}, ['listen']), host('worker-2', {}), host('worker-2', {})], now);
    expect(verdict.status).toBe('pass');
    expect(verdict.detail).toMatch(/3 process\(es\) on 2 host\(s\)/);
    expect(verdict.detail).toContain('mails travel in the jobs');
  });

  it('says a loopback or embedded Redis serves one host only, and what to set for several', () => {
    for (const env of [{ REDIS_URL: 'redis://127.0.0.1:6379' }, { REDIS_URL: '' }, { REDIS_CLUSTER_NODES: '127.0.0.1:7000,localhost:7001' }]) {
      const c = loadConfig(env);
      expect(redisOfThisHostOnly(c)).toBe(true);
      const verdict = scaleOutVerdict(c, [], now);
      expect(verdict.status).toBe('pass');
      expect(verdict.detail).toMatch(/^one host: .*REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES/);
    }
    expect(redisOfThisHostOnly(config({ REDIS_SENTINELS: '10.0.0.5:26379', REDIS_SENTINEL_NAME: 'mymaster' }))).toBe(false);
  });
});
