/**
 * Plumbing every command shares: the options all of them take (`--config`, `--json`,
 * `--log-level`), the context an action runs in, and the wrapper that turns an escaped error into
 * output and an exit code.
 *
 * @module
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { isAttestError } from '../errors.ts';
import { type CliIo, LOG_LEVELS } from './io.ts';
import { EXIT, type ExitCode, errorJson, exitCodeFor, jsonLine, painter } from './output.ts';

/** What an action needs besides its flags. */
export interface CommandContext {
  readonly io: CliIo;
  /** Records the command's exit code. */
  readonly setExit: (code: ExitCode) => void;
}

/** Settings every command has (merged like the others: file < env < flags). */
export const COMMON_SETTINGS: {
  readonly json: z.ZodType<boolean, unknown>;
  readonly logLevel: z.ZodType<string, unknown>;
} = {
  json: z
    .preprocess((v) => (typeof v === 'string' ? /^(1|true|yes|on)$/i.test(v) : v), z.boolean())
    .default(false),
  logLevel: z.enum(LOG_LEVELS as [string, ...string[]]).default('info'),
};

/** Adds `--config F`, `--json` and `--log-level L` to a command. */
export function addCommonOptions(cmd: Command): Command {
  return cmd
    .option(
      '--config <file>',
      'JSON config file (settings by their camelCase names; flags and ATTESTKIT_* env win)',
    )
    .option('--json', 'print one JSON object on stdout')
    .option('--log-level <level>', `log level on stderr: ${LOG_LEVELS.join(', ')} (default info)`);
}

/** Collects a repeatable option into a list. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/**
 * Runs an action: its result is the exit code; an error that escapes it is printed (as the JSON
 * error object with `--json`, else as a message with its hint on stderr) and mapped to an exit code.
 */
export async function runAction(
  ctx: CommandContext,
  json: boolean,
  action: () => Promise<ExitCode>,
  fallback?: (error: unknown) => unknown,
): Promise<void> {
  try {
    ctx.setExit(await action());
  } catch (error) {
    if (!isAttestError(error)) {
      ctx.io.stderr(
        `attestkit: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      ctx.setExit(EXIT.USAGE);
      return;
    }
    const e = errorJson(error);
    if (json) {
      ctx.io.stdout(jsonLine(fallback?.(error) ?? { error: e }));
    } else {
      const p = painter(ctx.io.color);
      ctx.io.stderr(
        `${p.bad('error')} ${e.code}: ${e.message}\n${e.hint === undefined ? '' : `  hint: ${e.hint}\n`}`,
      );
    }
    ctx.setExit(exitCodeFor(error));
  }
}
