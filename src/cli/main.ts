#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { EXIT, isSlipwayError } from '../core/errors.js';
import { slipwayVersion } from '../index.js';
import { registerAlertCommands } from './alerts.js';
import { registerDeployCommands } from './deploy.js';
import { registerEvaluateCommand } from './evaluate.js';
import { registerFeedbackCommands } from './feedback.js';
import { registerJobCommands } from './jobs.js';
import { registerModelCommands } from './models.js';
import { registerMonitorCommands } from './monitor.js';
import { registerPredictCommands } from './predict.js';
import { registerRunCommands } from './runs.js';
import { registerServeCommands } from './serve.js';

/**
 * The `slipway` command. Each group lives in its own file and only translates flags into library
 * calls; errors are printed here, once, as one line on stderr with the catalogue's exit code.
 */
export function buildProgram(): Command {
  const program = new Command('slipway')
    .description('take a trained model into production and keep it healthy there')
    .version(slipwayVersion())
    .option('--home <dir>', 'data directory (default: $SLIPWAY_HOME or ./.slipway)')
    .option('--json', 'print JSON for machines instead of tables')
    // A usage error is one line on stderr (commander prints it) plus a pointer to --help.
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerModelCommands(program);
  registerRunCommands(program);
  registerServeCommands(program);
  registerPredictCommands(program);
  registerJobCommands(program);
  registerDeployCommands(program);
  registerEvaluateCommand(program);
  registerMonitorCommands(program);
  registerFeedbackCommands(program);
  registerAlertCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are exits with code 0; usage errors were already printed by commander.
      return err.exitCode === 0 ? EXIT.ok : EXIT.invalid;
    }
    if (isSlipwayError(err)) {
      process.stderr.write(`error: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(
      `internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    return EXIT.internal;
  }
}

main(process.argv).then((code) => {
  process.exitCode = code;
});
