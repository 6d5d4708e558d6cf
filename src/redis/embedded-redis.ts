import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, openSync, closeSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createConnection, createServer } from 'node:net';
import { delimiter, join, resolve } from 'node:path';
import type { Logger } from '../logger.ts';

/**
 * The embedded default: with no REDIS_URL, syncdesk runs a private `redis-server` of its
 * own, bound to 127.0.0.1 on a free port, with its data (append-only file) under
 * `redis.embeddedDir`. A second syncdesk process for the same folder finds it through
 * the pid file and a PING, and reuses it instead of starting another.
 *
 * One server per folder, shared: every process using it has a file in `clients/`, and the
 * server is shut down by the last one to leave (on `stop()`, or when the process exits
 * without it, SIGTERM and crashes included), never under another process still using it.
 *
 * Loopback is open to every local user, so the server asks for a password: a random one per
 * start, in `runtime.json` (0600, in a 0700 folder), where syncdesk's other processes read it.
 */

export interface EmbeddedRedis {
  /** With the password: for clients, never for the log. */
  url: string;
  port: number;
  pid: number;
  dir: string;
  /** True when this process started the server (false: it reused a running one). */
  startedHere: boolean;
  /** Leaves the server; the last process to leave shuts it down (SHUTDOWN: the AOF is flushed first). */
  stop(): Promise<void>;
}

class EmbeddedRedisError extends Error {
  constructor(
    message: string,
    options?: { cause?: unknown },
    /** `redis_server_missing`: nothing to start until a person installs it (the CLI exits 78). */
    readonly code?: string,
  ) {
    super(message, options);
    this.name = 'EmbeddedRedisError';
  }
}

interface RuntimeFile {
  port: number;
  pid: number;
  /** Absent in a server an older syncdesk started: it asks for none. */
  password?: string;
}

/** A client's URL of a running server. */
export function embeddedUrl(server: { port: number; password?: string }): string {
  return `redis://${server.password ? `:${server.password}@` : ''}127.0.0.1:${server.port}`;
}

const READY_TIMEOUT_MS = 20_000;
const LOCK_STALE_MS = 30_000;

function findOnPath(binary: string, env: NodeJS.ProcessEnv = process.env): string | null {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, binary);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** Alive and not a zombie (PID 1 here may not reap at once, so `kill -0` alone lies). */
export function isProcessAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * Sends one inline command (after AUTH when there is a password) and returns its reply line, or
 * a bulk reply's text (INFO), with no client library.
 */
function rawCommand(server: { port: number; password?: string }, command: string, timeoutMs = 1000): Promise<string | null> {
  const lines = server.password ? [`AUTH ${server.password}`, command] : [command];
  return new Promise((resolvePromise) => {
    const socket = createConnection({ host: '127.0.0.1', port: server.port });
    let data = '';
    const done = (value: string | null) => {
      socket.destroy();
      resolvePromise(value);
    };
    socket.setTimeout(timeoutMs, () => done(null));
    socket.once('error', () => done(null));
    socket.once('connect', () => socket.write(lines.map((l) => `${l}\r\n`).join('')));
    socket.on('data', (chunk) => {
      data += chunk.toString('utf8');
      const replies = data.split('\r\n');
      // the last piece is a reply not yet ended; the last full one is the command's
      if (replies.length <= lines.length) return;
      const reply = replies[lines.length - 1]!;
      if (!reply.startsWith('$') || reply === '$-1') return done(reply);
      // a bulk reply: its length in bytes, then its text
      const start = Buffer.byteLength(replies.slice(0, lines.length).join('\r\n')) + 2;
      const bytes = Buffer.from(data, 'utf8');
      const length = Number(reply.slice(1));
      if (bytes.length >= start + length) done(bytes.subarray(start, start + length).toString('utf8'));
    });
    socket.once('end', () => done(data || null));
  });
}

async function pingRedis(server: { port: number; password?: string }): Promise<boolean> {
  return (await rawCommand(server, 'PING')) === '+PONG';
}

