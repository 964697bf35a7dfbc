/**
 * The `attestkit` command line: thin wiring of flags and config onto the layers.
 *
 * Exit codes (DESIGN.md): 0 success, 1 refused, 2 usage/config/unusable input, 3 network or peer failure.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';

/** Exit codes of every command. */
export const EXIT = { OK: 0, REFUSED: 1, USAGE: 2, NETWORK: 3 } as const;

/** The package version, read from package.json. */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** Builds the command tree (exported for tests). */
export function buildProgram(): Command {
  const program = new Command('attestkit')
    .description(
      'Remote attestation for Intel SGX and TDX: verify quotes, attest enclaves, provision secrets',
    )
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError()
    .exitOverride();
  return program;
}

/** Runs the CLI with `argv` (without node and script) and resolves to the exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (
        err.code === 'commander.helpDisplayed' ||
        err.code === 'commander.version' ||
        err.code === 'commander.help'
      ) {
        return EXIT.OK;
      }
      return EXIT.USAGE;
    }
    throw err;
  }
}
