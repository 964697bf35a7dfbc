/**
 * Settings for every command: a JSON config file, then `ATTESTKIT_*` environment variables, then
 * flags (flags win), validated with zod. A bad setting names the field and the problem.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../errors.ts';

/** Where settings come from, lowest precedence first. */
export interface SettingSources {
  /** Path of a JSON config file (`--config F`), if any. */
  readonly configFile?: string | undefined;
  /** The environment (only `ATTESTKIT_*` keys are read). */
  readonly env: NodeJS.ProcessEnv;
  /** Flags as commander parsed them (camelCase keys; undefined = not given). */
  readonly flags: Readonly<Record<string, unknown>>;
  /**
   * The command's section of a shared config file: `{ "sp": { … }, "app": { … } }`. Its keys are
   * merged over the file's top-level keys; sections named in {@link SettingSources.otherSections}
   * are skipped, so one file can serve every command (as the seed's GeneralSettings.h does).
   */
  readonly section?: string;
  /** The other commands' section names, ignored in this command's file. */
  readonly otherSections?: readonly string[];
}

/** `mrEnclave` → `ATTESTKIT_MR_ENCLAVE`. */
export function envName(key: string): string {
  return `ATTESTKIT_${key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`;
}

/** Reads a JSON config file into an object, or throws `ERR_CONFIG_FILE`. */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigError('ERR_CONFIG_FILE', `cannot read config file ${path}`, { cause });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError('ERR_CONFIG_FILE', `config file ${path} is not valid JSON`, { cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError('ERR_CONFIG_FILE', `config file ${path} must hold a JSON object`);
  }
  return value as Record<string, unknown>;
}

/**
 * Merges the sources for the keys of `schema` (file < env < flags) and validates the result.
 * Unknown keys in the config file are an error (a typo must not silently weaken a setting).
 */
export function loadSettings<S extends z.ZodObject>(schema: S, sources: SettingSources): z.infer<S> {
  const keys = Object.keys(schema.shape);
  const merged: Record<string, unknown> = {};
  if (sources.configFile !== undefined) {
    const file = readConfigFile(sources.configFile);
    const section = sources.section === undefined ? undefined : file[sources.section];
    const entries = Object.entries(file).filter(
      ([k, v]) =>
        !(
          (k === sources.section || (sources.otherSections ?? []).includes(k)) &&
          typeof v === 'object' &&
          v !== null &&
          !Array.isArray(v)
        ),
    );
    if (typeof section === 'object' && section !== null && !Array.isArray(section)) {
      entries.push(...Object.entries(section as Record<string, unknown>));
    }
    for (const [k, v] of entries) {
      if (!keys.includes(k)) {
        throw new ConfigError(
          'ERR_CONFIG_INVALID',
          `config file ${sources.configFile}: unknown setting "${k}"`,
          {
            hint: `known settings: ${keys.join(', ')}`,
          },
        );
      }
      merged[k] = v;
    }
  }
  for (const k of keys) {
    const e = sources.env[envName(k)];
    if (e !== undefined && e !== '') merged[k] = e;
  }
  for (const k of keys) {
    const f = sources.flags[k];
    if (f !== undefined) merged[k] = f;
  }
  const parsed = schema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.join('.') ?? '';
    throw new ConfigError('ERR_CONFIG_INVALID', `setting "${path}": ${issue?.message ?? 'invalid'}`, {
      hint: `set it with --${path.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()}, ${envName(path)} or the config file`,
    });
  }
  return parsed.data;
}

/** A zod boolean that also accepts the strings an environment variable carries. */
export const zBool: z.ZodType<boolean, unknown> = z.preprocess((v) => {
  if (typeof v === 'string') {
    if (/^(1|true|yes|on)$/i.test(v)) return true;
    if (/^(0|false|no|off)$/i.test(v)) return false;
  }
  return v;
}, z.boolean());

/** A zod TCP port (coerced from strings). */
export const zPort: z.ZodType<number, unknown> = z.coerce.number().int().min(0).max(65535);

/** A comma-separated list (from a flag or env) or a JSON array (from the file). */
export const zList: z.ZodType<string[], unknown> = z.preprocess((v) => {
  if (typeof v === 'string')
    return v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  return v;
}, z.array(z.string()));
