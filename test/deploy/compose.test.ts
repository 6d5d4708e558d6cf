import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ENV_KEYS } from '../../src/config.ts';
import { dockerStages } from './dockerfile.ts';

/**
 * docker-compose.yml, the Dockerfile and syncdesk.service, checked without a Docker engine:
 * the structure (services, healthchecks, profiles, secrets, volumes; the image's build and
 * runtime stages), and that every variable given to syncdesk is one it reads. Where a Compose CLI is installed (`docker compose` or the
 * Debian `docker-compose`), its own `config` validation runs as well.
 */

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  profiles?: string[];
  depends_on?: Record<string, { condition: string }>;
  environment?: Record<string, string>;
  secrets?: string[];
  volumes?: string[];
  ports?: string[];
  healthcheck?: { test: string[]; interval?: string };
  init?: boolean;
}
interface Compose {
  services: Record<string, Service>;
  secrets: Record<string, { file: string }>;
  volumes: Record<string, unknown>;
}

const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as Compose;
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
interface Pkg {
  private: boolean;
  files: string[];
  engines: { node: string };
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Pkg;

describe('docker-compose.yml', () => {
  it('runs Redis 7 with append-only persistence, noeviction and a healthcheck', () => {
    const redis = compose.services.redis!;
    expect(redis.image).toMatch(/^redis:7/);
    expect(redis.command!.join(' ')).toMatch(/--appendonly yes/);
    expect(redis.command!.join(' ')).toMatch(/--maxmemory-policy noeviction/);
    expect(redis.healthcheck!.test).toEqual(['CMD', 'redis-cli', 'ping']);
    expect(redis.volumes).toEqual(['redis-data:/data']);
    expect(redis.profiles).toBeUndefined();
  });

  it('runs syncdesk start after Redis is healthy, with the mounted syncdesk.yaml, file secrets and the admin port', () => {
    const app = compose.services.syncdesk!;
    expect(app.build).toBe('.');
    expect(app.command).toEqual(['start']);
    expect(app.profiles).toBeUndefined();
    expect(app.depends_on).toEqual({ redis: { condition: 'service_healthy' } });
    const env = app.environment!;
    expect(env.REDIS_URL).toBe('redis://redis:6379');
    expect(app.volumes).toContain(`./syncdesk.yaml:${env.SYNCDESK_CONFIG}:ro`);
    expect(app.ports).toEqual(['127.0.0.1:9464:9464']);
    expect(env.ADMIN_PORT).toBe('9464');
    expect(env.ADMIN_HOST).toBe('0.0.0.0');
    expect(app.healthcheck!.test).toEqual(['CMD', 'node', 'bin/healthcheck.js']);
    // every variable is one syncdesk reads; secrets only as *_FILE under /run/secrets
    const known = new Set<string>(Object.keys(ENV_KEYS));
    for (const [name, value] of Object.entries(env)) {
      if (name === 'SYNCDESK_CONFIG') continue;
      const base = name.replace(/_FILE$/, '');
      expect(known.has(base), name).toBe(true);
      if (name.endsWith('_FILE')) {
        const secret = /^\/run\/secrets\/(.+)$/.exec(value)?.[1];
        expect(secret && app.secrets!.includes(secret), `${name} → ${value}`).toBe(true);
      }
    }
    for (const secretPath of ['imap.password', 'graph.clientSecret', 'ticket.rt.token', 'admin.password']) {
      const key = Object.entries(ENV_KEYS).find(([, p]) => p === secretPath)![0];
      expect(env[key], `${key} must not be given in clear`).toBeUndefined();
      expect(env[`${key}_FILE`], `${key}_FILE`).toBeDefined();
    }
  });

  it('declares every secret and named volume it uses', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const s of service.secrets ?? []) expect(compose.secrets[s], `${name}: secret ${s}`).toBeDefined();
      for (const v of service.volumes ?? []) {
        const source = v.split(':')[0]!;
        if (!source.startsWith('.') && !source.startsWith('/')) expect(Object.keys(compose.volumes), `${name}: volume ${source}`).toContain(source);
      }
    }
    for (const s of Object.values(compose.secrets)) expect(s.file).toMatch(/^\.\/secrets\//);
  });

  it('puts Dovecot and RT in the trial profile only, each with a healthcheck', () => {
    const trial = Object.entries(compose.services).filter(([, s]) => s.profiles?.includes('trial')).map(([n]) => n);
    expect(trial.sort()).toEqual(['dovecot', 'rt']);
    expect(compose.services.dovecot!.image).toMatch(/^dovecot\//);
    expect(compose.services.rt!.image).toMatch(/request-tracker:5/);
    for (const name of trial) expect(compose.services[name]!.healthcheck?.test.length, name).toBeGreaterThan(1);
  });

  it('passes the Compose CLI’s own validation where one is installed', async () => {
    const cli = await composeCli();
    if (!cli) return; // no Compose here: the structural checks above are the validation
    const dir = mkdtempSync(join(tmpdir(), 'syncdesk-compose-'));
    cpSync(join(root, 'docker-compose.yml'), join(dir, 'docker-compose.yml'));
    writeFileSync(join(dir, 'syncdesk.yaml'), '');
    mkdirSync(join(dir, 'secrets'));
    for (const s of Object.values(compose.secrets)) writeFileSync(join(dir, s.file), '');
    const { stdout } = await run(cli[0]!, [...cli.slice(1), '--profile', 'trial', 'config', '--services'], { cwd: dir });
    expect(stdout.split('\n').filter(Boolean).sort()).toEqual(['dovecot', 'redis', 'rt', 'syncdesk']);
    await run(cli[0]!, [...cli.slice(1), 'config', '-q'], { cwd: dir });
  });
});

