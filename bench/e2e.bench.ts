import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, request as httpRequest, type Server } from 'node:http';
import axios from 'axios';
import { emptyDirectory, user } from '../test/fakes/graph/directory.ts';
import { startFakeGraph, type FakeGraph } from '../test/fakes/graph/server.ts';
import { makeTlsMaterial } from '../test/fakes/graph/tls.ts';
import { bigReport } from '../test/pipeline/big-report.ts';
import { cpuBetween, cpuSnapshot, formatCpu } from './cpu.ts';
import { benchMailbox, peakRssMb, sleep, startServices, startSyncdesk, stopSyncdesk, until } from './harness.ts';

/**
 * End to end: one report mail with N errors is appended to a mailbox on a real Dovecot;
 * `syncdesk start` (IMAP listener and all workers in one process, concurrency 2) turns it
 * into one ticket per problem in a real RT 5. The bench starts its own Redis, Dovecot and
 * RT with scripts/services.sh (a temp state dir, free loopback ports) and removes them
 * afterwards. Graph: the HTTPS fake Graph (half the values have a holder), so the
 * resolve stage does its real lookups; the child trusts the fake's CA.
 *
 * Measured per size: time from the IMAP APPEND to the last ticket, throughput, latency per
 * problem (APPEND → RT answered the ticket's create, seen by a counting proxy in front of
 * RT), the first ticket, Graph calls (fake's counters), desk calls (proxy), peak RSS of the
 * syncdesk process (VmHWM), the requests it kept in flight on average, where the machine's CPU
 * went, and the growth from the first size to the last. The floor is measured in the same
 * run, just before syncdesk's and again just after: bare REST2 creates into the same RT (up
 * to 200 each time) at the desk client's starting concurrency and at its ceiling; RT's pace
 * during the run is the mean of the two at each level, and `of floor` is syncdesk's rate over
 * the faster level (goal ≥ 0.9). The ticket floor: syncdesk's own first creates (up to 200, as
 * the proxy saw them) sent again straight to RT at the same two levels just after the bare
 * floor; what they cost against bare ones then scales the bare floor during the run, and `of
 * ticket floor` is syncdesk's rate over the faster level. RT's cost per create grows with what
 * a ticket holds (HTML, custom fields, the attached mail), so the two floors part.
 *
 *   BENCH=e2e npm run bench                       (200 and 2,000 errors; ~15 min on 2 cores)
 *   BENCH=e2e BENCH_E2E_SIZES=20,50 npm run bench  (a quick look)
 */

type Row = Record<string, unknown>;
/** Requests in flight the desk client starts with and may rise to (TICKET_CONCURRENCY, TICKET_MAX_CONCURRENCY): the floor is measured at both. */
const DESK_CONCURRENCY = [4, 16];
/** Bare creates per floor measurement: a rate needs no more. */
const FLOOR_CREATES = 200;
/** syncdesk's own create bodies the proxy keeps, re-created raw for the second floor. */
const TICKET_FLOOR_CREATES = 200;
const APP = { clientId: 'ffffffff-6666-4666-8666-666666666666', secret: `bench-${randomUUID()}` };


/**
 * A loopback proxy in front of RT that counts calls, notes when each create was answered and
 * keeps the bodies of the first creates (the second floor re-creates them).
 */
