/**
 * Strict, hand-written JSON field readers for collateral documents (no schema library: the
 * verification core uses node built-ins only). Every failure is a {@link ParseError} naming the
 * field path.
 *
 * @module
 */
import { ParseError } from '../errors.ts';
import { fromHex } from '../wire/hex.ts';

/** A parsed JSON object. */
export type JsonObject = { readonly [key: string]: unknown };

/** `JSON.parse` that throws `ERR_JSON_INVALID` (with `what` as the field) instead of `SyntaxError`. */
export function parseJson(text: string, what: string): unknown {
  if (typeof text !== 'string') throw new TypeError(`${what}: expected a string`);
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new ParseError('ERR_JSON_INVALID', `${what}: not valid JSON`, { field: what }, { cause: e });
  }
}

/** Throws `ERR_COLLATERAL_FORMAT` for `field`. */
export function formatError(field: string, message: string): never {
  throw new ParseError('ERR_COLLATERAL_FORMAT', `${field}: ${message}`, { field });
}

/** `value` as a JSON object (not an array, not null). */
export function asObject(value: unknown, field: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    formatError(field, 'expected an object');
  return value as JsonObject;
}

/** `value` as an array. */
export function asArray(value: unknown, field: string): readonly unknown[] {
  if (!Array.isArray(value)) formatError(field, 'expected an array');
  return value;
}

/** `obj[key]` as a string. */
export function getString(obj: JsonObject, key: string, path: string): string {
  const v = obj[key];
  if (typeof v !== 'string') formatError(`${path}.${key}`, 'expected a string');
  return v;
}

/** `obj[key]` as an integer in `[0, max]`. */
export function getUint(obj: JsonObject, key: string, path: string, max: number = 0xffff_ffff): number {
  return asUint(obj[key], `${path}.${key}`, max);
}

/** `value` as an integer in `[0, max]`. */
export function asUint(value: unknown, field: string, max: number = 0xffff_ffff): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    formatError(field, `expected an integer in [0, ${max}]`);
  }
  return value;
}

/** `obj[key]` as hex of exactly `length` bytes (either case). */
export function getHexBytes(obj: JsonObject, key: string, path: string, length: number): Uint8Array {
  const s = getString(obj, key, path);
  if (s.length !== length * 2 || !/^[0-9a-fA-F]*$/.test(s)) {
    formatError(`${path}.${key}`, `expected ${length} bytes of hex`);
  }
  return fromHex(s, `${path}.${key}`, length);
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;

/** An ISO-8601 UTC date string as Intel writes them (`2025-06-19T10:16:03Z`), in ms since the epoch. */
export function parseIsoDate(value: unknown, field: string): number {
  if (typeof value !== 'string' || !DATE_RE.test(value)) formatError(field, 'expected an ISO-8601 UTC date');
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) formatError(field, 'not a valid date');
  return ms;
}

/** `obj[key]` as an optional array of strings (absent → empty). */
export function getOptionalStringArray(obj: JsonObject, key: string, path: string): readonly string[] {
  const v = obj[key];
  if (v === undefined) return Object.freeze([]);
  const arr = asArray(v, `${path}.${key}`);
  const out: string[] = [];
  arr.forEach((s, i) => {
    if (typeof s !== 'string') formatError(`${path}.${key}[${i}]`, 'expected a string');
    out.push(s);
  });
  return Object.freeze(out);
}

/** Scans the JSON value starting at `i` (whitespace already skipped) and returns the index after it. */
function scanValue(text: string, i: number): number {
  const c = text[i];
  if (c === '"') return scanString(text, i);
  if (c === '{' || c === '[') {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      const d = text[j];
      if (d === '"') {
        j = scanString(text, j) - 1;
      } else if (d === '{' || d === '[') {
        depth++;
      } else if (d === '}' || d === ']') {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return text.length;
  }
  let j = i;
  while (j < text.length && !/[\s,}\]]/.test(text[j]!)) j++;
  return j;
}

function scanString(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    const d = text[j];
    if (d === '\\') j++;
    else if (d === '"') return j + 1;
  }
  return text.length;
}

function skipWs(text: string, i: number): number {
  let j = i;
  while (j < text.length && /\s/.test(text[j]!)) j++;
  return j;
}

/**
 * The exact source text of each top-level member of a JSON object, without re-serialising
 * (DCAP-VERIFICATION.md §6.3: signatures cover the exact bytes of the inner object).
 * The text must already have passed `JSON.parse`.
 */
export function topLevelMemberTexts(text: string, what: string): ReadonlyMap<string, string> {
  const out = new Map<string, string>();
  let i = skipWs(text, 0);
  if (text[i] !== '{') formatError(what, 'expected a JSON object');
  i = skipWs(text, i + 1);
  if (text[i] === '}') return out;
  for (;;) {
    const keyEnd = scanString(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipWs(text, keyEnd);
    i = skipWs(text, i + 1); // ':'
    const end = scanValue(text, i);
    out.set(key, text.slice(i, end));
    i = skipWs(text, end);
    if (text[i] === ',') {
      i = skipWs(text, i + 1);
      continue;
    }
    return out;
  }
}
