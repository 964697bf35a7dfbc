/**
 * The command names, which are also the section names of a shared config file, and the settings
 * loader every command uses.
 *
 * @module
 */
import type { z } from 'zod';
import { loadSettings } from '../config.ts';

/** Every `attestkit` command. */
export const COMMAND_NAMES: readonly string[] = Object.freeze([
  'verify',
  'keygen',
  'app',
  'sp',
  'ias-mock',
  'pccs-mock',
  'demo',
]);

/**
 * Loads one command's settings: `--config` file (its top level and the command's own section),
 * then `ATTESTKIT_*` environment variables, then flags.
 */
export function loadCommandSettings<S extends z.ZodObject>(
  schema: S,
  command: string,
  flags: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): z.infer<S> {
  return loadSettings(schema, {
    configFile: flags.config as string | undefined,
    env,
    flags,
    section: command,
    otherSections: COMMAND_NAMES,
  });
}