function rtProxy(
  target: URL,
): Promise<{
  url: string;
  calls: Map<string, number>;
  busyMs: Map<string, number>;
  creates: number[];
  bodies: Buffer[];
  meanInFlight(): number;
  /** Share of the time with 0, 1, 2, 3 and 4 or more requests in flight. */
  inFlightShares(): number[];
  reset(): void;
  close(): Promise<void>;
}> {
  const calls = new Map<string, number>();
  /** By kind of call, the time RT took to answer (request in to response out, summed over calls). */
  const busyMs = new Map<string, number>();
  const creates: number[] = [];
  const bodies: Buffer[] = [];
  // requests in flight, integrated over time: how many syncdesk kept RT busy with on average
  let inFlight = 0;
  let since = Date.now();
  let lastChange = since;
  let area = 0;
  // time spent at 0, 1, 2, 3 and 4+ in flight: RT's floor is the same at 4 and 16, so under 4 it waits on syncdesk
  const atLevel = [0, 0, 0, 0, 0];
  const inFlightBy = (d: number) => {
    const now = Date.now();
    area += inFlight * (now - lastChange);
    atLevel[Math.min(4, inFlight)]! += now - lastChange;
    lastChange = now;
    inFlight += d;
  };
  const server: Server = createHttpServer((req, res) => {
    const kind = `${req.method} ${(req.url ?? '').replace(/\?.*$/, '').replace(/\/\d+(?=\/|$)/g, '/:id').replace(/^.*\/REST\/2\.0/, '')}`;
    calls.set(kind, (calls.get(kind) ?? 0) + 1);
    const started = Date.now();
    inFlightBy(1);
    res.on('close', () => inFlightBy(-1));
    res.on('finish', () => busyMs.set(kind, (busyMs.get(kind) ?? 0) + Date.now() - started));
    const isCreate = req.method === 'POST' && /\/REST\/2\.0\/ticket\/?$/.test(req.url ?? '');
    const body: Buffer[] = [];
    if (isCreate && bodies.length < TICKET_FLOOR_CREATES) req.on('data', (chunk: Buffer) => body.push(chunk));
    const upstream = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      if (isCreate && up.statusCode === 201) {
        creates.push(Date.now());
        if (body.length && bodies.length < TICKET_FLOOR_CREATES) bodies.push(Buffer.concat(body));
      }
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({
        url: `http://127.0.0.1:${port}${target.pathname}`,
        calls,
        busyMs,
        creates,
        bodies,
        meanInFlight: () => (inFlightBy(0), area / Math.max(1, lastChange - since)),
        inFlightShares: () => (inFlightBy(0), atLevel.map((ms) => ms / Math.max(1, lastChange - since))),
        reset() {
          since = lastChange = Date.now();
          area = 0;
          atLevel.fill(0);
          calls.clear();
          busyMs.clear();
          creates.length = 0;
          bodies.length = 0;
        },
        close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
      });
    }),
  );
}

/**
 * Creates per second: `count` REST2 creates straight into RT, `concurrency` in flight, the
 * i-th made by `create(i, tag)` (`tag` is new for each measurement, so keys never repeat).
 */
async function createRate(
  rt: { url: string; token: string },
  count: number,
  concurrency: number,
  create: (i: number, tag: string) => Record<string, unknown>,
): Promise<number> {
  const api = axios.create({ baseURL: `${rt.url.replace(/\/$/, '')}/REST/2.0`, headers: { Authorization: `token ${rt.token}` }, timeout: 60_000 });
  const tag = randomUUID().slice(0, 8);
  let next = 0;
  const started = Date.now();
  const client = async (): Promise<void> => {
    for (let i = next++; i < count; i = next++) {
      const res = await api.post('/ticket', create(i, tag));
      if (res.status !== 201) throw new Error(`floor create answered ${res.status}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  return count / ((Date.now() - started) / 1000);
}

/**
 * The floor: `n` bare REST2 creates (queue, subject, body, the dedup custom field) into the
 * same RT, `concurrency` in flight as syncdesk's desk client allows. Creates per second.
 */
function rawCreateRate(rt: { url: string; token: string; queue: string; keyField: string }, n: number, concurrency: number): Promise<number> {
  return createRate(rt, n, concurrency, (i, tag) => ({
    Queue: rt.queue,
    Subject: `floor ${tag} ${i}`,
    Content: `raw create ${i} of the bench's floor`,
    ContentType: 'text/plain',
    CustomFields: { [rt.keyField]: `floor-${tag}-${i}` },
  }));
}

/**
 * The second floor: syncdesk's own creates (the bodies the proxy kept: its HTML, custom fields,
 * attachment if any) sent again straight to RT, each under a new key and subject, `concurrency`
 * in flight. What RT allows for the tickets syncdesk writes, as the bare floor is for a one-line ticket.
 */
function sameTicketCreateRate(rt: { url: string; token: string; keyField: string }, bodies: readonly Buffer[], concurrency: number): Promise<number> {
  return createRate(rt, bodies.length, concurrency, (i, tag) => {
    const create = JSON.parse(bodies[i]!.toString('utf8')) as { Subject?: string; CustomFields?: Record<string, unknown> };
    return { ...create, Subject: `floor ${tag} ${create.Subject ?? ''}`, CustomFields: { ...create.CustomFields, [rt.keyField]: `floor-${tag}-${i}` } };
  });
}