async function composeCli(): Promise<string[] | null> {
  for (const cmd of [['docker', 'compose'], ['docker-compose']]) {
    try {
      await run(cmd[0]!, [...cmd.slice(1), 'version']);
      return cmd;
    } catch {
      // not this one
    }
  }
  return null;
}

describe('Dockerfile', () => {
  const stages = dockerStages(root);
  const [build, runtime] = stages;

  it('has two stages on node:22-bookworm-slim: build, then the runtime', () => {
    expect(stages.map((s) => s.from)).toEqual(['FROM node:22-bookworm-slim AS build', 'FROM node:22-bookworm-slim']);
  });

  it('compiles in the build stage: every dependency, the sources, npm run build', () => {
    const text = build!.lines.join('\n');
    expect(text).toMatch(/^RUN npm ci --no-audit --no-fund$/m);
    expect(text).toMatch(/^RUN npm run build$/m);
    for (const dir of ['src', 'schemas', 'workers']) expect(text).toContain(`COPY ${dir} ./${dir}`);
  });

  it('runs dist/ in the runtime stage: production dependencies, no sources, non-root, /healthz healthcheck', () => {
    const text = runtime!.lines.join('\n');
    expect(text).toMatch(/npm ci --omit=dev/);
    expect(text).toMatch(/^COPY --from=build \/app\/dist \.\/dist$/m);
    expect(text).not.toMatch(/^COPY (src|schemas|workers|tsconfig)/m);
    expect(text).toMatch(/SYNCDESK_RUNTIME=dist/);
    expect(text).toMatch(/^USER node$/m);
    expect(text).toMatch(/^HEALTHCHECK /m);
    expect(text).toContain('CMD ["node", "bin/healthcheck.js"]');
    // the embedded default (no REDIS_URL) needs its server in the image
    expect(text).toMatch(/apt-get install -y --no-install-recommends redis-server/);
    expect(text).toMatch(/^ENTRYPOINT \["node", "bin\/syncdesk\.js"\]$/m);
    expect(text).toMatch(/^CMD \["start"\]$/m);
  });

  it('copies only what exists', () => {
    for (const line of dockerfile.split('\n').filter((l) => l.startsWith('COPY ') && !l.includes('--from='))) {
      const parts = line.split(/\s+/).slice(1, -1);
      for (const p of parts) expect(existsSync(join(root, p)), p).toBe(true);
    }
  });

  it('keeps every package the runtime imports in dependencies (npm ci --omit=dev drops the rest)', () => {
    const builtins = new Set(builtinModules);
    const runtimeFiles = ['bin', 'src', 'schemas', 'workers'].flatMap((d) => listFiles(join(root, d)));
    const missing = new Set<string>();
    for (const file of runtimeFiles) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/^\s*(?:import|export)\s+(?!type\b)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm)) {
        const spec = m[1] ?? m[2] ?? m[3]!;
        if (spec.startsWith('.') || spec.startsWith('node:') || builtins.has(spec)) continue;
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        if (!pkg.dependencies[name]) missing.add(`${name} (${file.slice(root.length)})`);
      }
    }
    expect([...missing]).toEqual([]);
  });

  it('keeps dist/ and the test-only folders out of the build context', () => {
    const ignored = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['dist', 'node_modules', 'test', 'secrets', 'syncdesk.yaml']) expect(ignored, entry).toContain(entry);
  });
});

describe('package.json and syncdesk.service', () => {
  it('targets Node 22, builds with npm run build, and publishes no tests', () => {
    expect(pkg.engines.node).toBe('>=22');
    expect(pkg.scripts.build).toBeDefined();
    expect(pkg.private).toBe(true);
    expect(pkg.files).not.toContain('test/');
    expect(pkg.files).not.toContain('src/');
    expect(pkg.files).toContain('dist/');
    expect(readFileSync(join(root, '.gitignore'), 'utf8').split('\n')).toContain('/dist/');
  });

  it('has the systemd unit run the compiled dist/ with node, as an unprivileged user', () => {
    const unit = readFileSync(join(root, 'syncdesk.service'), 'utf8');
    expect(unit).toMatch(/^Environment=SYNCDESK_RUNTIME=dist$/m);
    // the first node on systemd's PATH (/usr/local/bin before /usr/bin): the one scripts/node-lts.sh installs
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/env node \/opt\/syncdesk\/bin\/syncdesk\.js start$/m);
    expect(unit).toMatch(/^User=syncdesk$/m);
    // what it writes is for its user and group only
    expect(unit).toMatch(/^UMask=0027$/m);
    // SIGTERM to syncdesk alone: its embedded Redis stays up until its jobs are done (blind61 D4)
    expect(unit).toMatch(/^KillMode=mixed$/m);
    // the embedded default needs its server installed; without it the start exits 78, not restarted
    expect(unit).toMatch(/^#\s+apt-get install redis-server/m);
    expect(unit).toMatch(/^RestartPreventExitStatus=78$/m);
    expect(unit).toMatch(/npm run build/);
  });
});

describe('docker-compose.yml, operated', () => {
  it('rotates the service logs (json-file keeps every line otherwise) and says how to make file secrets readable by the image user only', () => {
    const compose = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
    expect(compose).toMatch(/logging:\n\s+driver: json-file\n\s+options:\n\s+max-size: "10m"\n\s+max-file: "5"/);
    expect(compose).toContain('chown 1000:1000 secrets/* && chmod 0400 secrets/*');
  });
});

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return listFiles(path);
    return /\.(ts|js)$/.test(name) ? [path] : [];
  });
}