async function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolvePromise(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function readRuntime(dir: string): RuntimeFile | null {
  try {
    const parsed = JSON.parse(readFileSync(join(dir, 'runtime.json'), 'utf8')) as Partial<RuntimeFile>;
    if (typeof parsed.port === 'number' && typeof parsed.pid === 'number') {
      return { port: parsed.port, pid: parsed.pid, ...(typeof parsed.password === 'string' ? { password: parsed.password } : {}) };
    }
  } catch {
    // absent or torn: treat as not running
  }
  return null;
}

/** runtime.json, readable by its owner only (it holds the password). */
function writeRuntime(dir: string, server: RuntimeFile): void {
  const path = join(dir, 'runtime.json');
  rmSync(path, { force: true });
  writeFileSync(path, JSON.stringify({ port: server.port, pid: server.pid, password: server.password }), { mode: 0o600 });
}

function readPidFile(dir: string): number | null {
  try {
    const pid = Number(readFileSync(join(dir, 'redis.pid'), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Takes `start.lock` (holding our pid) if nobody holds it; a lock whose process is gone or that is old is broken. */
function tryLock(dir: string): boolean {
  const lock = join(dir, 'start.lock');
  try {
    const fd = openSync(lock, 'wx');
    writeFileSync(fd, String(process.pid));
    closeSync(fd);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  try {
    const holder = Number(readFileSync(lock, 'utf8'));
    const stale = Date.now() - statSync(lock).mtimeMs > LOCK_STALE_MS || (holder > 0 && holder !== process.pid && !isProcessAlive(holder));
    if (stale) rmSync(lock, { force: true });
  } catch {
    // removed meanwhile
  }
  return false;
}

/**
 * Whoever holds `start.lock` is starting, joining or shutting down the server; others wait.
 * So a server is never shut down between another process finding it and joining it.
 */
async function withStartLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const lock = join(dir, 'start.lock');
  const deadline = Date.now() + READY_TIMEOUT_MS + 5_000;
  while (!tryLock(dir)) {
    if (Date.now() > deadline) throw new EmbeddedRedisError(`timed out waiting for ${lock}`);
    await sleep(100);
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

/**
 * A data folder holding a `dump.rdb` and no append-only files: a backup put back (README,
 * Backups: stop syncdesk, remove `data/appendonlydir`, copy the backup to `data/dump.rdb`).
 * Redis with `appendonly yes` would start empty beside it.
 */
function restoresFromSnapshot(dir: string): boolean {
  const data = join(dir, 'data');
  return existsSync(join(data, 'dump.rdb')) && !existsSync(join(data, 'appendonlydir')) && !existsSync(join(data, 'appendonly.aof'));
}

/** After a start from dump.rdb: append-only on again, its files written from the data loaded, before anyone writes. */
async function appendOnlyAgain(server: { port: number; password: string }, dir: string, logger?: Logger): Promise<void> {
  if ((await rawCommand(server, 'CONFIG SET appendonly yes', 5000)) !== '+OK') {
    throw new EmbeddedRedisError(`the embedded Redis on ${dir} loaded data/dump.rdb but did not turn append-only on again (see ${join(dir, 'redis.log')})`);
  }
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const info = (await rawCommand(server, 'INFO persistence', 5000)) ?? '';
    if (/aof_enabled:1/.test(info) && /aof_rewrite_in_progress:0/.test(info) && /aof_rewrite_scheduled:0/.test(info)) break;
    await sleep(50);
  }
  logger?.warn({ action: 'embedded-redis-restore', dir }, 'embedded Redis started from data/dump.rdb (no append-only files were there): its append-only files are written again from it');
}

function redisConf(dir: string, port: number, password: string): string {
  return [
    '# generated by syncdesk: the private embedded Redis (not the system one)',
    'bind 127.0.0.1',
    `port ${port}`,
    'protected-mode yes',
    `requirepass ${password}`,
    'daemonize yes',
    `pidfile ${join(dir, 'redis.pid')}`,
    `logfile ${join(dir, 'redis.log')}`,
    `dir ${join(dir, 'data')}`,
    'appendonly yes',
    // at most ~1 s of writes lost on a crash; a clean stop loses nothing
    'appendfsync everysec',
    // BullMQ needs keys never to be evicted
    'maxmemory-policy noeviction',
    'save ""',
    '',
  ].join('\n');
}

/**
 * The processes using a server: one file `clients/<pid>.<n>` each (`n` tells apart several
 * handles in one process). A file whose process is gone (killed with SIGKILL) counts for nothing.
 */
const clientsDir = (dir: string) => join(dir, 'clients');
let clientSerial = 0;

function joinClients(dir: string): string {
  mkdirSync(clientsDir(dir), { recursive: true, mode: 0o700 });
  const file = join(clientsDir(dir), `${process.pid}.${++clientSerial}`);
  writeFileSync(file, '');
  return file;
}

/** Removes `file`; true when no live process is left using the server. */
function leaveClients(dir: string, file: string): boolean {
  rmSync(file, { force: true });
  let names: string[];
  try {
    names = readdirSync(clientsDir(dir));
  } catch {
    return true;
  }
  let others = false;
  for (const name of names) {
    const pid = Number(name.split('.')[0]);
    if (Number.isInteger(pid) && pid > 0 && isProcessAlive(pid)) others = true;
    else rmSync(join(clientsDir(dir), name), { force: true });
  }
  return !others;
}

/** Handles of this process not yet stopped: left (and the server stopped if last) when the process exits. */
const open = new Set<{ leaveAtExit(): void }>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' runs on process.exit() (the SIGTERM path), at the end of the event loop and after
  // an uncaught exception: only synchronous work, so the server gets SIGTERM (Redis then
  // flushes the AOF and exits by itself) instead of SHUTDOWN
  process.on('exit', () => {
    for (const h of open) h.leaveAtExit();
  });
  // A signal with no handler ends the process without 'exit' (an interrupted
  // replay left its server running). With no other handler, leave and end as the signal
  // would have; a command that stops gracefully on it has its own, and stops us in turn.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      if (process.listenerCount(signal) > 1) return;
      for (const h of open) h.leaveAtExit();
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

function handle(dir: string, server: RuntimeFile, startedHere: boolean, clientFile: string, logger?: Logger): EmbeddedRedis {
  const { port, pid } = server;
  let stopped = false;
  const self = {
    leaveAtExit() {
      open.delete(self);
      if (stopped) return;
      stopped = true;
      if (!leaveClients(dir, clientFile)) return;
      // a process starting or reusing the server holds the lock: leave the server to it
      if (!tryLock(dir)) return;
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      } finally {
        rmSync(join(dir, 'start.lock'), { force: true });
      }
    },
  };
  open.add(self);
  installExitHook();
  return {
    url: embeddedUrl(server),
    port,
    pid,
    dir,
    startedHere,
    async stop() {
      open.delete(self);
      if (stopped) return;
      stopped = true;
      await withStartLock(dir, async () => {
        if (!leaveClients(dir, clientFile)) {
          logger?.debug({ action: 'embedded-redis-leave', pid, port }, 'embedded Redis left running for the other syncdesk processes using it');
          return;
        }
        await rawCommand(server, 'SHUTDOWN', 5000);
        const deadline = Date.now() + 10_000;
        while (isProcessAlive(pid) && Date.now() < deadline) await sleep(50);
        if (isProcessAlive(pid)) process.kill(pid, 'SIGTERM');
        logger?.info({ action: 'embedded-redis-stop', pid, port }, 'embedded Redis stopped');
      });
    },
  };
}

/**
 * Finds a running embedded Redis for `dir` (pid alive and answering PING), or null: by
 * `runtime.json`, else by the `redis.conf` it was started with, when `runtime.json` was deleted
 * or changed (a second server was started on the same data folder).
 */
export async function findEmbeddedRedis(dirInput: string): Promise<RuntimeFile | null> {
  const dir = resolve(dirInput);
  const runtime = readRuntime(dir);
  const pid = readPidFile(dir) ?? runtime?.pid ?? null;
  if (pid === null || !isProcessAlive(pid)) return null;
  for (const server of [runtime, readConf(dir)]) {
    if (server && (await pingRedis(server))) return { port: server.port, pid, ...(server.password !== undefined && { password: server.password }) };
  }
  return null;
}

/** The port and password of the server `redis.conf` started (it is written before each start, never after). */
function readConf(dir: string): { port: number; password?: string } | null {
  try {
    const conf = readFileSync(join(dir, 'redis.conf'), 'utf8');
    const port = Number(/^port (\d+)$/m.exec(conf)?.[1]);
    const password = /^requirepass (\S+)$/m.exec(conf)?.[1];
    return Number.isInteger(port) && port > 0 ? { port, ...(password && { password }) } : null;
  } catch {
    return null;
  }
}

/** A redis-server whose pid file is in `dir` and alive, though it answers neither way: never start a second one on its data. */
function strandedServer(dir: string): number | null {
  const pid = readPidFile(dir);
  if (pid === null || !isProcessAlive(pid)) return null;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('redis-server') ? pid : null;
  } catch {
    return pid;
  }
}

/**
 * Starts (or reuses) the embedded Redis for `dir`. Throws EmbeddedRedisError naming the
 * Debian package when `redis-server` is not installed.
 */
export async function startEmbeddedRedis(options: {
  dir: string;
  logger?: Logger;
  env?: NodeJS.ProcessEnv;
}): Promise<EmbeddedRedis> {
  const dir = resolve(options.dir);
  const logger = options.logger;
  mkdirSync(join(dir, 'data'), { recursive: true, mode: 0o700 });

  return withStartLock(dir, async () => {
    const running = await findEmbeddedRedis(dir);
    if (running) {
      const known = readRuntime(dir);
      if (!known || known.port !== running.port || known.password !== running.password) {
        // found by its redis.conf: runtime.json written again, for the other processes of this folder
        writeRuntime(dir, running);
        logger?.warn({ action: 'embedded-redis-found', port: running.port, pid: running.pid, dir }, 'runtime.json of the embedded Redis was missing or wrong: written again from the running server');
      }
      logger?.debug({ action: 'embedded-redis-reuse', port: running.port, pid: running.pid }, 'reusing embedded Redis');
      return handle(dir, running, false, joinClients(dir), logger);
    }
    const stranded = strandedServer(dir);
    if (stranded !== null) {
      throw new EmbeddedRedisError(
        `an embedded Redis runs on ${dir} (redis-server, pid ${stranded}) but does not answer with the port and password of runtime.json nor of redis.conf: ` +
          `a second one on the same data would split syncdesk's state. Stop it (kill ${stranded}: it writes its data on the way out), then run the command again.`,
      );
    }
    const binary = findOnPath('redis-server', options.env);
    if (!binary) {
      throw new EmbeddedRedisError(
        'redis-server not found on PATH. Install it (Debian/Ubuntu: `apt-get install redis-server`) ' +
          'or point syncdesk at an existing Redis with REDIS_URL.',
        undefined,
        'redis_server_missing',
      );
    }

    const restoring = restoresFromSnapshot(dir);
    let lastError = '';
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      const password = randomBytes(24).toString('hex');
      const confPath = join(dir, 'redis.conf');
      rmSync(confPath, { force: true }); // a file of an older syncdesk may be 0644: the mode applies only to a new one
      writeFileSync(confPath, redisConf(dir, port, password), { mode: 0o600 });
      rmSync(join(dir, 'redis.pid'), { force: true });
      const started = Date.now();
      const exitCode = await new Promise<number | null>((resolveExit, reject) => {
        // the append-only files win over dump.rdb at start: with none, the snapshot is loaded first
        // Redis writes its data and log with the modes our umask leaves (022 by default: a copy
        // of the folder, as backups make, would keep every ticket's state readable by all)
        const umask = process.umask(0o077);
        let child: ReturnType<typeof spawn>;
        try {
          child = spawn(binary, restoring ? [confPath, '--appendonly', 'no'] : [confPath], { stdio: 'ignore' });
        } finally {
          process.umask(umask);
        }
        child.once('error', reject);
        child.once('exit', (code) => resolveExit(code));
      });
      if (exitCode !== 0) {
        lastError = `redis-server exited with code ${exitCode} (see ${join(dir, 'redis.log')})`;
        continue;
      }
      while (Date.now() - started < READY_TIMEOUT_MS) {
        const pid = readPidFile(dir);
        // with appendonly the data set is loaded before PING answers: the true ready time
        if (pid && (await pingRedis({ port, password }))) {
          if (restoring) await appendOnlyAgain({ port, password }, dir, logger);
          writeRuntime(dir, { port, pid, password });
          logger?.info({ action: 'embedded-redis-start', pid, port, dir }, 'embedded Redis started');
          return handle(dir, { port, pid, password }, true, joinClients(dir), logger);
        }
        const pidNow = readPidFile(dir);
        if (pidNow && !isProcessAlive(pidNow)) break; // died (port taken?): try another port
        await sleep(50);
      }
      lastError = `redis-server did not answer on 127.0.0.1:${port} (see ${join(dir, 'redis.log')})`;
    }
    throw new EmbeddedRedisError(`cannot start the embedded Redis: ${lastError}`);
  });
}