/** `3.10 @4, 3.25 @16`: a rate at each level of DESK_CONCURRENCY. */
function rates(perLevel: readonly number[]): string {
  return perLevel.map((f, i) => `${f.toFixed(2)} @${DESK_CONCURRENCY[i]}`).join(', ');
}

function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export async function runE2eBench(): Promise<Row[]> {
  const sizes = (process.env.BENCH_E2E_SIZES ?? '200,2000').split(',').map(Number);
  const services = await startServices();
  const s = services.env;
  const tls = makeTlsMaterial();
  const maxN = Math.max(...sizes);
  const directory = emptyDirectory();
  for (let i = 0; i < maxN; i += 2) directory.users.push(user({ userPrincipalName: `user${String(i).padStart(5, '0')}@bigcorp.com`, displayName: `Holder ${i}` }));
  let fake: FakeGraph | undefined;
  let proxy: Awaited<ReturnType<typeof rtProxy>> | undefined;
  let child: ChildProcess | undefined;
  const rows: Row[] = [];
  try {
    // one tenant per size: tickets are keyed by tenant id, so the sizes never share a problem
    const tenantId = (n: number) => `0f0f0f0f-0000-4000-8000-${String(n).padStart(12, '0')}`;
    fake = await startFakeGraph({ tls, tenants: Object.fromEntries(sizes.map((n) => [tenantId(n), { apps: [APP], directory }])) });
    proxy = await rtProxy(new URL(s.RT_URL!));
    for (const n of sizes) {
      const mailbox = `bench-${n}-${randomUUID().slice(0, 6)}`;
      const { admin, env: listening } = await benchMailbox(services, mailbox);
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        ...listening,
        NODE_EXTRA_CA_CERTS: tls.caPath,
        TICKET_SINK: 'rt',
        RT_URL: proxy.url,
        RT_TOKEN: s.RT_TOKEN,
        RT_QUEUE: s.RT_QUEUE,
        RT_KEY_FIELD: s.RT_DEDUP_CF,
        GRAPH_TENANT_ID: tenantId(n),
        GRAPH_CLIENT_ID: APP.clientId,
        GRAPH_CLIENT_SECRET: APP.secret,
        GRAPH_BASE_URL: fake.url,
        GRAPH_AUTHORITY_HOST: fake.url,
      };

      const syncdesk = await startSyncdesk(env);
      child = syncdesk.child;
      const c = syncdesk.child;
      await sleep(2_000); // the listener logs in and opens the mailbox

      // the floor at the desk client's first and last concurrency, before syncdesk's run and
      // after it: RT's pace drifts (its database grows, the machine's load moves by ±10% from
      // one 200 creates to the next), and syncdesk's creates fall between the two
      const rt = { url: s.RT_URL!, token: s.RT_TOKEN!, queue: s.RT_QUEUE!, keyField: s.RT_DEDUP_CF! };
      // the machine's idle share while each floor ran: RT idles some CPU on its own (its
      // scrips write each ticket to a file and run an HTML formatter on it), so the run's idle
      // share says little about syncdesk until it is set beside the floors'
      const floorIdle: number[] = [];
      const bareFloor = async () => {
        const from = cpuSnapshot();
        const perLevel: number[] = [];
        for (const concurrency of DESK_CONCURRENCY) perLevel.push(await rawCreateRate(rt, Math.min(n, FLOOR_CREATES), concurrency));
        floorIdle.push(cpuBetween(from, cpuSnapshot(), () => '').idleShare);
        return perLevel;
      };
      const floorsBefore = await bareFloor();
      const tenant = `Bench ${n} ${randomUUID().slice(0, 6)}`;
      const raw = bigReport(n, { tenant });
      fake.resetStats();
      proxy.reset();
      const cpuFrom = cpuSnapshot();
      const appendedAt = Date.now();
      await admin.append(mailbox, raw);
      await admin.logout();
      const p = proxy;
      await until(`${n} tickets`, () => (syncdesk.alive(), p.creates.length >= n), n * 2_000 + 300_000);
      const done = Date.now();
      const meanInFlight = p.meanInFlight();
      const inFlightShares = p.inFlightShares();
      const cpu = cpuBetween(cpuFrom, cpuSnapshot(), (pid, comm) => (pid === c.pid ? 'syncdesk' : pid === process.pid ? 'bench' : comm));
      await sleep(1_000); // a duplicate create would show up now
      const rss = peakRssMb(c.pid!);
      await stopSyncdesk(c);
      child = undefined;
      // once syncdesk has stopped (so the two never share RT): the bare floor again, then the same tickets created raw
      const floorsAfter = await bareFloor();
      const ticketFloors: number[] = [];
      for (const concurrency of DESK_CONCURRENCY) ticketFloors.push(await sameTicketCreateRate(rt, p.bodies, concurrency));
      // each level's floor during the run: the mean of before and after; the ticket floor the
      // same, from what syncdesk's tickets cost against bare ones after the run, side by side
      const floors = floorsBefore.map((b, i) => (b + floorsAfter[i]!) / 2);
      const floor = Math.max(...floors);
      const ticketFloor = Math.max(...floors.map((f, i) => (f * ticketFloors[i]!) / floorsAfter[i]!));

      const latencies = p.creates.map((t) => t - appendedAt).sort((a, b) => a - b);
      const deskCalls = [...p.calls.values()].reduce((a, b) => a + b, 0);
      const st = fake.stats;
      const graphCalls = st.subRequests + st.graphHttpRequests - st.batchPosts;
      const seconds = (done - appendedAt) / 1000;
      rows.push({
        errors: n,
        tickets: p.creates.length,
        seconds: Number(seconds.toFixed(1)),
        'problems/s': Number((n / seconds).toFixed(2)),
        'floor creates/s': rates(floors),
        'before, after': `${rates(floorsBefore)}; ${rates(floorsAfter)}`,
        'of floor': Number((n / seconds / floor).toFixed(2)),
        'ticket floor/s': `${ticketFloor.toFixed(2)} (after: ${rates(ticketFloors)})`,
        'of ticket floor': Number((n / seconds / ticketFloor).toFixed(2)),
        'p50 ms': quantile(latencies, 0.5),
        'p95 ms': quantile(latencies, 0.95),
        'first ms': latencies[0],
        'graph calls': graphCalls,
        'graph http': st.graphHttpRequests + st.tokenRequests + st.metadataRequests,
        'desk calls': deskCalls,
        'desk calls/problem': Number((deskCalls / n).toFixed(2)),
        'peak RSS MB': rss,
        'mean in flight': Number(meanInFlight.toFixed(1)),
        'time at 0/1/2/3/4+ in flight %': inFlightShares.map((x) => Math.round(x * 100)).join('/'),
        'idle %': Math.round(cpu.idleShare * 100),
        'floors idle % (before, after)': floorIdle.map((x) => Math.round(x * 100)).join(', '),
        // on two cores RT competes with syncdesk (and the bench's proxy and fake Graph) for CPU; RT's share is most of the rest
        'cpu s': formatCpu(cpu),
        'desk calls by kind': [...p.calls].map(([k, v]) => `${k}=${v}`).join(' '),
        // where RT's time went: with 16 calls in flight the sums overlap, so read them as shares
        'desk s by kind': [...p.busyMs].map(([k, v]) => `${k}=${(v / 1000).toFixed(0)}`).join(' '),
      });
      process.stderr.write(`e2e bench: ${n} errors done in ${seconds.toFixed(1)} s\n`);
    }
    if (rows.length >= 2) {
      const a = rows[0]!;
      const b = rows.at(-1)!;
      const ratio = (k: string) => Number(((b[k] as number) / (a[k] as number)).toFixed(2));
      rows.push({
        errors: `${a.errors}→${b.errors}`,
        tickets: ratio('tickets'),
        seconds: ratio('seconds'),
        'problems/s': ratio('problems/s'),
        'p50 ms': ratio('p50 ms'),
        'p95 ms': ratio('p95 ms'),
        'graph calls': ratio('graph calls'),
        'desk calls': ratio('desk calls'),
        'desk calls/problem': ratio('desk calls/problem'),
        'peak RSS MB': ratio('peak RSS MB'),
        'desk calls by kind': 'growth factors (last size / first size)',
      });
    }
    return rows.map((r) => ({ ...r, graph: 'fake Graph (HTTPS, half the values held)', desk: 'real RT 5' }));
  } finally {
    child?.kill('SIGKILL');
    await proxy?.close();
    await fake?.close();
    await services.stop();
  }
}
