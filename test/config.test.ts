import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { ConfigSchema } from '../schemas/config.schema.ts';
import { ConfigError, ENV_KEYS, loadConfig } from '../src/config.ts';
import { configFilePath, parseConfigText } from '../src/config-file.ts';
import { schemaPaths } from '../src/schema-keys.ts';
import { cliConfig } from '../src/app/cli-support.ts';

const run = promisify(execFile);

function tempFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'syncdesk-config-'));
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

const FILE = `
logLevel: debug
redis:
  url: redis://127.0.0.1:6390/2
  prefix: acme
imap:
  host: imap.example.com
  port: 143
  secure: false
  user: reports@example.com
  password: from-file
ticket:
  sink: rt
  reopenWithinDays: 7
  rt:
    url: https://rt.example.com/rt
    queue: Identity
  jira:
    resolveTransitions: [Done, Resolve Issue]
ingest:
  allowedForwarders:
    - IT@Example.com
    - helpdesk@example.com
  storeDir:
`;

describe('config file (syncdesk.yaml)', () => {
  it('reads every section with YAML types: numbers, booleans, lists as sequences', () => {
    const config = loadConfig({}, {}, { file: tempFile('syncdesk.yaml', FILE) });
    expect(config.logLevel).toBe('debug');
    expect(config.redis).toMatchObject({ url: 'redis://127.0.0.1:6390/2', prefix: 'acme' });
    expect(config.imap).toMatchObject({ host: 'imap.example.com', port: 143, secure: false, user: 'reports@example.com', password: 'from-file' });
    expect(config.ticket.sink).toBe('rt');
    expect(config.ticket.reopenWithinDays).toBe(7);
    expect(config.ticket.rt).toEqual({ url: 'https://rt.example.com/rt', queue: 'Identity', keyField: 'DedupKey' });
    expect(config.ticket.jira.resolveTransitions).toEqual(['Done', 'Resolve Issue']);
    expect(config.ingest.allowedForwarders).toEqual(['it@example.com', 'helpdesk@example.com']);
    // an empty key means "not set": the default applies
    expect(config.ingest.storeDir).toBe('.syncdesk/mail');
  });

  it('lets environment variables and <KEY>_FILE secrets override file values', () => {
    const secret = tempFile('imap-password', 'from-secret-file\n');
    const config = loadConfig(
      { IMAP_PORT: '993', IMAP_SECURE: 'true', RT_QUEUE: 'General', IMAP_PASSWORD_FILE: secret, JIRA_RESOLVE_TRANSITIONS: 'Close' },
      {},
      { file: tempFile('syncdesk.yaml', FILE) },
    );
    expect(config.imap).toMatchObject({ host: 'imap.example.com', port: 993, secure: true, password: 'from-secret-file' });
    // the section keeps the file's other keys
    expect(config.ticket.rt).toMatchObject({ url: 'https://rt.example.com/rt', queue: 'General' });
    expect(config.ticket.jira.resolveTransitions).toEqual(['Close']);
  });

  it('treats an empty <KEY>_FILE as unset, so the file value stays (compose mounts one secret for every desk)', () => {
    const empty = tempFile('empty-secret', '\n');
    const config = loadConfig({ IMAP_PASSWORD_FILE: empty, JIRA_TOKEN_FILE: empty }, {}, { file: tempFile('syncdesk.yaml', FILE) });
    expect(config.imap.password).toBe('from-file');
    expect(config.ticket.jira.token).toBeUndefined();
  });

  it('names a bad value by its file key and its variable', () => {
    const file = tempFile('syncdesk.yaml', 'ticket:\n  rt:\n    url: not a url\nimap:\n  port: 70000\n');
    expect(problemsOf(() => loadConfig({}, {}, { file }))).toEqual(
      expect.arrayContaining([expect.stringMatching(/^ticket\.rt\.url \(RT_URL\): Invalid URL/), expect.stringMatching(/^imap\.port \(IMAP_PORT\): /)]),
    );
    // the same words when the value comes from the environment
    expect(problemsOf(() => loadConfig({ RT_URL: 'nope' }))).toEqual([expect.stringMatching(/^ticket\.rt\.url \(RT_URL\): Invalid URL/)]);
    // a yes/no setting says what it takes (blind test 25: "Invalid input")
    expect(problemsOf(() => loadConfig({ IMAP_SECURE: 'maybe' }))).toEqual(['imap.secure (IMAP_SECURE): expected true or false (or 1 / 0, yes / no)']);
    // cross-field rules too
    expect(problemsOf(() => loadConfig({}, {}, { file: tempFile('s.yaml', 'imap:\n  host: imap.example.com\n') }))).toEqual([
      'imap.user (IMAP_USER): IMAP_USER is required when IMAP_HOST is set',
      'imap.password (IMAP_PASSWORD): IMAP_PASSWORD is required with IMAP_AUTH=password',
    ]);
  });

  it('takes a REDIS_URL of redis:// or rediss:// only (ioredis would retry another for ever)', () => {
    expect(loadConfig({ REDIS_URL: 'rediss://:pw@redis.example.com:6380/2' }).redis.url).toBe('rediss://:pw@redis.example.com:6380/2');
    for (const url of ['http://127.0.0.1:6379', 'redis.internal:6379', 'h1:7000,h2:7001'])
      expect(problemsOf(() => loadConfig({ REDIS_URL: url })), url).toEqual([expect.stringMatching(/^redis\.url \(REDIS_URL\): must start with redis:\/\/ \(rediss:\/\/ for TLS\)/)]);
  });

  it("takes an IMAP_PROXY of a scheme imapflow tunnels through (HTTP CONNECT or SOCKS), and names the others' mistake", () => {
    for (const url of ['http://proxy.corp:3128', 'https://u:p@proxy.corp:443', 'socks5://127.0.0.1:1080', 'socks4a://proxy:1080', 'SOCKS://proxy:1080'])
      expect(loadConfig({ IMAP_PROXY: url }).imap.proxy, url).toBe(url);
    for (const url of ['proxy.corp:3128', 'ftp://proxy.corp', 'socks6://proxy:1080'])
      expect(problemsOf(() => loadConfig({ IMAP_PROXY: url })), url).toEqual([expect.stringMatching(/^imap\.proxy \(IMAP_PROXY\): (must start with http:\/\/, https:\/\/, socks5:\/\/|Invalid URL)/)]);
  });

  it('takes Graph overrides over https only, as the local fakes serve them', () => {
    expect(loadConfig({ GRAPH_BASE_URL: 'https://127.0.0.1:8443', GRAPH_AUTHORITY_HOST: 'https://127.0.0.1:8443' }).graph).toMatchObject({ baseUrl: 'https://127.0.0.1:8443' });
    expect(problemsOf(() => loadConfig({ GRAPH_BASE_URL: 'http://127.0.0.1:8443', GRAPH_AUTHORITY_HOST: 'http://127.0.0.1:8443' }))).toEqual([
      'graph.baseUrl (GRAPH_BASE_URL): must start with https://',
      'graph.authorityHost (GRAPH_AUTHORITY_HOST): must start with https://',
    ]);
  });

  it('rejects unknown keys with their path (and the key probably meant)', () => {
    const file = tempFile('syncdesk.yaml', 'ticket:\n  rt:\n    urll: https://rt.example.com\nredsi:\n  url: redis://x\nimap:\n  hots: a\n  tlsCA: /x\n');
    const problems = problemsOf(() => loadConfig({}, {}, { file }));
    expect(problems).toEqual([
      `${file}: ticket.rt.urll: unknown key (did you mean ticket.rt.url?)`,
      `${file}: redsi: unknown key (did you mean redis?)`,
      `${file}: imap.hots: unknown key (did you mean imap.host?)`,
      `${file}: imap.tlsCA: unknown key (did you mean imap.tlsCa?)`,
    ]);
  });

  it('rejects a value where a section belongs, and a section where a value belongs', () => {
    const { problems } = parseConfigText('redis: redis://localhost\nimap:\n  port:\n    number: 1\n', ConfigSchema);
    expect(problems).toEqual(['redis: must be a section (a mapping of keys), not a value', 'imap.port: must be a value, not a section']);
  });

  it('reports YAML syntax errors with their line, and a file that is not a mapping', () => {
    const bad = problemsOf(() => loadConfig({}, {}, { file: tempFile('syncdesk.yaml', 'redis:\n  url: [unclosed\n') }));
    expect(bad[0]).toMatch(/syncdesk\.yaml: line \d+, column \d+: /);
    expect(parseConfigText('- a\n- b\n', ConfigSchema).problems).toEqual([expect.stringMatching(/must be a mapping/)]);
    expect(parseConfigText('a: 1\na: 2\n', ConfigSchema).problems[0]).toMatch(/line 2/);
  });

  it('treats an empty file as no settings, and a missing named file as an error', () => {
    expect(loadConfig({}, {}, { file: tempFile('syncdesk.yaml', '# nothing yet\n') }).ticket.sink).toBe('file');
    expect(problemsOf(() => loadConfig({}, {}, { file: '/nonexistent/syncdesk.yaml' }))).toEqual(['/nonexistent/syncdesk.yaml: cannot read the config file (ENOENT)']);
  });

  it("a command's defaults yield to the file, the environment and its own flags, section by section", () => {
    const defaults = { 'ingest.trustPolicy': 'off', 'graph.snapshotDir': '/demo/snapshots', logLevel: 'warn' };
    const file = tempFile('syncdesk.yaml', 'ingest:\n  trustPolicy: strict\nlogLevel: debug\n');
    const fromFile = loadConfig({}, {}, { file, defaults });
    // the file names trustPolicy and logLevel, not the snapshot folder, which stays the command's
    expect([fromFile.ingest.trustPolicy, fromFile.logLevel, fromFile.graph.snapshotDir]).toEqual(['strict', 'debug', '/demo/snapshots']);
    expect(loadConfig({ SNAPSHOT_DIR: '/mine' }, {}, { defaults }).graph.snapshotDir).toBe('/mine');
    expect(loadConfig({}, { logLevel: 'error' }, { file, defaults }).logLevel).toBe('error');
    expect(loadConfig({}, {}, { defaults }).ingest.trustPolicy).toBe('off');
  });

  it("interactive commands log warnings only, unless the file or LOG_LEVEL sets a level; the service's commands log at info", () => {
    const file = tempFile('syncdesk.yaml', 'logLevel: debug\n');
    // vi.stubEnv with undefined removes the variable; unstubAllEnvs restores the rest
    const withEnv = (env: Record<string, string | undefined>, fn: () => unknown) => {
      for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
      try {
        return fn();
      } finally {
        vi.unstubAllEnvs();
      }
    };
    const none = { SYNCDESK_CONFIG: '/nonexistent-dir/none.yaml', LOG_LEVEL: undefined };
    expect(withEnv({ ...none, SYNCDESK_CONFIG: file }, () => cliConfig().logLevel)).toBe('debug');
    expect(withEnv({ ...none, SYNCDESK_CONFIG: file, LOG_LEVEL: 'error' }, () => cliConfig().logLevel)).toBe('error');
    const noFile = tempFile('syncdesk.yaml', '# nothing\n');
    expect(withEnv({ ...none, SYNCDESK_CONFIG: noFile }, () => cliConfig().logLevel)).toBe('warn');
    expect(withEnv({ ...none, SYNCDESK_CONFIG: noFile }, () => cliConfig({ interactive: false }).logLevel)).toBe('info');
  });

  it('finds the file: SYNCDESK_CONFIG, else ./syncdesk.yaml when present, else none', () => {
    const dir = mkdtempSync(join(tmpdir(), 'syncdesk-cwd-'));
    expect(configFilePath({}, dir)).toBeNull();
    expect(configFilePath({ SYNCDESK_CONFIG: 'conf/x.yaml' }, dir)).toEqual({ path: join(dir, 'conf/x.yaml'), explicit: true });
    writeFileSync(join(dir, 'syncdesk.yaml'), 'logLevel: warn\n');
    expect(configFilePath({}, dir)).toEqual({ path: join(dir, 'syncdesk.yaml'), explicit: false });
  });

  it('knows every config key that has an environment variable', () => {
    const values = [...schemaPaths(ConfigSchema)].filter(([, kind]) => kind === 'value').map(([p]) => p);
    expect(new Set(values)).toEqual(new Set(Object.values(ENV_KEYS)));
  });

  it("gives every environment variable a row of the README's configuration table, where users look first (blind61 D11)", () => {
    const rows = readFileSync(new URL('../README.md', import.meta.url), 'utf8').split('\n').filter((l) => l.startsWith('| `'));
    const named = (key: string) => rows.some((row) => new RegExp(`\`${key}[\`=]`).test(row.split('|')[1]!));
    expect(Object.keys(ENV_KEYS).filter((key) => !named(key))).toEqual([]);
  });
});

