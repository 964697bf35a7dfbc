/**
 * The command names, which are also the section names of a shared config file.
 *
 * @module
 */

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
