import { Command, CommanderError } from 'commander';
import { runningVersion } from '../version.ts';
import { dropOutputWhenPipeCloses } from './closed-pipe.ts';
import { registerParseCommand } from './parse-command.ts';
import { registerDemoCommand } from './demo-command.ts';
import { registerStartCommand } from './start-command.ts';
import { registerWorkerCommand } from './worker-command.ts';
import { registerListenCommand } from './listen-command.ts';
import { registerReplayCommand } from './replay-command.ts';
import { registerFailedCommand } from './failed-command.ts';
import { registerQuarantineCommand } from './quarantine-command.ts';
import { registerStatusCommand } from './status-command.ts';
import { registerPollGraphCommand } from './poll-graph-command.ts';
import { registerDoctorCommand } from './doctor-command.ts';
import { registerSnapshotCommand } from './snapshot-command.ts';
import { registerForgetCommand } from './forget-command.ts';
import { commandPath, oneLineUsageErrors, UsageError, usageLine } from './usage.ts';
import { outOfMemoryFix } from '../redis/eviction.ts';

/**
 * The `syncdesk` command line. Each command lives in its own file and registers itself
 * here; exit codes: 0 success, 1 the work found a problem (e.g. a rejected input, Redis
 * unreachable), 2 usage (one line on stderr naming the fix, see usage.ts), 78 the
 * configuration or the installation (EX_CONFIG of sysexits.h: starting again changes nothing, so the systemd
 * unit's RestartPreventExitStatus=78 stops there instead of restarting in a loop).
 */
const EXIT_CONFIG = 78;

/**
 * A setting is wrong or missing: a person must change the configuration. Told by the
 * errors' names, not instanceof: --help must load neither the config schema nor its library.
 */
function isConfigProblem(err: unknown): boolean {
  const e = err as { name?: string; code?: string };
  // a tenants file is configuration too: a typo in it must not become a restart loop;
  // so is a redis-server the embedded default needs and the host lacks
  return (
    e?.name === 'ConfigError' ||
    (e?.name === 'PermanentError' && (e.code === 'desk_not_configured' || e.code === 'TenantsFileInvalid')) ||
    (e?.name === 'EmbeddedRedisError' && e.code === 'redis_server_missing')
  );
}

function buildProgram(): Command {
  const program = new Command('syncdesk')
    .description('Turns Entra Connect "Directory Synchronization Error Report" mails into service-desk tickets.')
    .version(runningVersion(), '-V, --version', 'print the syncdesk version (and the commit, in a git checkout)')
    .exitOverride()
    .option('-c, --config <file>', 'YAML config file (default: $SYNCDESK_CONFIG, else ./syncdesk.yaml if present)')
    .hook('preAction', (root, action) => {
      // every command reads its config through cliConfig(), which looks here
      const file = root.opts<{ config?: string }>().config;
      if (file) process.env.SYNCDESK_CONFIG = file;
      running = commandPath(action);
    });
  registerParseCommand(program);
  registerDemoCommand(program);
  registerStartCommand(program);
  registerWorkerCommand(program);
  registerListenCommand(program);
  registerReplayCommand(program);
  registerFailedCommand(program);
  registerQuarantineCommand(program);
  registerStatusCommand(program);
  registerPollGraphCommand(program);
  registerDoctorCommand(program);
  registerSnapshotCommand(program);
  registerForgetCommand(program);
  oneLineUsageErrors(program);
  return program;
}

/** The command whose action runs, for a UsageError's message. */
let running = 'syncdesk';

export async function main(argv: string[]): Promise<number> {
  dropOutputWhenPipeCloses(process.stdout);
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here too, with exit code 0; the error line is printed
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof UsageError) {
      process.stderr.write(usageLine(err.message, running));
      return 2;
    }
    const oom = outOfMemoryFix(err);
    process.stderr.write(`syncdesk: ${(err as Error).message}${oom ? `\n  ${oom}` : ''}\n`);
    return isConfigProblem(err) ? EXIT_CONFIG : 1;
  }
}