describe('syncdesk.example.yaml', () => {
  const text = readFileSync(new URL('../syncdesk.example.yaml', import.meta.url), 'utf8');
  /** The example with every commented-out key switched on (keys are `#<indent>name:` lines). */
  const enabled = text
    .split('\n')
    .map((line) => line.replace(/^#( ?)(\s*[a-z][A-Za-z]*:(\s|$))/, '$2'))
    .join('\n');

  it('is valid as shipped (everything commented out)', () => {
    expect(parseConfigText(text, ConfigSchema)).toEqual({ data: {}, problems: [] });
  });

  it('documents every key: switched on, each is a known key at its place', () => {
    const parsed = parseConfigText(enabled, ConfigSchema);
    expect(parsed.problems).toEqual([]);
    const present = new Set<string>();
    const walk = (node: Record<string, unknown>, prefix: string) => {
      for (const [k, v] of Object.entries(node)) {
        const path = prefix ? `${prefix}.${k}` : k;
        if (typeof v === 'object' && v !== null && !Array.isArray(v)) walk(v as Record<string, unknown>, path);
        else present.add(path);
      }
    };
    walk(parsed.data, '');
    // keys whose example is left empty (`key:`) count as documented
    const documented = new Set([...present, ...emptyKeys(enabled)]);
    const missing = [...schemaPaths(ConfigSchema)].filter(([p, kind]) => kind === 'value' && !documented.has(p)).map(([p]) => p);
    expect(missing).toEqual([]);
  });
});

/** Paths of keys written with no value (`  password:`), which parse to null and are dropped. */
function emptyKeys(yamlText: string): string[] {
  const out: string[] = [];
  const stack: Array<{ indent: number; key: string }> = [];
  for (const line of yamlText.split('\n')) {
    const m = /^(\s*)([a-zA-Z]+):\s*(#.*)?$/.exec(line);
    const any = /^(\s*)([a-zA-Z]+):/.exec(line);
    if (!any) continue;
    const indent = any[1]!.length;
    while (stack.length && stack.at(-1)!.indent >= indent) stack.pop();
    const path = [...stack.map((s) => s.key), any[2]!].join('.');
    if (m) {
      out.push(path);
      stack.push({ indent, key: any[2]! });
    }
  }
  return out;
}

describe('--config on the command line', () => {
  it('is read by every command, before or after the command name, and its bad keys are named', async () => {
    const file = tempFile('bad.yaml', 'ticket:\n  sink: rt\n  rt:\n    url: not a url\n    tokn: x\n');
    const after = await run(process.execPath, ['bin/syncdesk.js', 'status', '--config', file]).catch((e: { code: number; stderr: string }) => e);
    expect((after as { code: number }).code).toBe(78);
    expect((after as { stderr: string }).stderr).toContain(`${file}: ticket.rt.tokn: unknown key (did you mean ticket.rt.token?)`);

    const doctor = await run(process.execPath, ['bin/syncdesk.js', '--config', file, 'doctor', '--json']).catch((e: { code: number; stdout: string }) => e);
    expect((doctor as { code: number }).code).toBe(1);
    const report = JSON.parse((doctor as { stdout: string }).stdout) as { ok: boolean; results: Array<{ check: string; status: string; detail: string }> };
    expect(report.ok).toBe(false);
    expect(report.results[0]).toMatchObject({ check: 'config', status: 'fail' });
    expect(report.results[0]!.detail).toContain('ticket.rt.tokn: unknown key');
  }, 60_000);

  it('SYNCDESK_CONFIG names the file when --config is absent', async () => {
    const file = tempFile('env.yaml', 'redis:\n  url: nope\n');
    const res = await run(process.execPath, ['bin/syncdesk.js', 'doctor', '--json'], { env: { ...process.env, SYNCDESK_CONFIG: file } }).catch((e: { stdout: string }) => e);
    const report = JSON.parse((res as { stdout: string }).stdout) as { results: Array<{ detail: string }> };
    expect(report.results[0]!.detail).toContain('redis.url (REDIS_URL): Invalid URL');
  }, 60_000);
});
