/**
 * The `attestkit` command line: thin wiring of flags and config onto the layers.
 *
 * Commands: `demo`, `app`, `sp`, `verify`, `keygen`, `ias-mock`, `pccs-mock`. Each takes `--help`,
 * `--json`, `--config F` and `ATTESTKIT_*` environment variables (flags win), and exits with
 * DESIGN.md's codes: 0 success, 1 refused, 2 usage/config/unusable input, 3 network or peer failure.
 *
 * @module
 */
import { Command, CommanderError } from 'commander';
import { registerApp } from './commands/app.ts';
import { registerDemo } from './commands/demo.ts';
import { registerIasMock } from './commands/ias-mock.ts';
import { registerKeygen } from './commands/keygen.ts';
import { registerPccsMock } from './commands/pccs-mock.ts';
import { registerSp } from './commands/sp.ts';
import { registerVerify } from './commands/verify.ts';
import type { CommandContext } from './common.ts';
import { type CliIo, processIo } from './io.ts';
import { EXIT, type ExitCode } from './output.ts';
import { packageVersion } from './version.ts';

export { EXIT } from './output.ts';
export { packageVersion } from './version.ts';

/** Builds the command tree (exported for tests). */
export function buildProgram(ctx: CommandContext): Command {
  const program = new Command('attestkit')
    .description(
      'Remote attestation for Intel SGX and TDX: verify quotes, attest enclaves, provision secrets',
    )
    .version(packageVersion(), '-V, --version')
    .configureOutput({
      writeOut: (s) => ctx.io.stdout(s),
      writeErr: (s) => ctx.io.stderr(s),
    })
    .showHelpAfterError()
    .exitOverride();
  registerDemo(program, ctx);
  registerApp(program, ctx);
  registerSp(program, ctx);
  registerVerify(program, ctx);
  registerKeygen(program, ctx);
  registerIasMock(program, ctx);
  registerPccsMock(program, ctx);
  return program;
}

/**
 * Runs the CLI with `argv` (without node and script) and resolves to the exit code. `io` replaces
 * the process's streams, environment and stop signal (tests).
 */
export async function runCli(argv: readonly string[], io: Partial<CliIo> = {}): Promise<number> {
  let exitCode: ExitCode = EXIT.OK;
  const ctx: CommandContext = {
    io: { ...processIo(), ...io },
    setExit: (code) => {
      exitCode = code;
    },
  };
  const program = buildProgram(ctx);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT.OK;
      return EXIT.USAGE; // unknown command or flag, missing argument, no command at all
    }
    throw err;
  }
}
