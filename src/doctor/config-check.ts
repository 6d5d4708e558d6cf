import { statSync } from 'node:fs';
import type { Config } from '../../schemas/config.schema.ts';
import { ConfigError, SECRET_PATHS, envNameOf, loadConfig, misspeltEnv } from '../config.ts';
import { configFilePath, readConfigFile } from '../config-file.ts';
import { ConfigSchema } from '../../schemas/config.schema.ts';
import { tenantsFromConfig } from '../resolve/tenant-client.ts';
import { ambiguities } from '../resolve/tenants.ts';
import { fail, pass, warn, type CheckResult } from './check.ts';

type Env = Record<string, string | undefined>;

function hasPath(data: Record<string, unknown>, path: string): boolean {
  let node: unknown = data;
  for (const part of path.split('.')) {
    if (typeof node !== 'object' || node === null || !(part in node)) return false;
    node = (node as Record<string, unknown>)[part];
  }
  return node !== undefined && node !== null && node !== '';
}

/**
 * Loads the configuration as the commands do (file, then environment) and says where it came
 * from. Secrets written into the file are allowed but earn a warning: `<KEY>_FILE` keeps
 * them out of a file that is easily copied around.
 */
export function checkConfig(env: Env): { result: CheckResult[]; config: Config | null } {
  const file = configFilePath(env);
  const source = file ? `${file.path} + environment` : 'environment only (no syncdesk.yaml)';
  let config: Config;
  try {
    config = loadConfig(env, {}, { file: file?.path });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return {
      config: null,
      result: [fail('config', `${source}: ${err.problems.join('; ')}`, 'correct the keys named (file key, or the environment variable in brackets); see syncdesk.example.yaml')],
    };
  }
  const results: CheckResult[] = [pass('config', `valid (${source})`)];
  const misspelt = misspeltEnv(env);
  if (misspelt.length) {
    results.push(
      warn(
        'config environment',
        `no setting of syncdesk's, ignored: ${misspelt.map((m) => `${m.name} (did you mean ${m.near}?)`).join(', ')}`,
        'rename each to the setting it was meant for (the configuration table of the README), or unset it',
      ),
    );
  }
  if (file) {
    const data = readConfigFile(file.path, ConfigSchema).data;
    const inFile = SECRET_PATHS.filter((p) => hasPath(data, p));
    if (inFile.length) {
      let mode = 0;
      try {
        mode = statSync(file.path).mode;
      } catch {
        // read a moment ago; a race here only loses the permission hint
      }
      const readable = (mode & 0o044) !== 0 ? ', and the file is readable by other users' : '';
      results.push(
        warn(
          'config secrets',
          `secrets in the config file: ${inFile.join(', ')}${readable}`,
          `move them to files named by ${inFile.map((p) => `${envNameOf(p)}_FILE`).join(', ')} (Docker/Kubernetes secrets)${readable ? `, or chmod 600 ${file.path}` : ''}`,
        ),
      );
    }
  }
  if (config.graph.tenantsFile) {
    try {
      const dir = tenantsFromConfig(config, env);
      const unclear = ambiguities(dir?.tenants ?? []);
      results.push(
        unclear.length
          ? warn('graph tenants file', `${config.graph.tenantsFile}: ${unclear.join('; ')}: a report naming it matches no tenant`, 'list each tenant id, domain and name for one tenant only')
          : pass('graph tenants file', `${config.graph.tenantsFile}: ${dir?.tenants.length ?? 0} tenants`),
      );
    } catch (err) {
      results.push(fail('graph tenants file', (err as Error).message, 'correct the tenants file (see the format in the README), or unset GRAPH_TENANTS_FILE'));
    }
  }
  return { result: results, config };
}
