import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { loadConfig } from '../src/config.ts';
import { fingerprintError } from '../src/parse/fingerprint.ts';
import { createResolverFromConfig } from '../src/app/resolver-from-config.ts';
import type { ReportRef } from '../schemas/jobs.schema.ts';
import type { SyncError } from '../schemas/report.schema.ts';
import { emptyDirectory, user } from '../test/fakes/graph/directory.ts';
import { startFakeGraph } from '../test/fakes/graph/server.ts';
import { makeTlsMaterial, tlsMaterialFrom } from '../test/fakes/graph/tls.ts';
import { freePort } from '../test/helpers/ports.ts';

/**
 * Graph HTTP requests for the resolve stage against the fake Graph, through the real
 * @azure/identity and Graph client: 1,000 distinct values (half held, half nobody's, so
 * the deleted-items fallback runs too), the same again within the cache TTL, and 1,000
 * more under throttling. The bound is ⌈sub-requests / 20⌉ plus the re-sent batches.
 *
 * The fake is HTTPS with a throw-away CA, and Node reads NODE_EXTRA_CA_CERTS only at
 * start, so runGraphBench() runs the measurement in a child node process. Redis: REDIS_URL,
 * else a private redis-server on a free loopback port for the duration of the bench.
 */

type Row = Record<string, unknown>;
const CHILD_FLAG = '--graph-bench-child';
const TENANT = 'bench0000-0000-4000-8000-000000000000';
const APP = { clientId: 'bench-app', secret: 'bench-secret' };

async function startRedis(): Promise<{ url: string; proc: ChildProcess }> {
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 50; i++) {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => {}); // refused while redis-server starts: expected, retried below
    const ok = await probe.connect().then(() => true, () => false);
    probe.disconnect();
    if (ok) return { url, proc };
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.kill();
  throw new Error('redis-server did not start');
}

export async function runGraphBench(): Promise<Row[]> {
  const material = makeTlsMaterial();
  const redis = process.env.REDIS_URL ? null : await startRedis();
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), CHILD_FLAG], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: material.caPath, FAKE_GRAPH_TLS_DIR: material.dir, REDIS_URL: process.env.REDIS_URL ?? redis!.url },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    if (code !== 0) throw new Error(`graph bench child exited with ${code}`);
    return JSON.parse(out.trim().split('\n').at(-1)!) as Row[];
  } finally {
    redis?.proc.kill();
  }
}

function errorsFor(prefix: string, n: number): SyncError[] {
  return Array.from({ length: n }, (_, i) => {
    const base = {
      category: 'DuplicateAttribute' as const,
      errorCode: 'AttributeValueMustBeUnique',
      identity: `onprem${i}@bench.example`,
      objectType: 'User',
      onPremisesObjectId: null,
      attributes: [{ name: 'ProxyAddresses', value: `SMTP:${prefix}${i}@bench.example` }],
      message: 'bench',
    };
    return { ...base, fingerprint: fingerprintError(base) };
  });
}

const ref = (): ReportRef => ({
  reportId: randomUUID(), mailId: null, subject: 'bench', coversAt: new Date().toISOString(), tenantKey: 'bench.example',
  tenant: { name: null, domain: 'bench.example', id: null }, source: 'mail',
});

async function child(): Promise<void> {
  const directory = emptyDirectory();
  // Half of each run's values are held (live users), half by nobody (deleted-items fallback).
  for (const prefix of ['v', 't']) {
    for (let i = 0; i < 1000; i += 2) directory.users.push(user({ userPrincipalName: `${prefix}${i}@bench.example`, proxyAddresses: [`SMTP:${prefix}${i}@bench.example`] }));
  }
  const fake = await startFakeGraph({ tls: tlsMaterialFrom(process.env.FAKE_GRAPH_TLS_DIR!), tenants: { [TENANT]: { apps: [APP], directory } } });
  const client = new Redis(process.env.REDIS_URL!);
  const config = loadConfig({
    REDIS_URL: process.env.REDIS_URL,
    REDIS_PREFIX: `bench-${randomUUID()}`,
    GRAPH_TENANT_ID: TENANT,
    GRAPH_CLIENT_ID: APP.clientId,
    GRAPH_CLIENT_SECRET: APP.secret,
    GRAPH_BASE_URL: fake.url,
    GRAPH_AUTHORITY_HOST: fake.url,
    // The bench counts requests; a higher rate keeps it short (the default is 10/s per tenant).
    GRAPH_REQUESTS_PER_SECOND: '100',
  });
  const resolver = createResolverFromConfig(config, { redis: client, logger: pino({ level: 'silent' }) });
  const rows: Row[] = [];
  const measure = async (scenario: string, errors: SyncError[]) => {
    fake.resetStats();
    const started = performance.now();
    const result = await resolver.resolve(ref(), errors);
    const ms = Math.round(performance.now() - started);
    const s = fake.stats;
    // Each throttled sub-request is sent once more; the rest went out exactly once.
    const firstAttempts = s.subRequests - s.throttled;
    const bound = Math.ceil(firstAttempts / 20) + s.throttled;
    rows.push({
      scenario,
      values: errors.length,
      held: [...result.values()].filter((r) => r.holders.length > 0).length,
      subRequests: firstAttempts,
      resent: s.throttled,
      graphHttpRequests: s.graphHttpRequests,
      'sub/20': Math.ceil(firstAttempts / 20),
      'bound sub/20+resent': bound,
      withinBound: s.graphHttpRequests <= bound,
      tokenRequests: s.tokenRequests,
      ms,
    });
  };
  await measure('1,000 distinct values', errorsFor('v', 1000));
  await measure('same 1,000 again (within TTL)', errorsFor('v', 1000));
  fake.throttle({ everyNth: 40, retryAfterSeconds: 1 });
  await measure('1,000 distinct, every 40th call 429', errorsFor('t', 1000));
  fake.throttle(null);
  await resolver.close();
  client.disconnect();
  await fake.close();
  process.stdout.write(`${JSON.stringify(rows)}\n`);
}

if (process.argv.includes(CHILD_FLAG) && process.argv[1] && resolvePath(process.argv[1]) === fileURLToPath(import.meta.url)) {
  child().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
